package iam

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/signer"
	sdkconfig "github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/impl"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/request"
	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/cph"
)

// The SDK's own vectors (core/auth/signer/signer_test.go): AK "AccessKey", SK "SecretKey", only
// x-sdk-date signed.
func TestSignatureVectors(t *testing.T) {
	t.Parallel()
	signedAt := time.Date(2006, 1, 2, 15, 4, 5, 0, time.UTC)
	tests := []struct {
		name   string
		method string
		url    string
		body   string
		want   string
	}{
		{"get with query", http.MethodGet, "https://example.huaweicloud.com/path?limit=1", "",
			"5a2ce64c865e0e6046321c6f3d5a77ba8413eeaf355c3166c03d58d02ac79624"},
		{"post with json body", http.MethodPost, "https://example.huaweicloud.com/path?key=value", "{\"Name\":\"test\",\"Id\":1}\n",
			"cecc2af119b18ab70b4d094c0750f3b42c02f254903179a0fc2cc72fc9db4f59"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			r.Header.Set(HeaderSdkDate, "20060102T150405Z")
			r.Header.Set("TEST_UNDERSCORE", "TEST_VALUE")
			if tc.body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			ph, err := payloadHash(r.Header, []byte(tc.body))
			require.NoError(t, err)
			got := signString("SecretKey", stringToSign("20060102T150405Z",
				canonicalRequest(r, r.Host, []string{"x-sdk-date"}, ph)))
			require.Equal(t, tc.want, got)

			a, err := parseAuthorization("SDK-HMAC-SHA256 Access=AccessKey, SignedHeaders=x-sdk-date, Signature=" + tc.want)
			require.NoError(t, err)
			require.NoError(t, verifySignature(r, []byte(tc.body), a, "SecretKey", signedAt))
			require.Error(t, verifySignature(r, []byte(tc.body+" "), a, "SecretKey", signedAt), "a changed body fails")
			require.Error(t, verifySignature(r, []byte(tc.body), a, "OtherKey", signedAt), "another secret fails")
			require.Error(t, verifySignature(r, []byte(tc.body), a, "SecretKey", signedAt.Add(16*time.Minute)), "a stale date fails")
			require.Error(t, verifySignature(r, []byte(tc.body), a, "SecretKey", signedAt.Add(-16*time.Minute)), "a future date fails")
		})
	}
}

func TestCanonicalForms(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, got, want string
	}{
		{"root path", canonicalURI(""), "/"},
		{"trailing slash added", canonicalURI("/v1/p/phones"), "/v1/p/phones/"},
		{"trailing slash kept", canonicalURI("/v3/"), "/v3/"},
		{"segments escaped", canonicalURI("/a b/一/x+y~"), "/a%20b/%E4%B8%80/x%2By~/"},
		{"query sorted by key then value", canonicalQuery("b=2&a=3&a=1"), "a=1&a=3&b=2"},
		{"empty value", canonicalQuery("marker&limit=5"), "limit=5&marker="},
		{"query escaped like the SDK", canonicalQuery("test=%E4%B8%80%20(%26%3D%3F!%23%25.*)&path=%2Ftmp%2F123"),
			"path=%2Ftmp%2F123&test=%E4%B8%80%20%28%26%3D%3F%21%23%25.%2A%29"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, tc.got)
		})
	}
}

// TestSDKSignerRoundTrip signs requests with the official SDK's signer, sends them through the
// SDK's HTTP client to a server, and verifies them there with Authenticate.
func TestSDKSignerRoundTrip(t *testing.T) {
	t.Parallel()
	e := setup(t)
	u := e.addUser(t, "sdk", []string{"cn-local-1"}, []string{"*"}, nil)

	type result struct {
		p   *Principal
		err error
	}
	results := make(chan result, 1)
	verify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		p, err := e.svc.Authenticate(r, body)
		results <- result{p, err}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(verify.Close)
	host := strings.TrimPrefix(verify.URL, "http://")
	client := impl.NewDefaultHttpClient(sdkconfig.DefaultHttpConfig())

	type body struct {
		Name string `json:"name"`
		N    int    `json:"n"`
	}
	stale := time.Now().UTC().Add(-20 * time.Minute).Format(SdkDateFormat)
	tests := []struct {
		name    string
		method  string
		path    string
		query   map[string]any
		headers map[string]string
		body    any
		sk      string
		tamper  func(r *request.DefaultHttpRequest) *request.DefaultHttpRequest
		wantErr string
	}{
		{name: "get with queries", method: "GET", path: "/v1/p/cloud-phone/phones",
			query: map[string]any{"limit": 10, "offset": 0, "phone_name": "a b/c", "status": []int{2, 1}}},
		{name: "empty query value", method: "GET", path: "/v3/projects", query: map[string]any{"name": ""}},
		{name: "post json", method: "POST", path: "/v1/p/cloud-phone/phones/batch-restart",
			headers: map[string]string{"Content-Type": "application/json;charset=UTF-8"}, body: &body{Name: "x", N: 1}},
		{name: "project and user agent headers", method: "DELETE", path: "/v3/p/keypairs/kp-1",
			headers: map[string]string{"X-Project-Id": "p", "User-Agent": "huaweicloud-usdk-go/3.0"}},
		{name: "host signed", method: "GET", path: "/v3/auth/projects", headers: map[string]string{"Host": host}},
		{name: "path needing escapes", method: "GET", path: "/v3/p/keypairs/a%20b~c"},
		{name: "unsigned payload", method: "PUT", path: "/upload",
			headers: map[string]string{"Content-Type": "application/octet-stream"}, body: &body{Name: "blob"}},
		{name: "wrong secret", method: "GET", path: "/v3/projects", sk: "not-the-secret", wantErr: "signature does not match"},
		{name: "stale date", method: "GET", path: "/v3/projects", headers: map[string]string{"X-Sdk-Date": stale},
			wantErr: "more than 15m0s away"},
		{name: "query changed after signing", method: "GET", path: "/v3/projects", query: map[string]any{"name": "a"},
			tamper: func(r *request.DefaultHttpRequest) *request.DefaultHttpRequest {
				return r.Builder().AddQueryParam("name", reflect.ValueOf("b")).Build()
			}, wantErr: "signature does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := request.NewHttpRequestBuilder().WithMethod(tc.method).WithEndpoint(verify.URL).WithPath(tc.path)
			for k, v := range tc.query {
				b.AddQueryParam(k, reflect.ValueOf(v))
			}
			for k, v := range tc.headers {
				b.AddHeaderParam(k, v)
			}
			if tc.body != nil {
				b.WithBody("body", tc.body)
			}
			req := b.Build()
			sk := u.sk
			if tc.sk != "" {
				sk = tc.sk
			}
			signed, err := signer.Sign(req, u.ak, sk)
			require.NoError(t, err)
			for k, v := range signed {
				req.AddHeaderParam(k, v)
			}
			if tc.tamper != nil {
				req = tc.tamper(req)
			}
			resp, err := client.SyncInvokeHttp(req)
			require.NoError(t, err)
			require.Equal(t, http.StatusNoContent, resp.GetStatusCode())
			got := <-results
			if tc.wantErr != "" {
				require.Error(t, got.err)
				require.Equal(t, cph.APIGW0301, cph.AsError(got.err).Code)
				require.Contains(t, got.err.Error(), tc.wantErr)
				return
			}
			require.NoError(t, got.err)
			require.Equal(t, u.ID, got.p.UserID)
			require.Equal(t, u.ak, got.p.AccessKey)
			require.Empty(t, got.p.ProjectID)
		})
	}
}

// TestSignerRoundTrip checks our own Signer against our verifier, and the failure answers.
func TestSignerRoundTrip(t *testing.T) {
	t.Parallel()
	e := setup(t)
	u := e.addUser(t, "signer", []string{"cn-local-1"}, []string{"*"}, nil)
	tests := []struct {
		name      string
		auth      func(*http.Request, []byte)
		wantCode  int
		wantError string
	}{
		{"signed", withAKSK(t, u.ak, u.sk), http.StatusOK, ""},
		{"unknown access key", withAKSK(t, "NOSUCHKEY", u.sk), http.StatusUnauthorized, "does not exist"},
		{"wrong secret", withAKSK(t, u.ak, "wrong"), http.StatusUnauthorized, "signature does not match"},
		{"no credentials", nil, http.StatusUnauthorized, "neither"},
		{"other scheme", func(r *http.Request, _ []byte) { r.Header.Set("Authorization", "Basic YTpi") },
			http.StatusUnauthorized, "unsupported Authorization scheme"},
		{"signed then body changed", func(r *http.Request, b []byte) {
			require.NoError(t, Signer{AccessKey: u.ak, SecretKey: u.sk}.Sign(r, []byte(`{"x":1}`)))
		}, http.StatusUnauthorized, "signature does not match"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			status, body, _ := e.do(t, http.MethodGet, "/v3/projects?name=cn-local-1", nil, tc.auth)
			if tc.wantError == "" {
				require.Equal(t, tc.wantCode, status, body)
				return
			}
			requireError(t, tc.wantCode, "APIGW.0301", status, body)
			require.Contains(t, body["error_msg"], "Incorrect IAM authentication information: ")
			require.Contains(t, body["error_msg"], tc.wantError)
		})
	}
}

func TestAuthenticateDirect(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r := httptest.NewRequest(http.MethodGet, "/v1/x/cloud-phone/phones", nil)
	require.NoError(t, Signer{AccessKey: e.creds.AccessKey, SecretKey: e.creds.SecretKey}.Sign(r, nil))
	p, err := e.svc.Authenticate(r, nil)
	require.NoError(t, err)
	require.True(t, p.Admin)
	require.Equal(t, BootstrapUser, p.UserName)
	require.Equal(t, BootstrapDomain, p.DomainName)
	require.NoError(t, e.svc.Authorize(context.Background(), p, e.creds.ProjectID, "cph:phones:restart"))
}
