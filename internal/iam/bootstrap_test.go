package iam

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/opencph/opencph/internal/store"
)

func TestBootstrap(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	path := filepath.Join(e.dir, CredentialsFile)
	first := *e.creds

	t.Run("file", func(t *testing.T) {
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		var m map[string]string
		require.NoError(t, json.Unmarshal(b, &m))
		keys := make([]string, 0, len(m))
		for k, v := range m {
			keys = append(keys, k)
			require.NotEmpty(t, v, k)
		}
		sort.Strings(keys)
		require.Equal(t, []string{"access_key", "domain_name", "endpoint", "password", "project_id",
			"project_name", "region", "secret_key", "user_name"}, keys)
		require.Equal(t, "cn-local-1", m["region"])
		require.Equal(t, "cn-local-1", m["project_name"])
		require.Equal(t, e.srv.URL, m["endpoint"])
	})

	t.Run("credentials work", func(t *testing.T) {
		status, body, _ := e.do(t, http.MethodPost, "/v3/auth/tokens",
			passwordBody(first.UserName, first.Password, first.DomainName, map[string]any{"name": first.ProjectName}), nil)
		require.Equal(t, http.StatusCreated, status, body)
		status, body, _ = e.do(t, http.MethodGet, "/v3/projects?name=cn-local-1", nil,
			withAKSK(t, first.AccessKey, first.SecretKey))
		require.Equal(t, http.StatusOK, status, body)
		require.Equal(t, first.ProjectID, body["projects"].([]any)[0].(map[string]any)["id"])
	})

	t.Run("idempotent", func(t *testing.T) {
		require.NoError(t, os.Chmod(path, 0o644))
		again, err := e.svc.Bootstrap(ctx, e.dir)
		require.NoError(t, err)
		require.Equal(t, first, *again)
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "a loosened mode is tightened")
		got, err := ReadCredentials(path)
		require.NoError(t, err)
		require.Equal(t, first, *got)

		d, err := e.st.DomainGet(ctx, &store.DomainGetParams{Name: BootstrapDomain})
		require.NoError(t, err)
		users, err := e.st.UserList(ctx, &store.UserListParams{DomainID: d.ID})
		require.NoError(t, err)
		require.Len(t, users, 1)
		keys, err := e.st.AccessKeyList(ctx, &store.AccessKeyListParams{DomainID: d.ID})
		require.NoError(t, err)
		require.Len(t, keys, 1)
		pol, err := e.st.PolicyGet(ctx, users[0].ID)
		require.NoError(t, err)
		require.Equal(t, []string{"*"}, pol.Allow)
	})

	t.Run("lost file", func(t *testing.T) {
		require.NoError(t, os.Remove(path))
		again, err := e.svc.Bootstrap(ctx, e.dir)
		require.NoError(t, err)
		require.Equal(t, first.AccessKey, again.AccessKey, "the key survives in the database")
		require.Equal(t, first.SecretKey, again.SecretKey)
		require.Equal(t, first.ProjectID, again.ProjectID)
		require.NotEqual(t, first.Password, again.Password, "a password cannot be recovered from its hash")
		fi, err := os.Stat(path)
		require.NoError(t, err)
		require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

		status, body, _ := e.do(t, http.MethodPost, "/v3/auth/tokens",
			passwordBody(again.UserName, again.Password, again.DomainName, nil), nil)
		require.Equal(t, http.StatusCreated, status, body)
		status, _, _ = e.do(t, http.MethodPost, "/v3/auth/tokens",
			passwordBody(first.UserName, first.Password, first.DomainName, nil), nil)
		require.Equal(t, http.StatusUnauthorized, status)
	})

	t.Run("new region adds its project", func(t *testing.T) {
		svc := New(e.st, Config{Region: "cn-local-2", Endpoint: e.srv.URL, PasswordCost: bcrypt.MinCost})
		dir := t.TempDir()
		c, err := svc.Bootstrap(ctx, dir)
		require.NoError(t, err)
		require.Equal(t, "cn-local-2", c.ProjectName)
		require.NotEqual(t, first.ProjectID, c.ProjectID)
		require.Equal(t, first.AccessKey, c.AccessKey)
	})
}
