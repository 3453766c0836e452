package cph

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/adb"
	"github.com/opencph/opencph/internal/apk/apktest"
	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/runtime/sim"
	simdev "github.com/opencph/opencph/internal/sim"
	"github.com/opencph/opencph/internal/store"
	"github.com/opencph/opencph/internal/store/sqlite"
)

// adbDriver is the sim runtime with each phone's adb address pointed at a device a test serves
// with adb.Serve, so the commands run over the real protocol against internal/sim devices.
type adbDriver struct {
	runtime.Driver
	mu    sync.Mutex
	addrs map[string]string
}

func (d *adbDriver) Phone(ctx context.Context, id string) (runtime.PhoneInfo, error) {
	info, err := d.Driver.Phone(ctx, id)
	if err != nil {
		return info, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if a, ok := d.addrs[id]; ok {
		info.ADBAddr = a
	}
	return info, nil
}

// cmdFixture is opsFixture whose running phones answer adb.
type cmdFixture struct {
	*opsFixture
	drv *adbDriver
}

// setupCommands builds the fixture; with run the job engine works the queue.
func setupCommands(t testing.TB, run bool) *cmdFixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "cph.db"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	simDrv, err := sim.New(sim.Config{DataDir: t.TempDir(),
		Hosts: []sim.HostPool{{ServerModelName: opsServerModel, Count: 1, IPPrefix: "10.9.0"}}})
	require.NoError(t, err)
	drv := &adbDriver{Driver: simDrv, addrs: map[string]string{}}
	key, err := adb.LoadOrCreateKey(filepath.Join(t.TempDir(), "adbkey"))
	require.NoError(t, err)
	pool := adb.NewPool(adb.DialOptions{Key: key, Logger: slog.New(slog.DiscardHandler)}, 0)
	t.Cleanup(func() { pool.Close() })
	eng := job.New(st, job.Config{Classify: ClassifyJobError, Poll: 5 * time.Millisecond})
	svc := New(Config{Region: "test"}, Deps{Store: st, Runtime: drv, Catalog: DefaultCatalog(), Jobs: eng, ADB: pool})
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
	return &cmdFixture{opsFixture: &opsFixture{svc: svc, st: st, sim: simDrv, server: srv, host: host}, drv: drv}
}

// device makes a simulated device for a phone and serves dev (the device itself when nil) as
// the phone's adbd.
func (f *cmdFixture) device(t testing.TB, ph *store.Phone, wrap func(*simdev.Device) adb.Device) *simdev.Device {
	t.Helper()
	d, err := simdev.New(t.TempDir(), simdev.Config{Model: "sim-" + ph.ID[:6]})
	require.NoError(t, err)
	var dev adb.Device = d
	if wrap != nil {
		dev = wrap(d)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = adb.Serve(ctx, ln, dev, d.ServeOptions()) }()
	t.Cleanup(func() { cancel(); <-done; d.Close() })
	f.drv.mu.Lock()
	f.drv.addrs[ph.ID] = ln.Addr().String()
	f.drv.mu.Unlock()
	return d
}

// addPhone is opsFixture.phone for benchmarks too: a phone in status, in the runtime unless it
// never booted.
func (f *cmdFixture) addPhone(t testing.TB, status int) *store.Phone {
	t.Helper()
	ctx := context.Background()
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

// runningPhone adds a running phone served by a simulated device.
func (f *cmdFixture) runningPhone(t testing.TB) (*store.Phone, *simdev.Device) {
	t.Helper()
	ph := f.addPhone(t, store.PhoneRunning)
	return ph, f.device(t, ph, nil)
}

// stuckDevice answers every shell command only once released (or its stream is gone): a phone
// that takes longer than any bound.
type stuckDevice struct {
	*simdev.Device
	release chan struct{}
}

func (d stuckDevice) Shell(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	io.WriteString(stdout, "started\n")
	select {
	case <-d.release:
	case <-ctx.Done():
		return -1, ctx.Err()
	}
	return d.Device.Shell(ctx, cmd, stdin, stdout, stderr)
}

func stuck(t testing.TB) func(*simdev.Device) adb.Device {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	return func(d *simdev.Device) adb.Device { return stuckDevice{Device: d, release: release} }
}

func shellCmd(content string, phones ...string) *api.CommandRequestBody {
	return &api.CommandRequestBody{Command: CommandShell, Content: content, PhoneIDs: phones}
}

// The validation rules of 5.7, one row each; a refused request queues nothing.
func TestCommandValidation(t *testing.T) {
	t.Parallel()
	f := setupCommands(t, false)
	ph := f.addPhone(t, store.PhoneRunning)
	id := ph.ID
	many := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = id
		}
		return out
	}
	tests := []struct {
		name string
		req  api.CommandRequestBody
		want Code // "" means accepted
	}{
		{"command is required", api.CommandRequestBody{Content: "ls", PhoneIDs: []string{id}}, CPS0117},
		{"command outside the list", api.CommandRequestBody{Command: "reboot", Content: "ls", PhoneIDs: []string{id}}, CPS0117},
		{"command is case-sensitive", api.CommandRequestBody{Command: "SHELL", Content: "ls", PhoneIDs: []string{id}}, CPS0117},
		{"push needs object storage", api.CommandRequestBody{Command: CommandPush, Content: "obs://b/a.tar", PhoneIDs: []string{id}}, CPS0117},
		{"install needs object storage", api.CommandRequestBody{Command: CommandInstall, Content: "obs://b/a.apk", PhoneIDs: []string{id}}, CPS0117},
		{"install-multiple needs object storage", api.CommandRequestBody{Command: CommandInstallMultiple, Content: "obs://b/a.apk obs://b/b.apk", PhoneIDs: []string{id}}, CPS0117},
		{"content is required", *shellCmd("", id), CPS0118},
		{"content of spaces only", *shellCmd("   ", id), CPS0118},
		{"content of 1024 bytes", *shellCmd("echo "+strings.Repeat("a", 1019), id), ""},
		{"content over 1024 bytes", *shellCmd("echo "+strings.Repeat("a", 1020), id), CPS0118},
		{"letters digits _ . / : - and spaces", *shellCmd("ls -l /system/bin:x_Y.9", id), ""},
		{"semicolon refused", *shellCmd("ls; reboot", id), CPS0118},
		{"pipe refused", *shellCmd("ls | cat", id), CPS0118},
		{"ampersand refused", *shellCmd("ls && reboot", id), CPS0118},
		{"greater-than refused", *shellCmd("ls > /sdcard/x", id), CPS0118},
		{"less-than refused", *shellCmd("cat < /sdcard/x", id), CPS0118},
		{"dollar refused", *shellCmd("echo $HOME", id), CPS0118},
		{"backquote refused", *shellCmd("echo `id`", id), CPS0118},
		{"quotes refused", *shellCmd(`echo "a" 'b'`, id), CPS0118},
		{"backslash refused", *shellCmd(`echo a\b`, id), CPS0118},
		{"glob refused", *shellCmd("ls /sdcard/*", id), CPS0118},
		{"parentheses refused", *shellCmd("(ls)", id), CPS0118},
		{"equals refused", *shellCmd("settings put global a=1", id), CPS0118},
		{"newline refused", *shellCmd("ls\nreboot", id), CPS0118},
		{"tab refused", *shellCmd("ls\t/", id), CPS0118},
		{"non-ASCII refused", *shellCmd("echo é", id), CPS0118},
		{"uninstall of a package name", api.CommandRequestBody{Command: CommandUninstall, Content: "com.example.app_2", PhoneIDs: []string{id}}, ""},
		{"uninstall content keeps the character rule", api.CommandRequestBody{Command: CommandUninstall, Content: "com.a;reboot", PhoneIDs: []string{id}}, CPS0118},
		{"uninstall needs a dot", api.CommandRequestBody{Command: CommandUninstall, Content: "example", PhoneIDs: []string{id}}, CPS0173},
		{"uninstall does not end with a dot", api.CommandRequestBody{Command: CommandUninstall, Content: "com.example.", PhoneIDs: []string{id}}, CPS0173},
		{"uninstall does not start with a digit", api.CommandRequestBody{Command: CommandUninstall, Content: "1com.example", PhoneIDs: []string{id}}, CPS0173},
		{"uninstall does not start with an underscore", api.CommandRequestBody{Command: CommandUninstall, Content: "_com.example", PhoneIDs: []string{id}}, CPS0173},
		{"uninstall has no empty segment", api.CommandRequestBody{Command: CommandUninstall, Content: "com..example", PhoneIDs: []string{id}}, CPS0173},
		{"uninstall of a path", api.CommandRequestBody{Command: CommandUninstall, Content: "/data/app/com.example", PhoneIDs: []string{id}}, CPS0173},
		{"uninstall of one package only", api.CommandRequestBody{Command: CommandUninstall, Content: "-k com.example", PhoneIDs: []string{id}}, CPS0173},
		{"phone_ids or server_ids required", api.CommandRequestBody{Command: CommandShell, Content: "ls"}, CPS0009},
		{"empty phone_ids and no server_ids", api.CommandRequestBody{Command: CommandShell, Content: "ls", PhoneIDs: []string{}}, CPS0009},
		{"at most 200 phone_ids", *shellCmd("ls", many(MaxPhonesPerBatch+1)...), CPS0209},
		{"at most 100 server_ids", api.CommandRequestBody{Command: CommandShell, Content: "ls", ServerIDs: many(MaxServersPerBatch + 1)}, CPS0096},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rid := store.NewID()
			jobs, err := f.svc.RunCommand(t.Context(), opsProject, rid, &tc.req)
			if tc.want == "" {
				require.NoError(t, err)
				require.Len(t, jobs, 1)
				require.Empty(t, jobs[0].ErrorCode, jobs[0].ErrorMsg)
				return
			}
			require.Error(t, err)
			require.Equal(t, tc.want, AsError(err).Code, err.Error())
			list, _, err := f.st.JobList(t.Context(), &store.JobListParams{ProjectID: opsProject, RequestIDs: []string{rid}})
			require.NoError(t, err)
			require.Empty(t, list, "a refused request queues nothing")
		})
	}
}

// The rules of sync-commands that differ from the asynchronous ones.
func TestSyncCommandValidation(t *testing.T) {
	t.Parallel()
	f := setupCommands(t, false)
	id := f.addPhone(t, store.PhoneRunning).ID
	for range MaxSyncPhones {
		f.addPhone(t, store.PhoneStopped)
	}
	many := make([]string, MaxSyncPhones+1)
	for i := range many {
		many[i] = id
	}
	tests := []struct {
		name string
		req  api.CommandRequestBody
		want Code
	}{
		{"shell only", api.CommandRequestBody{Command: CommandUninstall, Content: "com.example.app", PhoneIDs: []string{id}}, CPS0117},
		{"content rule", *shellCmd("ls | cat", id), CPS0118},
		{"at most 15 phone_ids", *shellCmd("ls", many...), CPS0359},
		{"at most 15 phones from server_ids", api.CommandRequestBody{Command: CommandShell, Content: "ls", ServerIDs: []string{f.server.ID}}, CPS0190},
		{"phone_ids or server_ids required", api.CommandRequestBody{Command: CommandShell, Content: "ls"}, CPS0009},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.RunSyncCommand(t.Context(), opsProject, "r", "user"+string(rune('a'+i)), &tc.req)
			require.Error(t, err)
			require.Equal(t, tc.want, AsError(err).Code, err.Error())
		})
	}
}

func TestValidateCommandContentAllowsEveryListedCharacter(t *testing.T) {
	t.Parallel()
	var all strings.Builder
	for c := byte(0); c < 0x80; c++ {
		if contentChar(c) {
			all.WriteByte(c)
		}
	}
	require.Equal(t, " -./0123456789:ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz", all.String())
	require.NoError(t, ValidateCommandContent(all.String()))
}

// A shell job's execute_msg is the command's output; a non-zero exit fails it with CPS.0191 and
// the output; phones that cannot run it get their own entries.
func TestRunShellCommandJobs(t *testing.T) {
	t.Parallel()
	f := setupCommands(t, true)
	ph, dev := f.runningPhone(t)
	stopped := f.addPhone(t, store.PhoneStopped)
	unknown := strings.Repeat("a", 32)
	jobs, err := f.svc.RunCommand(t.Context(), opsProject, "r1", shellCmd("getprop ro.product.model", ph.ID, stopped.ID, unknown, "bad-id"))
	require.NoError(t, err)
	require.Len(t, jobs, 4)
	require.NotEmpty(t, jobs[0].JobID)
	require.Equal(t, []string{"", "CPS.0141", "CPS.0005", "CPS.0004"},
		[]string{jobs[0].ErrorCode, jobs[1].ErrorCode, jobs[2].ErrorCode, jobs[3].ErrorCode})
	other, err := f.svc.RunCommand(t.Context(), "fedcba9876543210fedcba9876543210", "r0", shellCmd("ls", ph.ID))
	require.NoError(t, err)
	require.Equal(t, "CPS.0005", other[0].ErrorCode, "another project's phone is unknown")
	j := f.waitJob(t, jobs[0].JobID)
	require.Equal(t, store.JobSuccess, j.Status, j.ErrorMsg)
	model, _ := dev.Property("ro.product.model")
	require.Equal(t, model+"\n", j.ExecuteMsg)

	jobs, err = f.svc.RunCommand(t.Context(), opsProject, "r2", shellCmd("ls /nonexistent", ph.ID))
	require.NoError(t, err)
	j = f.waitJob(t, jobs[0].JobID)
	require.Equal(t, store.JobFailed, j.Status)
	require.Equal(t, "CPS.0191", j.ErrorCode)
	require.Equal(t, "Run command failed.", j.ErrorMsg)
	require.Contains(t, j.ExecuteMsg, "No such file or directory", "stderr is in execute_msg")

	// getprop prints every property: far more than execute_msg holds.
	jobs, err = f.svc.RunCommand(t.Context(), opsProject, "r3", shellCmd("getprop", ph.ID))
	require.NoError(t, err)
	j = f.waitJob(t, jobs[0].JobID)
	require.Equal(t, store.JobSuccess, j.Status)
	var full bytes.Buffer
	_, err = dev.Shell(t.Context(), "getprop", nil, &full, io.Discard)
	require.NoError(t, err)
	require.Greater(t, full.Len(), job.MaxExecuteMsg)
	require.Equal(t, job.Truncate(full.String(), job.MaxExecuteMsg), j.ExecuteMsg)
}

// A command that outlives the asynchronous bound fails with CPS.0054 and what it printed.
func TestRunShellCommandTimesOut(t *testing.T) {
	t.Parallel()
	f := setupCommands(t, true)
	f.svc.cmd.async = 200 * time.Millisecond
	ph := f.addPhone(t, store.PhoneRunning)
	f.device(t, ph, stuck(t))
	jobs, err := f.svc.RunCommand(t.Context(), opsProject, "r", shellCmd("ls", ph.ID))
	require.NoError(t, err)
	j := f.waitJob(t, jobs[0].JobID)
	require.Equal(t, store.JobFailed, j.Status)
	require.Equal(t, "CPS.0054", j.ErrorCode)
	require.Equal(t, "started\n", j.ExecuteMsg)
}

// An unreachable adbd fails the job with CPS.0260 and the cause in execute_msg.
func TestRunShellCommandUnreachablePhone(t *testing.T) {
	t.Parallel()
	f := setupCommands(t, true)
	ph := f.addPhone(t, store.PhoneRunning)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	f.drv.mu.Lock()
	f.drv.addrs[ph.ID] = ln.Addr().String()
	f.drv.mu.Unlock()
	require.NoError(t, ln.Close())
	jobs, err := f.svc.RunCommand(t.Context(), opsProject, "r", shellCmd("ls", ph.ID))
	require.NoError(t, err)
	j := f.waitJob(t, jobs[0].JobID)
	require.Equal(t, store.JobFailed, j.Status)
	require.Equal(t, "CPS.0260", j.ErrorCode)
	require.Contains(t, j.ExecuteMsg, "connection refused")
}

// Uninstall runs pm uninstall: the package is gone afterwards, and uninstalling it again fails
// with pm's answer.
func TestUninstallApkJob(t *testing.T) {
	t.Parallel()
	f := setupCommands(t, true)
	ph, dev := f.runningPhone(t)
	w, err := dev.Create("/data/local/tmp/hello.apk", 0o644, time.Now())
	require.NoError(t, err)
	_, err = w.Write(apktest.Hello)
	require.NoError(t, err)
	require.NoError(t, w.Close())
	exit, err := dev.Shell(t.Context(), "pm install /data/local/tmp/hello.apk", nil, io.Discard, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 0, exit)
	require.Contains(t, dev.Packages(), apktest.HelloSpec.Package)

	req := &api.CommandRequestBody{Command: CommandUninstall, Content: apktest.HelloSpec.Package, PhoneIDs: []string{ph.ID}}
	jobs, err := f.svc.RunCommand(t.Context(), opsProject, "r1", req)
	require.NoError(t, err)
	j := f.waitJob(t, jobs[0].JobID)
	require.Equal(t, store.JobSuccess, j.Status, j.ErrorMsg)
	require.Equal(t, "Success\n", j.ExecuteMsg)
	require.NotContains(t, dev.Packages(), apktest.HelloSpec.Package)

	jobs, err = f.svc.RunCommand(t.Context(), opsProject, "r2", req)
	require.NoError(t, err)
	j = f.waitJob(t, jobs[0].JobID)
	require.Equal(t, store.JobFailed, j.Status)
	require.Equal(t, "CPS.0260", j.ErrorCode)
	require.Equal(t, "Failure [DELETE_FAILED_INTERNAL_ERROR]\n", j.ExecuteMsg)
}

// server_ids expands to every phone of the servers in their order; phone_ids wins when both are
// given; a malformed or unknown server is an entry of its own.
func TestCommandServerIDs(t *testing.T) {
	t.Parallel()
	f := setupCommands(t, false)
	a := f.addPhone(t, store.PhoneRunning)
	b := f.addPhone(t, store.PhoneStopped)
	c := f.addPhone(t, store.PhoneRunning)
	unknown := strings.Repeat("b", 32)
	jobs, err := f.svc.RunCommand(t.Context(), opsProject, "r1", &api.CommandRequestBody{
		Command: CommandShell, Content: "ls", ServerIDs: []string{"bad", f.server.ID, unknown}})
	require.NoError(t, err)
	require.Len(t, jobs, 5)
	require.Equal(t, api.PhoneJob{ErrorCode: "CPS.0097", ErrorMsg: CPS0097.Errf("bad").Msg}, jobs[0])
	require.Equal(t, []string{a.ID, b.ID, c.ID}, []string{jobs[1].PhoneID, jobs[2].PhoneID, jobs[3].PhoneID})
	require.NotEmpty(t, jobs[1].JobID)
	require.Equal(t, "CPS.0141", jobs[2].ErrorCode)
	require.NotEmpty(t, jobs[3].JobID)
	require.Equal(t, "CPS.0015", jobs[4].ErrorCode)
	require.Contains(t, jobs[4].ErrorMsg, unknown)

	jobs, err = f.svc.RunCommand(t.Context(), opsProject, "r2", &api.CommandRequestBody{
		Command: CommandShell, Content: "ls", PhoneIDs: []string{c.ID}, ServerIDs: []string{f.server.ID}})
	require.NoError(t, err)
	require.Len(t, jobs, 1, "phone_ids wins over server_ids")
	require.Equal(t, c.ID, jobs[0].PhoneID)

	other, err := f.svc.RunCommand(t.Context(), "fedcba9876543210fedcba9876543210", "r3", &api.CommandRequestBody{
		Command: CommandShell, Content: "ls", ServerIDs: []string{f.server.ID}})
	require.NoError(t, err)
	require.Equal(t, "CPS.0015", other[0].ErrorCode, "another project's server is unknown")
}

// Sync commands answer each phone's output at once; a phone that takes longer than its bound
// fails alone with CPS.0054.
func TestRunSyncCommand(t *testing.T) {
	t.Parallel()
	f := setupCommands(t, false)
	f.svc.cmd.syncPhone = 300 * time.Millisecond
	a, devA := f.runningPhone(t)
	b, devB := f.runningPhone(t)
	slow := f.addPhone(t, store.PhoneRunning)
	f.device(t, slow, stuck(t))
	stopped := f.addPhone(t, store.PhoneStopped)

	jobs, err := f.svc.RunSyncCommand(t.Context(), opsProject, "r", "u1",
		shellCmd("getprop ro.product.model", a.ID, slow.ID, b.ID, stopped.ID))
	require.NoError(t, err)
	require.Len(t, jobs, 4)
	modelA, _ := devA.Property("ro.product.model")
	modelB, _ := devB.Property("ro.product.model")
	for i, want := range []struct {
		phone  string
		status int
		code   string
		out    string
	}{
		{a.ID, store.JobSuccess, "", modelA + "\n"},
		{slow.ID, store.JobFailed, "CPS.0054", "started\n"},
		{b.ID, store.JobSuccess, "", modelB + "\n"},
		{stopped.ID, store.JobFailed, "CPS.0141", ""},
	} {
		require.Equal(t, want.phone, jobs[i].PhoneID)
		require.Equal(t, want.status, jobs[i].Status, "phone %d: %s", i, jobs[i].ErrorMsg)
		require.Equal(t, want.code, jobs[i].ErrorCode, "phone %d", i)
		require.Equal(t, want.out, jobs[i].ExecuteMsg, "phone %d", i)
	}
	require.NotEmpty(t, jobs[0].JobID)
	require.Empty(t, jobs[3].JobID, "a refused phone ran nothing")

	jobs, err = f.svc.RunSyncCommand(t.Context(), opsProject, "r", "u1", shellCmd("cat /nonexistent", a.ID))
	require.NoError(t, err)
	require.Equal(t, "CPS.0191", jobs[0].ErrorCode)
	require.Equal(t, "Run command failed.", jobs[0].ErrorMsg)
	require.Contains(t, jobs[0].ExecuteMsg, "No such file or directory")
}

// The seventh call of a user within a minute is throttled with APIGW.0308 (429), invalid calls
// included; another user is not.
func TestRunSyncCommandQuota(t *testing.T) {
	t.Parallel()
	f := setupCommands(t, false)
	a, _ := f.runningPhone(t)
	for i := range SyncCallsPerMinute {
		req := shellCmd("ls", a.ID)
		if i == 0 {
			req.Content = "ls | cat"
		}
		_, err := f.svc.RunSyncCommand(t.Context(), opsProject, "r", "u1", req)
		if i == 0 {
			require.Equal(t, CPS0118, AsError(err).Code)
			continue
		}
		require.NoError(t, err, "call %d", i+1)
	}
	_, err := f.svc.RunSyncCommand(t.Context(), opsProject, "r", "u1", shellCmd("ls", a.ID))
	ce := AsError(err)
	require.Equal(t, APIGW0308, ce.Code)
	require.Equal(t, 429, ce.HTTPStatus())
	require.Equal(t, "The throttling threshold has been reached: policy user over ratelimit,limit:6,time:1 minute", ce.Msg)
	_, err = f.svc.RunSyncCommand(t.Context(), opsProject, "r", "u2", shellCmd("ls", a.ID))
	require.NoError(t, err)
}

func TestHeadWriterKeepsTheHeadOnARuneBoundary(t *testing.T) {
	t.Parallel()
	w := &headWriter{max: 5}
	for _, s := range []string{"ab", "cd", "é", "fghij"} { // "é" straddles byte 5
		n, err := w.Write([]byte(s))
		require.NoError(t, err)
		require.Equal(t, len(s), n)
	}
	require.Equal(t, "abcd", w.String())
}
