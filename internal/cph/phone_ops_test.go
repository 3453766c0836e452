package cph

import (
	"context"
	"errors"
	"io/fs"
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
	opsProject     = "0123456789abcdef0123456789abcdef"
	opsServerModel = "physical.kg1.4xlarge.cp"
	opsPhoneModel  = "kg1.cp.c20.d64SSD.e1v1"
	opsImage       = "20060220200717f201120a2300000e91" // cloud_phone_1620, as the phone model
	opsImage11     = "20230915202310201b11a0c1600000a1" // cloud_phone_1620, AOSP 11
	opsGameImage   = "20230915202310201b11a0c1600000b2" // cloud_game_1620: does not fit
)

// opsFixture is a domain service over a real SQLite store and the sim runtime, with one server
// whose phones tests add one by one.
type opsFixture struct {
	svc    *Service
	st     store.Store
	sim    *sim.Driver
	server *store.Server
	host   *store.Host
	phones int
}

// setupPhoneOps builds the fixture; with run the job engine works the queue, without it jobs
// stay queued so that the phones stay in their transitional statuses.
func setupPhoneOps(t *testing.T, run bool) *opsFixture {
	t.Helper()
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "cph.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	drv, err := sim.New(sim.Config{DataDir: t.TempDir(),
		Hosts: []sim.HostPool{{ServerModelName: opsServerModel, Count: 1, IPPrefix: "10.9.0"}}})
	require.NoError(t, err)
	eng := job.New(st, job.Config{Classify: ClassifyJobError, Poll: 5 * time.Millisecond})
	svc := New(Config{Region: "test"}, Deps{Store: st, Runtime: drv, Catalog: DefaultCatalog(), Jobs: eng})
	require.NoError(t, svc.SyncInventory(ctx))

	srv := &store.Server{ID: store.NewID(), ProjectID: opsProject, Name: "srv", ServerModelName: opsServerModel,
		PhoneModelName: opsPhoneModel, ImageID: opsImage, Status: store.ServerRunning}
	host, err := st.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: opsServerModel, ServerID: srv.ID})
	require.NoError(t, err)
	srv.HostID = host.ID
	require.NoError(t, st.ServerInsert(ctx, srv))
	if run {
		runCtx, cancel := context.WithCancel(context.Background())
		eng.Start(runCtx)
		t.Cleanup(func() { cancel(); eng.Wait() })
	}
	return &opsFixture{svc: svc, st: st, sim: drv, server: srv, host: host}
}

// phone adds a phone in status; every phone that has ever booted exists in the runtime, in the
// state its status says.
func (f *opsFixture) phone(t *testing.T, status int) *store.Phone {
	t.Helper()
	ctx := t.Context()
	ph := &store.Phone{ID: store.NewID(), ProjectID: opsProject, ServerID: f.server.ID,
		Name: "phone", PhoneModelName: opsPhoneModel, ImageID: opsImage, Status: status,
		TrafficType: TrafficDirect, VolumeType: "SSD", VolumeSize: 64, Index: f.phones}
	f.phones++
	require.NoError(t, f.st.PhoneInsert(ctx, ph))
	pa, err := f.st.PortAllocate(ctx, &store.PortAllocateParams{HostID: f.host.ID, PhoneID: ph.ID,
		Name: "adb", Min: 20000, Max: 60000})
	require.NoError(t, err)
	if status == store.PhoneCreating || status == store.PhoneCreateFailed {
		return ph
	}
	_, err = f.sim.CreatePhone(ctx, f.svc.phoneSpec(f.server, f.host, ph, map[string]int{"adb": pa.Port}))
	require.NoError(t, err)
	if status == store.PhoneStopped {
		require.NoError(t, f.sim.StopPhone(ctx, ph.ID))
	}
	return ph
}

func (f *opsFixture) get(t *testing.T, id string) *store.Phone {
	t.Helper()
	ph, err := f.st.PhoneGet(t.Context(), opsProject, id)
	require.NoError(t, err)
	return ph
}

// waitJob waits until the job has ended and returns it.
func (f *opsFixture) waitJob(t *testing.T, id string) *store.Job {
	t.Helper()
	var j *store.Job
	require.Eventually(t, func() bool {
		var err error
		j, err = f.st.JobGet(t.Context(), opsProject, id)
		require.NoError(t, err)
		return j.Status != store.JobRunning
	}, 10*time.Second, 5*time.Millisecond)
	return j
}

// Which statuses each operation accepts, and the code it refuses the others with.
func TestPhoneOpStatusRules(t *testing.T) {
	t.Parallel()
	type submit func(f *opsFixture, id string) ([]api.PhoneJob, error)
	restart := func(f *opsFixture, id string) ([]api.PhoneJob, error) {
		return f.svc.RestartPhones(t.Context(), opsProject, "r", &api.RestartCloudPhoneRequestBody{Phones: []api.PhoneProperty{{PhoneID: id}}})
	}
	reset := func(f *opsFixture, id string) ([]api.PhoneJob, error) {
		return f.svc.ResetPhones(t.Context(), opsProject, "r", &api.ResetCloudPhoneRequestBody{Phones: []api.PhoneProperty{{PhoneID: id}}})
	}
	stop := func(f *opsFixture, id string) ([]api.PhoneJob, error) {
		return f.svc.StopPhones(t.Context(), opsProject, "r", &api.StopCloudPhoneRequestBody{PhoneIDs: []string{id}})
	}
	update := func(f *opsFixture, id string) ([]api.PhoneJob, error) {
		return f.svc.UpdatePhoneProperties(t.Context(), opsProject, "r", &api.UpdateCloudPhonePropertyRequestBody{
			Phones: []api.PropertyToUpdate{{PhoneID: id, Property: `{"ro.install.auto":"1"}`}}})
	}
	traffic := func(f *opsFixture, id string) ([]api.PhoneJob, error) {
		return f.svc.SetPhonesTraffic(t.Context(), opsProject, "r", &api.ImportTrafficRequestBody{TrafficType: TrafficRouting, PhoneIDs: []string{id}})
	}
	expand := func(f *opsFixture, id string) ([]api.PhoneJob, error) {
		return f.svc.ExpandPhoneVolumes(t.Context(), opsProject, "r", &api.ExpandPhoneDataVolumeSizeRequestBody{
			Phones: []api.PhoneDataVolumeSize{{PhoneID: id, NewSize: ptr(128)}}})
	}
	tests := []struct {
		name   string
		op     submit
		status int
		code   Code // "" accepted
		during int  // the status an accepted phone moves to; 0 keeps it
	}{
		{"restart running", restart, store.PhoneRunning, "", store.PhoneRestarting},
		{"restart starts a stopped phone", restart, store.PhoneStopped, "", store.PhoneRestarting},
		{"restart retries restart-failed", restart, store.PhoneRestartFailed, "", store.PhoneRestarting},
		{"restart repairs reset-failed", restart, store.PhoneResetFailed, "", store.PhoneRestarting},
		{"restart repairs stop-failed", restart, store.PhoneStopFailed, "", store.PhoneRestarting},
		{"restart repairs abnormal", restart, store.PhoneAbnormal, "", store.PhoneRestarting},
		{"restart refuses create-failed", restart, store.PhoneCreateFailed, CPS0165, 0},
		{"restart refuses creating", restart, store.PhoneCreating, CPS0213, 0},
		{"restart refuses frozen", restart, store.PhoneFrozen, CPS0053, 0},
		{"restart refuses restarting", restart, store.PhoneRestarting, CPS0349, 0},
		{"reset running", reset, store.PhoneRunning, "", store.PhoneResetting},
		{"reset stopped", reset, store.PhoneStopped, "", store.PhoneResetting},
		{"reset retries reset-failed", reset, store.PhoneResetFailed, "", store.PhoneResetting},
		{"reset repairs abnormal", reset, store.PhoneAbnormal, "", store.PhoneResetting},
		{"reset refuses create-failed", reset, store.PhoneCreateFailed, CPS0165, 0},
		{"reset refuses stopping", reset, store.PhoneStopping, CPS0349, 0},
		{"stop running", stop, store.PhoneRunning, "", store.PhoneStopping},
		{"stop retries stop-failed", stop, store.PhoneStopFailed, "", store.PhoneStopping},
		{"stop refuses stopped", stop, store.PhoneStopped, CPS0141, 0},
		{"stop refuses restart-failed", stop, store.PhoneRestartFailed, CPS0141, 0},
		{"stop refuses resetting", stop, store.PhoneResetting, CPS0349, 0},
		{"update-property on running", update, store.PhoneRunning, "", 0},
		{"update-property on stopped", update, store.PhoneStopped, "", 0},
		{"update-property on abnormal", update, store.PhoneAbnormal, "", 0},
		{"update-property refuses restarting", update, store.PhoneRestarting, CPS0349, 0},
		{"traffic on stopped", traffic, store.PhoneStopped, "", 0},
		{"traffic refuses creating", traffic, store.PhoneCreating, CPS0213, 0},
		{"expand on running", expand, store.PhoneRunning, "", 0},
		{"expand refuses frozen", expand, store.PhoneFrozen, CPS0053, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setupPhoneOps(t, false)
			ph := f.phone(t, tt.status)
			jobs, err := tt.op(f, ph.ID)
			require.NoError(t, err)
			require.Len(t, jobs, 1)
			require.Equal(t, ph.ID, jobs[0].PhoneID)
			require.Equal(t, string(tt.code), jobs[0].ErrorCode)
			want := tt.status
			if tt.code == "" {
				require.Regexp(t, `^[0-9a-f]{32}$`, jobs[0].JobID)
				if tt.during != 0 {
					want = tt.during
				}
			} else {
				require.Empty(t, jobs[0].JobID)
				require.NotEmpty(t, jobs[0].ErrorMsg)
			}
			require.Equal(t, want, f.get(t, ph.ID).Status)
		})
	}
}

// A phone with any job running refuses every other operation, whether or not that job changed
// its status; the first operation of a batch holds the phone for the rest of the batch.
func TestPhoneOpsExclusive(t *testing.T) {
	t.Parallel()
	f := setupPhoneOps(t, false)
	ctx := t.Context()
	ph := f.phone(t, store.PhoneRunning)
	jobs, err := f.svc.SetPhonesTraffic(ctx, opsProject, "r1", &api.ImportTrafficRequestBody{
		TrafficType: TrafficRouting, PhoneIDs: []string{ph.ID, ph.ID}})
	require.NoError(t, err)
	require.NotEmpty(t, jobs[0].JobID)
	require.Equal(t, string(CPS0349), jobs[1].ErrorCode, "the same phone twice in one batch")

	attempts := map[string]func() ([]api.PhoneJob, error){
		"restart": func() ([]api.PhoneJob, error) {
			return f.svc.RestartPhones(ctx, opsProject, "r2", &api.RestartCloudPhoneRequestBody{Phones: []api.PhoneProperty{{PhoneID: ph.ID}}})
		},
		"stop": func() ([]api.PhoneJob, error) {
			return f.svc.StopPhones(ctx, opsProject, "r2", &api.StopCloudPhoneRequestBody{PhoneIDs: []string{ph.ID}})
		},
		"expand": func() ([]api.PhoneJob, error) {
			return f.svc.ExpandPhoneVolumes(ctx, opsProject, "r2", &api.ExpandPhoneDataVolumeSizeRequestBody{
				Phones: []api.PhoneDataVolumeSize{{PhoneID: ph.ID, NewSize: ptr(100)}}})
		},
		"update-property": func() ([]api.PhoneJob, error) {
			return f.svc.UpdatePhoneProperties(ctx, opsProject, "r2", &api.UpdateCloudPhonePropertyRequestBody{
				Phones: []api.PropertyToUpdate{{PhoneID: ph.ID, Property: `{}`}}})
		},
	}
	for name, try := range attempts {
		jobs, err := try()
		require.NoError(t, err, name)
		require.Equal(t, string(CPS0349), jobs[0].ErrorCode, name)
	}
	require.Equal(t, store.PhoneRunning, f.get(t, ph.ID).Status, "refusals change nothing")
}

// Request-level rules fail the whole request with the reference's code and queue nothing.
func TestPhoneOpRequestRules(t *testing.T) {
	t.Parallel()
	f := setupPhoneOps(t, false)
	ph := f.phone(t, store.PhoneRunning)
	ctx := t.Context()
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = ph.ID
		}
		return out
	}
	props := func(n int, prop string) []api.PhoneProperty {
		out := make([]api.PhoneProperty, n)
		for i := range out {
			out[i] = api.PhoneProperty{PhoneID: ph.ID, Property: ptr(prop)}
		}
		return out
	}
	sizes := func(n, size int) []api.PhoneDataVolumeSize {
		out := make([]api.PhoneDataVolumeSize, n)
		for i := range out {
			out[i] = api.PhoneDataVolumeSize{PhoneID: ph.ID, NewSize: ptr(size)}
		}
		return out
	}
	tests := []struct {
		name string
		call func(rid string) ([]api.PhoneJob, error)
		code Code
	}{
		{"restart empty phones", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.RestartPhones(ctx, opsProject, rid, &api.RestartCloudPhoneRequestBody{})
		}, CPS0081},
		{"restart 201 phones", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.RestartPhones(ctx, opsProject, rid, &api.RestartCloudPhoneRequestBody{Phones: props(201, "")})
		}, CPS0209},
		{"restart empty image_id", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.RestartPhones(ctx, opsProject, rid, &api.RestartCloudPhoneRequestBody{ImageID: ptr(""), Phones: props(1, "")})
		}, CPS0029},
		{"restart unknown image", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.RestartPhones(ctx, opsProject, rid, &api.RestartCloudPhoneRequestBody{ImageID: ptr(strings.Repeat("e", 32)), Phones: props(1, "")})
		}, CPS0030},
		{"restart property not an object", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.RestartPhones(ctx, opsProject, rid, &api.RestartCloudPhoneRequestBody{Phones: props(1, "[1]")})
		}, CPS0078},
		{"reset unknown property", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.ResetPhones(ctx, opsProject, rid, &api.ResetCloudPhoneRequestBody{Phones: props(2, `{"x.y":"1"}`)})
		}, CPS0163},
		{"reset empty phones", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.ResetPhones(ctx, opsProject, rid, &api.ResetCloudPhoneRequestBody{})
		}, CPS0081},
		{"stop empty phone_ids", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.StopPhones(ctx, opsProject, rid, &api.StopCloudPhoneRequestBody{})
		}, CPS0009},
		{"stop 201 phone_ids", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.StopPhones(ctx, opsProject, rid, &api.StopCloudPhoneRequestBody{PhoneIDs: many(201)})
		}, CPS0209},
		{"update-property empty phones", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.UpdatePhoneProperties(ctx, opsProject, rid, &api.UpdateCloudPhonePropertyRequestBody{})
		}, CPS0081},
		{"update-property missing property", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.UpdatePhoneProperties(ctx, opsProject, rid, &api.UpdateCloudPhonePropertyRequestBody{
				Phones: []api.PropertyToUpdate{{PhoneID: ph.ID}}})
		}, CPS0078},
		{"update-property bad value of the last phone", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.UpdatePhoneProperties(ctx, opsProject, rid, &api.UpdateCloudPhonePropertyRequestBody{
				Phones: []api.PropertyToUpdate{{PhoneID: ph.ID, Property: `{}`}, {PhoneID: ph.ID, Property: `{"sys.prop.writeimsi":"x"}`}}})
		}, CPS0075},
		{"traffic unknown type", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.SetPhonesTraffic(ctx, opsProject, rid, &api.ImportTrafficRequestBody{TrafficType: "tunnel", PhoneIDs: many(1)})
		}, CPS0207},
		{"traffic empty phone_ids", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.SetPhonesTraffic(ctx, opsProject, rid, &api.ImportTrafficRequestBody{TrafficType: TrafficDirect})
		}, CPS0009},
		{"traffic 101 phones", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.SetPhonesTraffic(ctx, opsProject, rid, &api.ImportTrafficRequestBody{TrafficType: TrafficDirect, PhoneIDs: many(101)})
		}, CPS0209},
		{"expand empty phones", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.ExpandPhoneVolumes(ctx, opsProject, rid, &api.ExpandPhoneDataVolumeSizeRequestBody{})
		}, CPS0081},
		{"expand 151 phones", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.ExpandPhoneVolumes(ctx, opsProject, rid, &api.ExpandPhoneDataVolumeSizeRequestBody{Phones: sizes(151, 100)})
		}, CPS0356},
		{"expand beyond 32768 GiB", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.ExpandPhoneVolumes(ctx, opsProject, rid, &api.ExpandPhoneDataVolumeSizeRequestBody{Phones: sizes(1, 32769)})
		}, CPS0347},
		{"expand without new_size", func(rid string) ([]api.PhoneJob, error) {
			return f.svc.ExpandPhoneVolumes(ctx, opsProject, rid, &api.ExpandPhoneDataVolumeSizeRequestBody{
				Phones: []api.PhoneDataVolumeSize{{PhoneID: ph.ID}}})
		}, CPS0347},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rid := store.NewID()
			_, err := tt.call(rid)
			var ce *Error
			require.True(t, errors.As(err, &ce), "got %v", err)
			require.Equal(t, tt.code, ce.Code)
			queued, _, err := f.st.JobList(ctx, &store.JobListParams{ProjectID: opsProject, RequestIDs: []string{rid}})
			require.NoError(t, err)
			require.Empty(t, queued)
			require.Equal(t, store.PhoneRunning, f.get(t, ph.ID).Status)
		})
	}
}

// Rules that depend on each phone answer per phone, and the rest of the batch proceeds.
func TestPhoneOpPerPhoneRules(t *testing.T) {
	t.Parallel()
	f := setupPhoneOps(t, false)
	ctx := t.Context()
	a, b := f.phone(t, store.PhoneRunning), f.phone(t, store.PhoneRunning)
	unknown, malformed := strings.Repeat("f", 32), "not-a-phone"

	jobs, err := f.svc.RestartPhones(ctx, opsProject, "r1", &api.RestartCloudPhoneRequestBody{
		Phones: []api.PhoneProperty{{PhoneID: unknown}, {PhoneID: a.ID}, {PhoneID: malformed}}})
	require.NoError(t, err)
	require.Equal(t, []string{string(CPS0005), "", string(CPS0004)},
		[]string{jobs[0].ErrorCode, jobs[1].ErrorCode, jobs[2].ErrorCode})
	require.NotEmpty(t, jobs[1].JobID)

	jobs, err = f.svc.ResetPhones(ctx, opsProject, "r2", &api.ResetCloudPhoneRequestBody{
		ImageID: ptr(opsGameImage), Phones: []api.PhoneProperty{{PhoneID: b.ID}, {PhoneID: unknown}}})
	require.NoError(t, err)
	require.Equal(t, string(CPS0222), jobs[0].ErrorCode, "a cloud game image on a cloud phone")
	require.Equal(t, string(CPS0005), jobs[1].ErrorCode)
	require.Equal(t, store.PhoneRunning, f.get(t, b.ID).Status)

	jobs, err = f.svc.ExpandPhoneVolumes(ctx, opsProject, "r3", &api.ExpandPhoneDataVolumeSizeRequestBody{
		Phones: []api.PhoneDataVolumeSize{{PhoneID: b.ID, NewSize: ptr(32)}, {PhoneID: unknown, NewSize: ptr(100)}}})
	require.NoError(t, err)
	require.Equal(t, string(CPS0347), jobs[0].ErrorCode, "64 GiB cannot shrink to 32")
	require.Equal(t, string(CPS0005), jobs[1].ErrorCode)

	jobs, err = f.svc.StopPhones(ctx, strings.Repeat("f", 32), "r4", &api.StopCloudPhoneRequestBody{PhoneIDs: []string{b.ID}})
	require.NoError(t, err)
	require.Equal(t, string(CPS0005), jobs[0].ErrorCode, "another project's phone is unknown")
}

// The runners take each phone along its status path of 5.3.1 and record what was applied.
func TestPhoneOpRunners(t *testing.T) {
	t.Parallel()
	f := setupPhoneOps(t, true)
	ctx := t.Context()
	ph := f.phone(t, store.PhoneRunning)
	require.NoError(t, f.sim.WriteDataFile(ctx, ph.ID, "keep.txt", []byte("x")))

	one := func(jobs []api.PhoneJob, err error) *store.Job {
		t.Helper()
		require.NoError(t, err)
		require.Len(t, jobs, 1)
		require.Empty(t, jobs[0].ErrorCode)
		return f.waitJob(t, jobs[0].JobID)
	}

	j := one(f.svc.StopPhones(ctx, opsProject, "stop", &api.StopCloudPhoneRequestBody{PhoneIDs: []string{ph.ID}}))
	require.Equal(t, store.JobSuccess, j.Status)
	require.Equal(t, store.PhoneStopped, f.get(t, ph.ID).Status)

	j = one(f.svc.RestartPhones(ctx, opsProject, "restart", &api.RestartCloudPhoneRequestBody{ImageID: ptr(opsImage11),
		Phones: []api.PhoneProperty{{PhoneID: ph.ID, Property: ptr(`{"sys.prop.writeimsi":"460021624617113"}`)}}}))
	require.Equal(t, store.JobSuccess, j.Status)
	got := f.get(t, ph.ID)
	require.Equal(t, store.PhoneRunning, got.Status, "restart starts a stopped phone")
	require.Equal(t, opsImage11, got.ImageID)
	require.Equal(t, `{"sys.prop.write_imsi":"460021624617113"}`, got.Property)
	data, err := f.sim.ReadDataFile(ctx, ph.ID, "keep.txt")
	require.NoError(t, err)
	require.Equal(t, "x", string(data), "restart keeps data")

	j = one(f.svc.UpdatePhoneProperties(ctx, opsProject, "update", &api.UpdateCloudPhonePropertyRequestBody{
		Phones: []api.PropertyToUpdate{{PhoneID: ph.ID, Property: `{"persist.sys.locale":"en-US"}`}}}))
	require.Equal(t, store.JobSuccess, j.Status)
	require.Equal(t, `{"persist.sys.locale":"en-US","sys.prop.write_imsi":"460021624617113"}`, f.get(t, ph.ID).Property)

	j = one(f.svc.ResetPhones(ctx, opsProject, "reset", &api.ResetCloudPhoneRequestBody{Phones: []api.PhoneProperty{{PhoneID: ph.ID}}}))
	require.Equal(t, store.JobSuccess, j.Status)
	got = f.get(t, ph.ID)
	require.Equal(t, store.PhoneRunning, got.Status)
	require.Equal(t, opsImage11, got.ImageID, "reset without image_id keeps the image")
	_, err = f.sim.ReadDataFile(ctx, ph.ID, "keep.txt")
	require.ErrorIs(t, err, fs.ErrNotExist, "reset wipes data")

	j = one(f.svc.SetPhonesTraffic(ctx, opsProject, "traffic", &api.ImportTrafficRequestBody{TrafficType: TrafficRouting, PhoneIDs: []string{ph.ID}}))
	require.Equal(t, store.JobSuccess, j.Status)
	require.Equal(t, TrafficRouting, f.get(t, ph.ID).TrafficType)

	j = one(f.svc.ExpandPhoneVolumes(ctx, opsProject, "expand", &api.ExpandPhoneDataVolumeSizeRequestBody{
		Phones: []api.PhoneDataVolumeSize{{PhoneID: ph.ID, NewSize: ptr(200)}}}))
	require.Equal(t, store.JobSuccess, j.Status)
	require.Equal(t, 200, f.get(t, ph.ID).VolumeSize)
}

// A runtime failure ends the job with CPS.0260 and the phone in the operation's failure status.
func TestPhoneOpRuntimeFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		op     sim.Op
		submit func(f *opsFixture, id string) ([]api.PhoneJob, error)
		status int
	}{
		{"restart fails to -6", sim.OpRestart, func(f *opsFixture, id string) ([]api.PhoneJob, error) {
			return f.svc.RestartPhones(t.Context(), opsProject, "r", &api.RestartCloudPhoneRequestBody{Phones: []api.PhoneProperty{{PhoneID: id}}})
		}, store.PhoneRestartFailed},
		{"reset fails to -5", sim.OpReset, func(f *opsFixture, id string) ([]api.PhoneJob, error) {
			return f.svc.ResetPhones(t.Context(), opsProject, "r", &api.ResetCloudPhoneRequestBody{Phones: []api.PhoneProperty{{PhoneID: id}}})
		}, store.PhoneResetFailed},
		{"stop fails to -9", sim.OpStop, func(f *opsFixture, id string) ([]api.PhoneJob, error) {
			return f.svc.StopPhones(t.Context(), opsProject, "r", &api.StopCloudPhoneRequestBody{PhoneIDs: []string{id}})
		}, store.PhoneStopFailed},
		{"property update's restart fails to -6", sim.OpRestart, func(f *opsFixture, id string) ([]api.PhoneJob, error) {
			return f.svc.UpdatePhoneProperties(t.Context(), opsProject, "r", &api.UpdateCloudPhonePropertyRequestBody{
				Phones: []api.PropertyToUpdate{{PhoneID: id, Property: `{"ro.install.auto":1}`}}})
		}, store.PhoneRestartFailed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := setupPhoneOps(t, true)
			ph := f.phone(t, store.PhoneRunning)
			f.sim.SetFault(tt.op, sim.Fault{Err: errors.New("boom"), PhoneID: ph.ID, Times: 1})
			jobs, err := tt.submit(f, ph.ID)
			require.NoError(t, err)
			j := f.waitJob(t, jobs[0].JobID)
			require.Equal(t, store.JobFailed, j.Status)
			require.Equal(t, string(CPS0260), j.ErrorCode)
			require.Equal(t, CPS0260.Message(), j.ErrorMsg)
			require.Contains(t, j.ExecuteMsg, "boom")
			got := f.get(t, ph.ID)
			require.Equal(t, tt.status, got.Status)
			require.Empty(t, got.Property, "nothing is applied by a failed job")
		})
	}
}

// A runner run again after its worker died reaches the same end and records the same state.
func TestPhoneOpRunnersRepeat(t *testing.T) {
	t.Parallel()
	f := setupPhoneOps(t, false)
	ctx := t.Context()
	ph := f.phone(t, store.PhoneRunning)
	jobs, err := f.svc.RestartPhones(ctx, opsProject, "r", &api.RestartCloudPhoneRequestBody{
		Phones: []api.PhoneProperty{{PhoneID: ph.ID, Property: ptr(`{"ro.install.auto":"1"}`)}}})
	require.NoError(t, err)
	j, err := f.st.JobGet(ctx, opsProject, jobs[0].JobID)
	require.NoError(t, err)
	for range 2 {
		out := f.svc.runPhoneRestart(ctx, j)
		require.NoError(t, out.Err)
		require.NoError(t, f.st.InTx(ctx, func(tx store.Store) error { return out.Apply(ctx, tx) }))
		got := f.get(t, ph.ID)
		require.Equal(t, store.PhoneRunning, got.Status)
		require.Equal(t, `{"ro.install.auto":"1"}`, got.Property)
	}

	// The engine's give-up run has a cancelled context: the phone still gets its failure status.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	out := f.svc.runPhoneReset(cancelled, j)
	require.Error(t, out.Err)
	require.NoError(t, f.st.InTx(ctx, func(tx store.Store) error { return out.Apply(ctx, tx) }))
	require.Equal(t, store.PhoneResetFailed, f.get(t, ph.ID).Status)
}
