package iam

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/cph"
)

// passwordBody is the Keystone v3 body of section 3.2, with the project scope given by name or id.
func passwordBody(user, password, domain string, project map[string]any) map[string]any {
	auth := map[string]any{
		"identity": map[string]any{
			"methods": []string{"password"},
			"password": map[string]any{"user": map[string]any{
				"name": user, "password": password, "domain": map[string]any{"name": domain},
			}},
		},
	}
	if project != nil {
		auth["scope"] = map[string]any{"project": project}
	}
	return map[string]any{"auth": auth}
}

func TestTokenFlow(t *testing.T) {
	t.Parallel()
	e := setup(t)
	main := e.project(t, "cn-local-1")
	other := e.project(t, "cn-local-1_other")
	u := e.addUser(t, "bob", []string{"cn-local-1"}, []string{"kps:*"}, nil)

	t.Run("issue and use", func(t *testing.T) {
		status, body, hdr := e.do(t, http.MethodPost, "/v3/auth/tokens",
			passwordBody("bob", u.password, BootstrapDomain, map[string]any{"name": "cn-local-1"}), nil)
		require.Equal(t, http.StatusCreated, status, body)
		tok := hdr.Get("X-Subject-Token")
		require.NotEmpty(t, tok)

		token := body["token"].(map[string]any)
		require.Equal(t, []any{"password"}, token["methods"])
		issued, err := time.Parse(time.RFC3339, token["issued_at"].(string))
		require.NoError(t, err)
		expires, err := time.Parse(time.RFC3339, token["expires_at"].(string))
		require.NoError(t, err)
		require.Equal(t, 24*time.Hour, expires.Sub(issued))
		user := token["user"].(map[string]any)
		require.Equal(t, u.ID, user["id"])
		require.Equal(t, "bob", user["name"])
		require.Equal(t, BootstrapDomain, user["domain"].(map[string]any)["name"])
		project := token["project"].(map[string]any)
		require.Equal(t, main.ID, project["id"])
		require.Equal(t, "cn-local-1", project["name"])
		require.Equal(t, BootstrapDomain, project["domain"].(map[string]any)["name"])
		catalog := token["catalog"].([]any)
		require.Len(t, catalog, 1)
		svc := catalog[0].(map[string]any)
		require.Equal(t, "cph", svc["type"])
		ep := svc["endpoints"].([]any)[0].(map[string]any)
		require.Equal(t, map[string]any{"id": ep["id"], "region_id": "cn-local-1", "region": "cn-local-1",
			"interface": "public", "url": e.srv.URL}, ep)
		require.NotEmpty(t, token["roles"])

		// The token authenticates API calls of its project, and the store never saw it in clear.
		status, body, _ = e.do(t, http.MethodGet, "/v3/"+main.ID+"/keypairs", nil, withToken(tok))
		require.Equal(t, http.StatusOK, status, body)
		_, err = e.st.TokenGet(context.Background(), tok)
		require.Error(t, err)
		_, err = e.st.TokenGet(context.Background(), tokenHash(tok))
		require.NoError(t, err)

		// A token is scoped: another project's path is refused.
		status, body, _ = e.do(t, http.MethodGet, "/v3/"+other.ID+"/keypairs", nil, withToken(tok))
		requireError(t, http.StatusForbidden, "CPS.0001", status, body)
	})

	t.Run("scope by project id and user id", func(t *testing.T) {
		body := map[string]any{"auth": map[string]any{
			"identity": map[string]any{"methods": []string{"password"}, "password": map[string]any{
				"user": map[string]any{"id": u.ID, "password": u.password}}},
			"scope": map[string]any{"project": map[string]any{"id": main.ID}},
		}}
		status, resp, hdr := e.do(t, http.MethodPost, "/v3/auth/tokens", body, nil)
		require.Equal(t, http.StatusCreated, status, resp)
		p, err := e.svc.authenticateToken(context.Background(), hdr.Get("X-Subject-Token"))
		require.NoError(t, err)
		require.Equal(t, main.ID, p.ProjectID)
	})

	t.Run("expires", func(t *testing.T) {
		status, body, hdr := e.do(t, http.MethodPost, "/v3/auth/tokens",
			passwordBody("bob", u.password, BootstrapDomain, map[string]any{"name": "cn-local-1"}), nil)
		require.Equal(t, http.StatusCreated, status, body)
		tok := hdr.Get("X-Subject-Token")
		_, err := e.svc.authenticateToken(context.Background(), tok)
		require.NoError(t, err)

		e.clock.Advance(24*time.Hour + time.Second)
		t.Cleanup(func() { e.clock.Advance(-24*time.Hour - time.Second) })
		status, body, _ = e.do(t, http.MethodGet, "/v3/"+main.ID+"/keypairs", nil, withToken(tok))
		requireError(t, http.StatusUnauthorized, "APIGW.0301", status, body)
		require.Contains(t, body["error_msg"], "expired")
	})

	failures := []struct {
		name string
		body map[string]any
		want string
	}{
		{"wrong password", passwordBody("bob", "wrong-password", BootstrapDomain, map[string]any{"name": "cn-local-1"}),
			"username or password is wrong"},
		{"unknown user", passwordBody("nobody", "x", BootstrapDomain, nil), "username or password is wrong"},
		{"unknown domain", passwordBody("bob", u.password, "elsewhere", nil), "username or password is wrong"},
		{"project not granted", passwordBody("bob", u.password, BootstrapDomain, map[string]any{"name": "cn-local-1_other"}),
			"no access to the requested project"},
		{"project unknown", passwordBody("bob", u.password, BootstrapDomain, map[string]any{"name": "nope"}),
			"no access to the requested project"},
		{"project of another domain", passwordBody("bob", u.password, BootstrapDomain,
			map[string]any{"name": "cn-local-1", "domain": map[string]any{"name": "elsewhere"}}),
			"no access to the requested project"},
		{"token method", map[string]any{"auth": map[string]any{"identity": map[string]any{"methods": []string{"token"}}}},
			"only the password method"},
	}
	for _, tc := range failures {
		t.Run(tc.name, func(t *testing.T) {
			status, body, hdr := e.do(t, http.MethodPost, "/v3/auth/tokens", tc.body, nil)
			requireError(t, http.StatusUnauthorized, "APIGW.0301", status, body)
			require.Contains(t, body["error_msg"], tc.want)
			require.Empty(t, hdr.Get("X-Subject-Token"))
		})
	}

	t.Run("invalid token", func(t *testing.T) {
		status, body, _ := e.do(t, http.MethodGet, "/v3/"+main.ID+"/keypairs", nil, withToken("forged"))
		requireError(t, http.StatusUnauthorized, "APIGW.0301", status, body)
	})

	t.Run("admin token without scope uses no project", func(t *testing.T) {
		status, body, hdr := e.do(t, http.MethodPost, "/v3/auth/tokens",
			passwordBody(BootstrapUser, e.creds.Password, BootstrapDomain, nil), nil)
		require.Equal(t, http.StatusCreated, status, body)
		p, err := e.svc.authenticateToken(context.Background(), hdr.Get("X-Subject-Token"))
		require.NoError(t, err)
		require.True(t, p.Admin)
		err = e.svc.Authorize(context.Background(), p, main.ID, "cph:phones:list")
		require.Equal(t, cph.CPS0001, cph.AsError(err).Code)
	})
}

func TestExpiredTokensAreSwept(t *testing.T) {
	t.Parallel()
	e := setup(t)
	body := passwordBody(BootstrapUser, e.creds.Password, BootstrapDomain, map[string]any{"name": "cn-local-1"})
	_, _, hdr := e.do(t, http.MethodPost, "/v3/auth/tokens", body, nil)
	first := hdr.Get("X-Subject-Token")
	e.clock.Advance(25 * time.Hour)
	status, _, _ := e.do(t, http.MethodPost, "/v3/auth/tokens", body, nil)
	require.Equal(t, http.StatusCreated, status)
	_, err := e.st.TokenGet(context.Background(), tokenHash(first))
	require.Error(t, err, "issuing a token removes the expired ones")
}
