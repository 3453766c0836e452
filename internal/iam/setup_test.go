package iam

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/opencph/opencph/internal/store"
	"github.com/opencph/opencph/internal/store/sqlite"
)

// testClock is an injectable clock that starts at the real time (the SDK signs with it).
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a service on a fresh SQLite store, bootstrapped, served over HTTP from Routes() the way
// the server mounts them.
type env struct {
	st    store.Store
	svc   *Service
	clock *testClock
	srv   *httptest.Server
	creds *Credentials
	dir   string
}

func setup(t *testing.T) *env {
	t.Helper()
	dir := t.TempDir()
	st, err := sqlite.Open(context.Background(), filepath.Join(dir, "cph.db"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })

	mux := http.NewServeMux()
	srv := httptest.NewServer(withRequestID(mux))
	t.Cleanup(srv.Close)

	clk := &testClock{t: time.Now().UTC()}
	svc := New(st, Config{Region: "cn-local-1", Endpoint: srv.URL, Now: clk.Now, PasswordCost: bcrypt.MinCost})
	for _, r := range svc.Routes() {
		mux.HandleFunc(r.Method+" "+r.Pattern, r.Handler)
	}
	creds, err := svc.Bootstrap(context.Background(), dir)
	require.NoError(t, err)
	return &env{st: st, svc: svc, clock: clk, srv: srv, creds: creds, dir: dir}
}

// withRequestID stands in for the server's middleware.
func withRequestID(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Request-Id") == "" {
			r.Header.Set("X-Request-Id", newID())
		}
		w.Header().Set("X-Request-Id", r.Header.Get("X-Request-Id"))
		h.ServeHTTP(w, r)
	})
}

// testUser is a user made directly in the store, with one access key.
type testUser struct {
	*store.User
	password string
	ak, sk   string
}

// addUser creates a non-admin user in the bootstrap domain, granted the named projects (created
// when missing) and given the policy.
func (e *env) addUser(t *testing.T, name string, projects []string, allow, deny []string) *testUser {
	t.Helper()
	ctx := context.Background()
	d, err := e.st.DomainGet(ctx, &store.DomainGetParams{Name: BootstrapDomain})
	require.NoError(t, err)
	hash, err := e.svc.hashPassword("pw-" + name + "-secret")
	require.NoError(t, err)
	u := &store.User{ID: newID(), DomainID: d.ID, Name: name, PasswordHash: hash}
	require.NoError(t, e.st.UserInsert(ctx, u))
	for _, pn := range projects {
		p := e.project(t, pn)
		require.NoError(t, e.st.UserProjectInsert(ctx, &store.UserProject{UserID: u.ID, ProjectID: p.ID}))
	}
	if allow != nil || deny != nil {
		require.NoError(t, e.st.PolicySet(ctx, &store.Policy{UserID: u.ID, Allow: allow, Deny: deny}))
	}
	k := newAccessKey(u.ID, "test")
	require.NoError(t, e.st.AccessKeyInsert(ctx, k))
	return &testUser{User: u, password: "pw-" + name + "-secret", ak: k.AccessKey, sk: k.Secret}
}

// project returns the bootstrap domain's project of that name, creating it if needed.
func (e *env) project(t *testing.T, name string) *store.Project {
	t.Helper()
	ctx := context.Background()
	d, err := e.st.DomainGet(ctx, &store.DomainGetParams{Name: BootstrapDomain})
	require.NoError(t, err)
	p, err := e.st.ProjectGet(ctx, &store.ProjectGetParams{DomainID: d.ID, Name: name})
	if err == nil {
		return p
	}
	p = &store.Project{ID: newID(), DomainID: d.ID, Name: name}
	require.NoError(t, e.st.ProjectInsert(ctx, p))
	return p
}

// do sends a JSON request signed with ak/sk (when set) or carrying a token, and returns the
// status and decoded body.
func (e *env) do(t *testing.T, method, path string, body any, auth func(*http.Request, []byte)) (int, map[string]any, http.Header) {
	t.Helper()
	var raw []byte
	if body != nil {
		var err error
		raw, err = json.Marshal(body)
		require.NoError(t, err)
	}
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(raw))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if auth != nil {
		auth(req, raw)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(b) > 0 {
		require.NoError(t, json.Unmarshal(b, &out), string(b))
	}
	return resp.StatusCode, out, resp.Header
}

func withAKSK(t *testing.T, ak, sk string) func(*http.Request, []byte) {
	return func(r *http.Request, body []byte) {
		require.NoError(t, Signer{AccessKey: ak, SecretKey: sk}.Sign(r, body))
	}
}

func withToken(tok string) func(*http.Request, []byte) {
	return func(r *http.Request, _ []byte) { r.Header.Set(HeaderAuthToken, tok) }
}

// requireError checks a gateway-style error body.
func requireError(t *testing.T, wantStatus int, wantCode string, status int, body map[string]any) {
	t.Helper()
	require.Equal(t, wantStatus, status, body)
	require.Equal(t, wantCode, body["error_code"], body)
	require.NotEmpty(t, body["request_id"])
	require.NotEmpty(t, body["error_msg"])
}
