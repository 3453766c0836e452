package response_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/server/response"
)

func TestSmartError(t *testing.T) {
	t.Parallel()
	tooLarge := cph.APIGW0201.Errf("too big")
	tooLarge.Status = http.StatusRequestEntityTooLarge
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		msg    string
	}{
		{"coded", cph.CPS0005.Err(), 404, "CPS.0005", "Phone is not found."},
		{"wrapped coded", fmt.Errorf("ctx: %w", cph.CPS0087.Err()), 400, "CPS.0087", "Parameter: server_name is invalid."},
		{"placeholder filled", cph.CPS0163.Errf("ro.foo"), 400, "CPS.0163", "Parameter: property ro.foo not supported."},
		{"detail appended", cph.CPS0065.Errf("1 of 1"), 400, "CPS.0065", "Quota exceeded for server: 1 of 1"},
		{"plain error is internal and hidden", errors.New("disk on fire"), 500, "CPS.0003", "Service internal error."},
		{"status override", tooLarge, 413, "APIGW.0201", "Request body is invalid: too big"},
		{"gateway auth", cph.APIGW0301.Err(), 401, "APIGW.0301", "Incorrect IAM authentication information."},
		{"permission", cph.CPS0001.Err(), 403, "CPS.0001", "No permission to request resources."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			r := httptest.NewRequest("GET", "/", nil)
			require.NoError(t, response.SmartError(tt.err).Render(w, r, "rid"))
			require.Equal(t, tt.status, w.Code)
			require.Equal(t, "application/json", w.Header().Get("Content-Type"))
			var body map[string]string
			require.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
			require.Equal(t, map[string]string{"request_id": "rid", "error_code": tt.code, "error_msg": tt.msg}, body)
		})
	}
}

func TestNoContent(t *testing.T) {
	t.Parallel()
	w := httptest.NewRecorder()
	require.NoError(t, response.NoContent().Render(w, httptest.NewRequest("POST", "/", nil), "rid"))
	require.Equal(t, http.StatusNoContent, w.Code)
	require.Empty(t, w.Body.Bytes())
}
