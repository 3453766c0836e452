package request_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/server/request"
)

func TestPaging(t *testing.T) {
	t.Parallel()
	tests := []struct {
		query         string
		offset, limit int
		code          cph.Code
	}{
		{"", 0, 100, ""},
		{"offset=5&limit=10", 5, 10, ""},
		{"limit=1", 0, 1, ""},
		{"limit=200", 0, 200, ""},
		{"limit=201", 0, 0, cph.CPS0002},
		{"limit=0", 0, 0, cph.CPS0002},
		{"limit=-3", 0, 0, cph.CPS0002},
		{"limit=ten", 0, 0, cph.CPS0002},
		{"offset=-1", 0, 0, cph.CPS0002},
		{"offset=x", 0, 0, cph.CPS0002},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/?"+tt.query, nil)
			offset, limit, err := request.Paging(r, 100, 200)
			if tt.code != "" {
				require.Equal(t, tt.code, cph.AsError(err).Code)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.offset, offset)
			require.Equal(t, tt.limit, limit)
		})
	}
}

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	type body struct {
		Name  *string `json:"name"`
		Count *int    `json:"count"`
	}
	tests := []struct {
		name, body string
		wantErr    string
		check      func(t *testing.T, b body)
	}{
		{"fields", `{"name":"a","count":2}`, "", func(t *testing.T, b body) { require.Equal(t, 2, *b.Count) }},
		{"null is absent", `{"name":null}`, "", func(t *testing.T, b body) { require.Nil(t, b.Name) }},
		{"unknown fields ignored", `{"other":1}`, "", nil},
		{"empty body", ``, "empty", nil},
		{"malformed", `{"name":`, "malformed JSON", nil},
		{"wrong type names the field", `{"count":"two"}`, `"count"`, nil},
		{"trailing data", `{} {}`, "trailing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
			ctx, _, err := request.ReadBody(r)
			require.NoError(t, err)
			var b body
			err = request.DecodeJSON(r.WithContext(ctx), &b)
			if tt.wantErr != "" {
				ce := cph.AsError(err)
				require.Equal(t, cph.APIGW0201, ce.Code)
				require.Equal(t, http.StatusBadRequest, ce.HTTPStatus())
				require.Contains(t, ce.Msg, tt.wantErr)
				return
			}
			require.NoError(t, err)
			if tt.check != nil {
				tt.check(t, b)
			}
		})
	}
}

func TestReadBodyLimit(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", request.MaxBodyBytes+1)))
	_, _, err := request.ReadBody(r)
	require.Equal(t, http.StatusRequestEntityTooLarge, cph.AsError(err).HTTPStatus())

	r = httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", request.MaxBodyBytes)))
	_, body, err := request.ReadBody(r)
	require.NoError(t, err)
	require.Len(t, body, request.MaxBodyBytes)
}

func TestQueryInt(t *testing.T) {
	t.Parallel()
	r := httptest.NewRequest("GET", "/?status=5&bad=x", nil)
	v, err := request.QueryInt(r, "status", cph.CPS0010)
	require.NoError(t, err)
	require.Equal(t, 5, *v)
	v, err = request.QueryInt(r, "absent", cph.CPS0010)
	require.NoError(t, err)
	require.Nil(t, v)
	_, err = request.QueryInt(r, "bad", cph.CPS0010)
	require.Equal(t, cph.CPS0010, cph.AsError(err).Code)
}
