package cph

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/runtime/sim"
	"github.com/opencph/opencph/internal/store"
	"github.com/opencph/opencph/internal/store/sqlite"
)

const (
	sopsProject = "fedcba9876543210fedcba9876543210"
	sopsOther   = "00112233445566778899aabbccddeeff"
	sopsKG      = "physical.kg1.4xlarge.cp"
	sopsRX1     = "physical.rx1.xlarge"
	sopsRX2     = "physical.rx2.32xlarge.4"
	sopsRX3     = "physical.rx3.32xlarge.4"
	sopsKeypair = "adb-key"
)

// serverFixture is the domain service over a real SQLite store, the sim runtime and a job engine
// that tests can pause, so that transitional statuses stay put while they look.
type serverFixture struct {
	svc    *Service
	st     store.Store
	sim    *sim.Driver
	eng    *job.Engine
	cancel context.CancelFunc
}

func setupServerOps(t *testing.T) *serverFixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "cph.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	drv, err := sim.New(sim.Config{DataDir: t.TempDir(), Hosts: []sim.HostPool{
		{ServerModelName: sopsKG, Count: 3, IPPrefix: "10.8.0"},
		{ServerModelName: sopsRX2, Count: 1, IPPrefix: "10.8.1"},
		{ServerModelName: sopsRX3, Count: 1, IPPrefix: "10.8.2"},
	}})
	require.NoError(t, err)
	eng := job.New(st, job.Config{Classify: ClassifyJobError, Poll: 5 * time.Millisecond})
	keypairs := func(_ context.Context, projectID, name string) (bool, error) {
		return projectID == sopsProject && name == sopsKeypair, nil
	}
	svc := New(Config{Region: "test", AvailabilityZones: []string{"test-1a"}},
		Deps{Store: st, Runtime: drv, Catalog: DefaultCatalog(), Jobs: eng, Keypairs: keypairs})
	require.NoError(t, svc.SyncInventory(ctx))
	f := &serverFixture{svc: svc, st: st, sim: drv, eng: eng}
	f.resume()
	t.Cleanup(f.pause)
	return f
}

// pause stops the engine once its running jobs have returned; queued jobs stay queued.
func (f *serverFixture) pause() {
	if f.cancel != nil {
		f.cancel()
		f.eng.Wait()
		f.cancel = nil
	}
}

func (f *serverFixture) resume() {
	ctx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	f.eng.Start(ctx)
}

// purchase is 5.1.4's example as a client sends it, without a keypair.
func purchase(t *testing.T) *api.CreateServersRequest {
	t.Helper()
	req := baseline(t)
	req.KeypairName = nil
	req.AvailabilityZone = ""
	return req
}

// purchase20 buys a 2.0 server of 20 phones on rx2, which can change model to rx3.
func purchase20(t *testing.T) *api.CreateServersRequest {
	t.Helper()
	req := purchase(t)
	req.ServerModelName, req.PhoneModelName = sopsRX2, "rc2.pro_max"
	req.PhoneDataVolume = &api.PhoneDataVolume{VolumeType: "SSD", Size: 64}
	return req
}

// buy purchases servers and waits until they are provisioned.
func (f *serverFixture) buy(t *testing.T, req *api.CreateServersRequest) []*store.Server {
	t.Helper()
	resp, err := f.svc.CreateServers(t.Context(), sopsProject, store.NewID(), req)
	require.NoError(t, err)
	f.waitRequest(t, resp.RequestID)
	out := make([]*store.Server, len(resp.ServerIDs))
	for i, id := range resp.ServerIDs {
		out[i] = f.server(t, id)
	}
	return out
}

// waitRequest waits until every job of a request has ended and returns them.
func (f *serverFixture) waitRequest(t *testing.T, requestID string) []api.Job {
	t.Helper()
	var jobs []api.Job
	require.Eventually(t, func() bool {
		var err error
		jobs, err = f.svc.ListJobs(t.Context(), sopsProject, []string{requestID}, store.Page{})
		require.NoError(t, err)
		for _, j := range jobs {
			if j.Status == store.JobRunning {
				return false
			}
		}
		return len(jobs) > 0
	}, 20*time.Second, 5*time.Millisecond)
	return jobs
}

// waitJob waits until one job has ended.
func (f *serverFixture) waitJob(t *testing.T, id string) *api.Job {
	t.Helper()
	var j *api.Job
	require.Eventually(t, func() bool {
		var err error
		j, err = f.svc.GetJob(t.Context(), sopsProject, id)
		require.NoError(t, err)
		return j.Status != store.JobRunning
	}, 20*time.Second, 5*time.Millisecond)
	return j
}

func (f *serverFixture) server(t *testing.T, id string) *store.Server {
	t.Helper()
	srv, err := f.st.ServerGet(t.Context(), sopsProject, id)
	require.NoError(t, err)
	return srv
}

func (f *serverFixture) phones(t *testing.T, serverID string) []store.Phone {
	t.Helper()
	phones, _, err := f.st.PhoneList(t.Context(), &store.PhoneListParams{ProjectID: sopsProject, ServerID: serverID})
	require.NoError(t, err)
	return phones
}

func (f *serverFixture) setServerStatus(t *testing.T, id string, status int) {
	t.Helper()
	require.NoError(t, f.st.ServerUpdate(t.Context(), &store.ServerUpdateParams{ProjectID: sopsProject, ID: id, Status: &status}))
}

func (f *serverFixture) setPhoneStatus(t *testing.T, id string, status int) {
	t.Helper()
	require.NoError(t, f.st.PhoneUpdate(t.Context(), &store.PhoneUpdateParams{ProjectID: sopsProject, ID: id, Status: &status}))
}

func statuses(phones []store.Phone) map[int]int {
	out := map[int]int{}
	for _, ph := range phones {
		out[ph.Status]++
	}
	return out
}

func requireOpCode(t *testing.T, want Code, err error) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, want, AsError(err).Code, "%v", err)
}

// A server restart moves the server to 13 and its phones to 4 in the request's transaction, and
// its one job brings them back: phones 2, server 5, their data kept.
func TestRestartServer(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	srv := f.buy(t, purchase(t))[0]
	phones := f.phones(t, srv.ID)
	require.NoError(t, f.sim.WriteDataFile(ctx, phones[0].ID, "kept.txt", []byte("data")))

	f.pause()
	jobs, err := f.svc.RestartServers(ctx, sopsProject, "req-restart", []string{srv.ID})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	require.Equal(t, srv.ID, jobs[0].ServerID)
	require.NotEmpty(t, jobs[0].JobID)
	require.Empty(t, jobs[0].ErrorCode)
	require.Equal(t, store.ServerStarting, f.server(t, srv.ID).Status)
	require.Equal(t, map[int]int{store.PhoneRestarting: 20}, statuses(f.phones(t, srv.ID)))
	list, err := f.svc.ListEncodeServers(ctx, &EncodeServerFilter{ProjectID: sopsProject})
	require.NoError(t, err)
	require.Equal(t, EncodeAbnormal, list[0].Status, "the encode server is not running while its server restarts")

	f.resume()
	j := f.waitJob(t, jobs[0].JobID)
	require.Equal(t, store.JobSuccess, j.Status, "%+v", j)
	require.Equal(t, srv.ID, j.ServerID)
	require.Equal(t, "20 phones restarted, 0 failed", j.ExecuteMsg)
	require.Equal(t, store.ServerRunning, f.server(t, srv.ID).Status)
	after := f.phones(t, srv.ID)
	require.Equal(t, map[int]int{store.PhoneRunning: 20}, statuses(after))
	b, err := f.sim.ReadDataFile(ctx, phones[0].ID, "kept.txt")
	require.NoError(t, err)
	require.Equal(t, "data", string(b), "a restart keeps the phones' data")
}

// Every rule of a server batch-restart, one row each: whole-request codes change nothing, and a
// refused server is its own entry while the others proceed.
func TestRestartServerRules(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	servers := f.buy(t, func() *api.CreateServersRequest { r := purchase(t); r.Count = ptr(3); return r }())
	f.pause()

	t.Run("EmptyList", func(t *testing.T) {
		_, err := f.svc.RestartServers(ctx, sopsProject, "r", nil)
		requireOpCode(t, CPS0095, err)
	})
	t.Run("MoreThan100", func(t *testing.T) {
		ids := make([]string, MaxServersPerBatch+1)
		for i := range ids {
			ids[i] = servers[0].ID
		}
		_, err := f.svc.RestartServers(ctx, sopsProject, "r", ids)
		requireOpCode(t, CPS0096, err)
		require.Equal(t, store.ServerRunning, f.server(t, servers[0].ID).Status, "a refused request changes nothing")
	})

	srv := servers[0]
	for _, tc := range []struct {
		name  string
		setup func(t *testing.T) string // returns the id to restart
		code  Code
	}{
		{"MalformedID", func(*testing.T) string { return "not-a-server" }, CPS0097},
		{"UnknownServer", func(*testing.T) string { return store.NewID() }, CPS0015},
		{"AnotherProjectsServer", func(*testing.T) string { return srv.ID }, CPS0015},
		{"ServerBeingCreated", func(t *testing.T) string { f.setServerStatus(t, srv.ID, store.ServerCreating); return srv.ID }, CPS0158},
		{"ServerFrozen", func(t *testing.T) string { f.setServerStatus(t, srv.ID, store.ServerFrozen); return srv.ID }, CPS0158},
		{"ServerBeingSwitched", func(t *testing.T) string { f.setServerStatus(t, srv.ID, store.ServerChanging); return srv.ID }, CPS1105},
		{"ServerRestarting", func(t *testing.T) string { f.setServerStatus(t, srv.ID, store.ServerStarting); return srv.ID }, CPS0349},
		{"PhoneInAnotherOperation", func(t *testing.T) string {
			f.setPhoneStatus(t, f.phones(t, srv.ID)[3].ID, store.PhoneResetting)
			return srv.ID
		}, CPS0349},
		{"PhoneWithAJobRunning", func(t *testing.T) string {
			ph := f.phones(t, srv.ID)[5]
			require.NoError(t, f.st.JobInsert(ctx, &store.Job{ID: store.NewID(), ProjectID: sopsProject,
				RequestID: "other", Kind: "phone.update_property", ServerID: srv.ID, PhoneID: ph.ID,
				Status: store.JobRunning, BeginTime: time.Now(), RunAfter: time.Now().Add(time.Hour)}))
			return srv.ID
		}, CPS0349},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.setup(t)
			project := sopsProject
			if tc.name == "AnotherProjectsServer" {
				project = sopsOther
			}
			before := f.phones(t, srv.ID)
			beforeSrv := f.server(t, srv.ID)
			jobs, err := f.svc.RestartServers(ctx, project, "r-"+tc.name, []string{id})
			require.NoError(t, err)
			require.Len(t, jobs, 1)
			require.Equal(t, id, jobs[0].ServerID)
			require.Empty(t, jobs[0].JobID)
			require.Equal(t, string(tc.code), jobs[0].ErrorCode)
			require.True(t, strings.HasPrefix(jobs[0].ErrorMsg, strings.TrimSuffix(tc.code.Message(), ".")), jobs[0].ErrorMsg)
			require.Equal(t, before, f.phones(t, srv.ID), "a refused server's phones are untouched")
			require.Equal(t, beforeSrv, f.server(t, srv.ID))
			// Back to running for the next row; the phones too.
			f.setServerStatus(t, srv.ID, store.ServerRunning)
			for _, ph := range f.phones(t, srv.ID) {
				if ph.Status != store.PhoneRunning {
					f.setPhoneStatus(t, ph.ID, store.PhoneRunning)
				}
			}
		})
	}
}

// A batch that mixes servers, unknown and malformed ids answers in the request's order, and the
// valid servers restart.
func TestRestartServersMixedBatch(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	servers := f.buy(t, func() *api.CreateServersRequest { r := purchase(t); r.Count = ptr(2); return r }())
	unknown := store.NewID()
	ids := []string{servers[0].ID, unknown, "bad", servers[1].ID, servers[0].ID}
	jobs, err := f.svc.RestartServers(ctx, sopsProject, "mixed", ids)
	require.NoError(t, err)
	require.Len(t, jobs, 5)
	for i, id := range ids {
		require.Equal(t, id, jobs[i].ServerID)
	}
	require.NotEmpty(t, jobs[0].JobID)
	require.Equal(t, "CPS.0015", jobs[1].ErrorCode)
	require.Equal(t, "CPS.0097", jobs[2].ErrorCode)
	require.NotEmpty(t, jobs[3].JobID)
	require.Equal(t, "CPS.0349", jobs[4].ErrorCode, "the same server twice in one batch: the second overlaps the first")
	listed := f.waitRequest(t, "mixed")
	require.Len(t, listed, 2, "only accepted servers have jobs")
	for _, j := range listed {
		require.Equal(t, store.JobSuccess, j.Status)
	}
	for _, s := range servers {
		require.Equal(t, store.ServerRunning, f.server(t, s.ID).Status)
	}
}

// A phone whose restart fails ends -6 and makes its server abnormal; the job fails with CPS.0260.
// Restarting the abnormal server again recovers it.
func TestRestartServerPhoneFails(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	srv := f.buy(t, purchase(t))[0]
	bad := f.phones(t, srv.ID)[7].ID
	f.sim.SetFault(sim.OpRestart, sim.Fault{Err: errors.New("boot loop"), PhoneID: bad, Times: 1})

	jobs, err := f.svc.RestartServers(ctx, sopsProject, "fail", []string{srv.ID})
	require.NoError(t, err)
	j := f.waitJob(t, jobs[0].JobID)
	require.Equal(t, store.JobFailed, j.Status)
	require.Equal(t, "CPS.0260", j.ErrorCode)
	require.Equal(t, "19 phones restarted, 1 failed", j.ExecuteMsg)
	require.Equal(t, store.ServerAbnormal, f.server(t, srv.ID).Status)
	require.Equal(t, map[int]int{store.PhoneRunning: 19, store.PhoneRestartFailed: 1}, statuses(f.phones(t, srv.ID)))

	jobs, err = f.svc.RestartServers(ctx, sopsProject, "again", []string{srv.ID})
	require.NoError(t, err)
	require.Equal(t, store.JobSuccess, f.waitJob(t, jobs[0].JobID).Status)
	require.Equal(t, store.ServerRunning, f.server(t, srv.ID).Status)
}

// A phone whose creation failed has nothing to restart: restarting its server creates it.
func TestRestartServerCreatesFailedPhones(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	f.sim.SetFault(sim.OpCreate, sim.Fault{Err: errors.New("no disk"), Times: 2})
	srv := f.buy(t, purchase(t))[0]
	require.Equal(t, store.ServerAbnormal, srv.Status)
	require.Equal(t, 2, statuses(f.phones(t, srv.ID))[store.PhoneCreateFailed])

	jobs, err := f.svc.RestartServers(ctx, sopsProject, "heal", []string{srv.ID})
	require.NoError(t, err)
	require.Equal(t, store.JobSuccess, f.waitJob(t, jobs[0].JobID).Status)
	require.Equal(t, store.ServerRunning, f.server(t, srv.ID).Status)
	require.Equal(t, map[int]int{store.PhoneRunning: 20}, statuses(f.phones(t, srv.ID)))
}

// A restart job that ran without finishing (its worker died after the runtime work) runs again
// to the same end: the phones it already brought back are left alone.
func TestRestartServerJobRepeats(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	srv := f.buy(t, purchase(t))[0]
	f.pause()
	jobs, err := f.svc.RestartServers(ctx, sopsProject, "crash", []string{srv.ID})
	require.NoError(t, err)
	j, err := f.st.JobGet(ctx, sopsProject, jobs[0].JobID)
	require.NoError(t, err)
	out := f.svc.runServerRestart(ctx, j) // the run whose finish was lost
	require.NoError(t, out.Err)
	require.Equal(t, map[int]int{store.PhoneRunning: 20}, statuses(f.phones(t, srv.ID)), "progress is shown phone by phone")
	require.Equal(t, store.ServerStarting, f.server(t, srv.ID).Status)

	f.resume()
	done := f.waitJob(t, jobs[0].JobID)
	require.Equal(t, store.JobSuccess, done.Status)
	require.Equal(t, "0 phones restarted, 0 failed", done.ExecuteMsg, "the second run had nothing left to do")
	require.Equal(t, store.ServerRunning, f.server(t, srv.ID).Status)
}

// A phone shown back during a server restart may be taken by an operation of its own before the
// restart job finishes; the job's finish leaves that phone to its operation.
func TestRestartServerLeavesPhonesTakenMeanwhile(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	srv := f.buy(t, purchase(t))[0]
	f.pause()
	jobs, err := f.svc.RestartServers(ctx, sopsProject, "r", []string{srv.ID})
	require.NoError(t, err)
	j, err := f.st.JobGet(ctx, sopsProject, jobs[0].JobID)
	require.NoError(t, err)
	out := f.svc.runServerRestart(ctx, j)
	require.NoError(t, out.Err)

	taken := f.phones(t, srv.ID)[0].ID
	f.setPhoneStatus(t, taken, store.PhoneResetting)
	require.NoError(t, f.st.JobInsert(ctx, &store.Job{ID: store.NewID(), ProjectID: sopsProject, RequestID: "reset",
		Kind: "phone.reset", ServerID: srv.ID, PhoneID: taken, Status: store.JobRunning,
		BeginTime: time.Now(), RunAfter: time.Now().Add(time.Hour)}))
	require.NoError(t, f.st.InTx(ctx, func(tx store.Store) error { return out.Apply(ctx, tx) }))
	ph, err := f.st.PhoneGet(ctx, sopsProject, taken)
	require.NoError(t, err)
	require.Equal(t, store.PhoneResetting, ph.Status)
	require.Equal(t, store.ServerRunning, f.server(t, srv.ID).Status, "the restart itself succeeded")
}

// Open-access gives each server its keypair through a job; every per-server rule is its own
// entry, and the whole request is refused only for the list itself.
func TestUpdateKeypairs(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	servers := f.buy(t, func() *api.CreateServersRequest { r := purchase(t); r.Count = ptr(2); return r }())
	creating := servers[1]
	f.setServerStatus(t, creating.ID, store.ServerCreating)

	_, err := f.svc.UpdateKeypairs(ctx, sopsProject, "r", &api.UpdateKeypairRequest{})
	requireOpCode(t, CPS0095, err)
	_, err = f.svc.UpdateKeypairs(ctx, sopsProject, "r", &api.UpdateKeypairRequest{Servers: make([]api.ServerKeypair, 101)})
	requireOpCode(t, CPS0096, err)

	req := &api.UpdateKeypairRequest{Servers: []api.ServerKeypair{
		{ServerID: servers[0].ID, KeypairName: sopsKeypair},
		{ServerID: store.NewID(), KeypairName: sopsKeypair},
		{ServerID: "nope", KeypairName: sopsKeypair},
		{ServerID: servers[0].ID, KeypairName: ""},
		{ServerID: servers[0].ID, KeypairName: "missing"},
		{ServerID: servers[0].ID, KeypairName: strings.Repeat("k", 65)},
		{ServerID: creating.ID, KeypairName: sopsKeypair},
	}}
	jobs, err := f.svc.UpdateKeypairs(ctx, sopsProject, "kp", req)
	require.NoError(t, err)
	want := []string{"", "CPS.0015", "CPS.0097", "CPS.0068", "CPS.0067", "CPS.0067", "CPS.0099"}
	for i, w := range want {
		require.Equal(t, req.Servers[i].ServerID, jobs[i].ServerID)
		require.Equal(t, w, jobs[i].ErrorCode, "entry %d: %+v", i, jobs[i])
		require.Equal(t, w == "", jobs[i].JobID != "")
	}
	j := f.waitJob(t, jobs[0].JobID)
	require.Equal(t, store.JobSuccess, j.Status)
	require.Equal(t, sopsKeypair, f.server(t, servers[0].ID).KeypairName)
	require.Empty(t, f.server(t, creating.ID).KeypairName)

	// Another project reaches neither this project's servers nor its keypairs.
	jobs, err = f.svc.UpdateKeypairs(ctx, sopsOther, "kp2", &api.UpdateKeypairRequest{Servers: []api.ServerKeypair{
		{ServerID: servers[0].ID, KeypairName: sopsKeypair}}})
	require.NoError(t, err)
	require.Equal(t, "CPS.0015", jobs[0].ErrorCode)
}

// A shared bandwidth's resize reaches the host of every server that uses it, and only those.
func TestUpdateBandwidthAppliesToHosts(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	shared := store.NewID()
	req := purchase(t)
	req.Count = ptr(2)
	req.BandWidth = &api.BandWidth{BandWidthID: shared, BandWidthChargeMode: ptr(0), BandWidthShareType: ptr(BandwidthShared)}
	sharing := f.buy(t, req)
	alone := f.buy(t, purchase(t))[0]

	require.NoError(t, f.svc.UpdateBandwidth(ctx, sopsProject, shared, ptr(350)))
	for _, srv := range sharing {
		h, err := f.st.HostGetByServer(ctx, srv.ID)
		require.NoError(t, err)
		got, err := f.sim.HostBandwidth(h.ID)
		require.NoError(t, err)
		require.Equal(t, 350, got)
	}
	h, err := f.st.HostGetByServer(ctx, alone.ID)
	require.NoError(t, err)
	got, err := f.sim.HostBandwidth(h.ID)
	require.NoError(t, err)
	require.Zero(t, got, "a server on another bandwidth keeps its host's")

	err = f.svc.UpdateBandwidth(ctx, sopsProject, alone.BandwidthID, ptr(400))
	requireOpCode(t, CPS0160, err)
	got, err = f.sim.HostBandwidth(h.ID)
	require.NoError(t, err)
	require.Zero(t, got, "a refused resize reaches no host")
	bw, err := f.st.BandwidthGet(ctx, sopsProject, shared)
	require.NoError(t, err)
	require.Equal(t, 350, bw.Size)
}

// The jobs of a server batch show the server, as 5.4 lists them.
func TestServerJobPayloadIsTheServer(t *testing.T) {
	t.Parallel()
	var p serverJob
	b, err := json.Marshal(serverChangeJob{ServerID: "s", RemovedPhoneIDs: []string{"a"}})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &p))
	require.Equal(t, "s", p.ServerID, "a switch's job payload is read by provisioning as its own")
}
