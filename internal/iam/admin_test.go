package iam

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAdminAPI(t *testing.T) {
	t.Parallel()
	e := setup(t)
	admin := withAKSK(t, e.creds.AccessKey, e.creds.SecretKey)

	status, body, _ := e.do(t, http.MethodPost, "/admin/v1/projects",
		map[string]any{"name": "cn-local-1_team", "description": "the team"}, admin)
	require.Equal(t, http.StatusCreated, status, body)
	team := body["project"].(map[string]any)
	require.Equal(t, "cn-local-1_team", team["name"])

	status, body, _ = e.do(t, http.MethodPost, "/admin/v1/projects", map[string]any{"name": "cn-local-1_team"}, admin)
	requireError(t, http.StatusConflict, string(CodeConflict), status, body)
	status, body, _ = e.do(t, http.MethodPost, "/admin/v1/projects", map[string]any{"name": "has space"}, admin)
	requireError(t, http.StatusBadRequest, "APIGW.0201", status, body)

	status, body, _ = e.do(t, http.MethodGet, "/admin/v1/projects", nil, admin)
	require.Equal(t, http.StatusOK, status, body)
	require.Len(t, body["projects"], 2)

	// A user granted the team project, with a policy, and a generated password shown once.
	status, body, _ = e.do(t, http.MethodPost, "/admin/v1/users", map[string]any{
		"name": "gina", "projects": []string{"cn-local-1_team"}, "allow": []string{"cph:*", "kps:*"},
		"deny": []string{"cph:phones:reset"},
	}, admin)
	require.Equal(t, http.StatusCreated, status, body)
	user := body["user"].(map[string]any)
	require.Equal(t, []any{"cn-local-1_team"}, user["projects"])
	password := user["password"].(string)
	require.Len(t, password, 24)

	status, body, _ = e.do(t, http.MethodPost, "/admin/v1/users", map[string]any{"name": "x", "projects": []string{"nope"}}, admin)
	requireError(t, http.StatusNotFound, string(CodeNotFound), status, body)
	status, body, _ = e.do(t, http.MethodPost, "/admin/v1/users", map[string]any{"name": "y", "allow": []string{"bad action!"}}, admin)
	requireError(t, http.StatusBadRequest, "APIGW.0201", status, body)
	status, body, _ = e.do(t, http.MethodGet, "/admin/v1/users", nil, admin)
	require.Equal(t, http.StatusOK, status, body)
	require.Len(t, body["users"], 2, "x was rolled back with its failed grant")

	// The password signs in to the granted project.
	status, body, _ = e.do(t, http.MethodPost, "/v3/auth/tokens",
		passwordBody("gina", password, BootstrapDomain, map[string]any{"name": "cn-local-1_team"}), nil)
	require.Equal(t, http.StatusCreated, status, body)

	// Keys: create (secret once), list (no secret), use, delete.
	status, body, _ = e.do(t, http.MethodPost, "/admin/v1/keys", map[string]any{"user": "gina", "description": "ci"}, admin)
	require.Equal(t, http.StatusCreated, status, body)
	key := body["key"].(map[string]any)
	ak, sk := key["access_key"].(string), key["secret_key"].(string)
	require.Len(t, ak, 20)
	require.Len(t, sk, 40)

	status, body, _ = e.do(t, http.MethodGet, "/admin/v1/keys?user=gina", nil, admin)
	require.Equal(t, http.StatusOK, status, body)
	keys := body["keys"].([]any)
	require.Len(t, keys, 1)
	require.NotContains(t, keys[0], "secret_key")
	require.Equal(t, "gina", keys[0].(map[string]any)["user_name"])

	gina := withAKSK(t, ak, sk)
	status, body, _ = e.do(t, http.MethodGet, "/v3/"+team["id"].(string)+"/keypairs", nil, gina)
	require.Equal(t, http.StatusOK, status, body)

	// Only admins reach the admin API.
	status, body, _ = e.do(t, http.MethodGet, "/admin/v1/users", nil, gina)
	requireError(t, http.StatusForbidden, "CPS.0001", status, body)
	status, body, _ = e.do(t, http.MethodGet, "/admin/v1/users", nil, nil)
	requireError(t, http.StatusUnauthorized, "APIGW.0301", status, body)

	// Policies.
	status, body, _ = e.do(t, http.MethodGet, "/admin/v1/users/gina/policy", nil, admin)
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, []any{"cph:*", "kps:*"}, body["policy"].(map[string]any)["allow"])
	status, body, _ = e.do(t, http.MethodPut, "/admin/v1/users/gina/policy", map[string]any{"allow": []string{"cph:*:get"}}, admin)
	require.Equal(t, http.StatusOK, status, body)
	status, body, _ = e.do(t, http.MethodGet, "/v3/"+team["id"].(string)+"/keypairs", nil, gina)
	requireError(t, http.StatusForbidden, "CPS.0001", status, body)
	status, body, _ = e.do(t, http.MethodGet, "/admin/v1/users/nobody/policy", nil, admin)
	requireError(t, http.StatusNotFound, "CPS.0243", status, body)

	status, body, _ = e.do(t, http.MethodDelete, "/admin/v1/keys/"+e.creds.AccessKey, nil, admin)
	requireError(t, http.StatusConflict, string(CodeConflict), status, body)
	status, _, _ = e.do(t, http.MethodDelete, "/admin/v1/keys/"+ak, nil, admin)
	require.Equal(t, http.StatusNoContent, status)
	status, body, _ = e.do(t, http.MethodDelete, "/admin/v1/keys/"+ak, nil, admin)
	requireError(t, http.StatusNotFound, string(CodeNotFound), status, body)
	status, body, _ = e.do(t, http.MethodGet, "/v3/"+team["id"].(string)+"/keypairs", nil, gina)
	requireError(t, http.StatusUnauthorized, "APIGW.0301", status, body)
}
