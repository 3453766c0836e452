package cph

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

func (f *serverFixture) encodeStatus(t *testing.T, serverID string) int {
	t.Helper()
	list, err := f.svc.ListEncodeServers(t.Context(), &EncodeServerFilter{ProjectID: sopsProject, ServerID: serverID})
	require.NoError(t, err)
	require.Len(t, list, 1)
	return list[0].Status
}

// An encode server restart shows 3 from the request until its job ends, then 1.
func TestRestartEncodeServers(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	srv := f.buy(t, purchase(t))[0]
	enc := derivedID(srv.ID, "encode-server")
	require.Equal(t, EncodeRunning, f.encodeStatus(t, srv.ID))

	f.pause()
	jobs, err := f.svc.RestartEncodeServers(ctx, sopsProject, "enc", []string{enc})
	require.NoError(t, err)
	require.Equal(t, []api.EncodeServerJob{{EncodeServerID: enc, JobID: jobs[0].JobID}}, jobs)
	require.NotEmpty(t, jobs[0].JobID)
	require.Equal(t, EncodeRestarting, f.encodeStatus(t, srv.ID))
	filtered, err := f.svc.ListEncodeServers(ctx, &EncodeServerFilter{ProjectID: sopsProject, Status: ptr(EncodeRestarting)})
	require.NoError(t, err)
	require.Len(t, filtered, 1, "status=3 finds it")
	require.Equal(t, store.ServerRunning, f.server(t, srv.ID).Status, "the server itself runs on")

	f.resume()
	j := f.waitJob(t, jobs[0].JobID)
	require.Equal(t, store.JobSuccess, j.Status)
	require.Equal(t, srv.ID, j.ServerID)
	require.Equal(t, EncodeRunning, f.encodeStatus(t, srv.ID))
}

// Every rule of an encode server restart, one row each.
func TestRestartEncodeServerRules(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	servers := f.buy(t, func() *api.CreateServersRequest { r := purchase(t); r.Count = ptr(2); return r }())
	srv := servers[0]
	enc := derivedID(srv.ID, "encode-server")
	f.pause()

	_, err := f.svc.RestartEncodeServers(ctx, sopsProject, "r", nil)
	requireOpCode(t, CPS0122, err)
	_, err = f.svc.RestartEncodeServers(ctx, sopsProject, "r", make([]string, MaxServersPerBatch+1))
	requireOpCode(t, CPS0122, err)

	for _, tc := range []struct {
		name    string
		id      string
		project string
		status  *int // the server's status
		encode  *int // the encode server's own status
		code    Code
	}{
		{name: "Malformed", id: "encoder", code: CPS0121},
		{name: "Unknown", id: store.NewID(), code: CPS0123},
		{name: "AServerIDIsNotAnEncodeServerID", id: srv.ID, code: CPS0123},
		{name: "AnotherProjects", project: sopsOther, code: CPS0123},
		{name: "BeingCreated", status: ptr(store.ServerCreating), code: CPS0124},
		{name: "BeingSwitched", status: ptr(store.ServerChanging), code: CPS0124},
		{name: "Restarting", encode: ptr(EncodeRestarting), code: CPS0349},
		{name: "Frozen", status: ptr(store.ServerFrozen), code: CPS0195},
		{name: "AbnormalMayRestart", status: ptr(store.ServerAbnormal)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, project := enc, sopsProject
			if tc.id != "" {
				id = tc.id
			}
			if tc.project != "" {
				project = tc.project
			}
			if tc.status != nil {
				f.setServerStatus(t, srv.ID, *tc.status)
				defer f.setServerStatus(t, srv.ID, store.ServerRunning)
			}
			if tc.encode != nil {
				require.NoError(t, f.st.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: sopsProject, ID: srv.ID, EncodeServerStatus: tc.encode}))
			}
			defer func() {
				running := EncodeRunning
				require.NoError(t, f.st.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: sopsProject, ID: srv.ID, EncodeServerStatus: &running}))
			}()
			other := derivedID(servers[1].ID, "encode-server")
			jobs, err := f.svc.RestartEncodeServers(ctx, project, "r-"+tc.name, []string{id, other})
			require.NoError(t, err)
			require.Len(t, jobs, 2)
			require.Equal(t, id, jobs[0].EncodeServerID)
			require.Equal(t, string(tc.code), jobs[0].ErrorCode)
			require.Equal(t, tc.code == "", jobs[0].JobID != "")
			if project == sopsProject {
				require.NotEmpty(t, jobs[1].JobID, "the rest of the batch proceeds")
			}
			// Clear the other server's restart for the next row.
			running := EncodeRunning
			require.NoError(t, f.st.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: sopsProject, ID: servers[1].ID, EncodeServerStatus: &running}))
		})
	}
}
