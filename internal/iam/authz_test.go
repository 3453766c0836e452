package iam

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/store"
)

func TestPolicyMatching(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		allow  []string
		deny   []string
		action string
		want   bool
	}{
		{"exact allow", []string{"cph:phones:restart"}, nil, "cph:phones:restart", true},
		{"no allow denies", nil, nil, "cph:phones:restart", false},
		{"other action", []string{"cph:phones:restart"}, nil, "cph:phones:reset", false},
		{"star allows everything", []string{"*"}, nil, "kps:SSHKeyPair:create", true},
		{"star in the middle", []string{"cph:*:get"}, nil, "cph:servers:get", true},
		{"star in the middle needs the suffix", []string{"cph:*:get"}, nil, "cph:servers:list", false},
		{"trailing star", []string{"cph:phones:*"}, nil, "cph:phones:execSyncCommands", true},
		{"service star", []string{"cph:*"}, nil, "cph:resource:tagResource", true},
		{"service star not other service", []string{"cph:*"}, nil, "kps:SSHKeyPair:list", false},
		{"partial word star", []string{"cph:phones:exec*"}, nil, "cph:phones:execCommands", true},
		{"case insensitive", []string{"CPH:Phones:Restart"}, nil, "cph:phones:restart", true},
		{"no prefix match without star", []string{"cph:phones"}, nil, "cph:phones:list", false},
		{"deny wins over star", []string{"*"}, []string{"cph:phones:reset"}, "cph:phones:reset", false},
		{"deny wildcard wins", []string{"cph:phones:restart"}, []string{"cph:*"}, "cph:phones:restart", false},
		{"deny elsewhere leaves allow", []string{"*"}, []string{"cph:phones:reset"}, "cph:phones:restart", true},
		{"several stars", []string{"*:*:*"}, nil, "cph:jobs:get", true},
		{"several stars need the colons", []string{"*:*:*"}, nil, "cph-jobs", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tc.want, Allowed(tc.allow, tc.deny, tc.action))
		})
	}
}

func TestAuthorize(t *testing.T) {
	t.Parallel()
	e := setup(t)
	ctx := context.Background()
	mine := e.project(t, "cn-local-1")
	notMine := e.project(t, "cn-local-1_team")
	u := e.addUser(t, "carol", []string{"cn-local-1"}, []string{"cph:*:get", "cph:phones:*"}, []string{"cph:phones:reset"})
	noPolicy := e.addUser(t, "dave", []string{"cn-local-1"}, nil, nil)

	// A project in another domain.
	other := &store.Domain{ID: newID(), Name: "other"}
	require.NoError(t, e.st.DomainInsert(ctx, other))
	foreign := &store.Project{ID: newID(), DomainID: other.ID, Name: "cn-local-1"}
	require.NoError(t, e.st.ProjectInsert(ctx, foreign))

	aksk := &Principal{UserID: u.ID, DomainID: u.DomainID, AccessKey: u.ak}
	admin := &Principal{UserID: mustUser(t, e, BootstrapUser).ID, DomainID: u.DomainID, AccessKey: e.creds.AccessKey, Admin: true}
	token := &Principal{UserID: u.ID, DomainID: u.DomainID, ProjectID: mine.ID}
	tests := []struct {
		name    string
		p       *Principal
		project string
		action  string
		wantErr bool
	}{
		{"granted project, allowed action", aksk, mine.ID, "cph:phones:restart", false},
		{"granted project, allowed by wildcard", aksk, mine.ID, "cph:servers:get", false},
		{"granted project, denied action", aksk, mine.ID, "cph:phones:reset", true},
		{"granted project, action not allowed", aksk, mine.ID, "cph:servers:create", true},
		{"project not granted", aksk, notMine.ID, "cph:phones:restart", true},
		{"project of another domain", aksk, foreign.ID, "cph:phones:restart", true},
		{"project unknown", aksk, newID(), "cph:phones:restart", true},
		{"admin, any project of its domain", admin, notMine.ID, "cph:servers:create", false},
		{"admin, not another domain", admin, foreign.ID, "cph:servers:create", true},
		{"token, its project", token, mine.ID, "cph:phones:list", false},
		{"token, another granted-or-not project", token, notMine.ID, "cph:phones:list", true},
		{"no policy denies", &Principal{UserID: noPolicy.ID, DomainID: u.DomainID, AccessKey: noPolicy.ak}, mine.ID, "cph:phones:list", true},
		{"project check only", aksk, mine.ID, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := e.svc.Authorize(ctx, tc.p, tc.project, tc.action)
			if !tc.wantErr {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			ce := cph.AsError(err)
			require.Equal(t, cph.CPS0001, ce.Code)
			require.Equal(t, http.StatusForbidden, ce.HTTPStatus())
		})
	}
}

// TestProjectIsolation checks over HTTP that a project the caller may not use answers exactly
// like a project that does not exist.
func TestProjectIsolation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.project(t, "cn-local-1")
	theirs := e.project(t, "cn-local-1_theirs")
	u := e.addUser(t, "erin", []string{"cn-local-1"}, []string{"*"}, nil)
	owner := e.addUser(t, "frank", []string{"cn-local-1_theirs"}, []string{"*"}, nil)

	status, body, _ := e.do(t, http.MethodPost, "/v3/"+theirs.ID+"/keypairs",
		map[string]any{"keypair": map[string]any{"name": "theirs"}}, withAKSK(t, owner.ak, owner.sk))
	require.Equal(t, http.StatusOK, status, body)

	var answers []map[string]any
	for _, project := range []string{theirs.ID, newID()} {
		for _, path := range []string{"/keypairs", "/keypairs/theirs"} {
			status, body, _ := e.do(t, http.MethodGet, "/v3/"+project+path, nil, withAKSK(t, u.ak, u.sk))
			requireError(t, http.StatusForbidden, "CPS.0001", status, body)
			delete(body, "request_id")
			answers = append(answers, body)
		}
	}
	for _, a := range answers[1:] {
		require.Equal(t, answers[0], a, "the refusal does not tell whether the project exists")
	}

	// Project discovery only shows usable projects.
	status, body, _ = e.do(t, http.MethodGet, "/v3/projects", nil, withAKSK(t, u.ak, u.sk))
	require.Equal(t, http.StatusOK, status)
	projects := body["projects"].([]any)
	require.Len(t, projects, 1)
	require.Equal(t, "cn-local-1", projects[0].(map[string]any)["name"])
}

func mustUser(t *testing.T, e *env, name string) *store.User {
	t.Helper()
	d, err := e.st.DomainGet(context.Background(), &store.DomainGetParams{Name: BootstrapDomain})
	require.NoError(t, err)
	u, err := e.st.UserGet(context.Background(), &store.UserGetParams{DomainID: d.ID, Name: name})
	require.NoError(t, err)
	return u
}
