package sim_test

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/runtime/runtimetest"
	"github.com/opencph/opencph/internal/runtime/sim"
)

const (
	modelKG = "physical.kg1.4xlarge.cp"
	modelRX = "physical.rx2.32xlarge.4"
)

// newConfig is a small fleet over a fresh data directory, on loopback addresses of its own.
func newConfig(t *testing.T) sim.Config {
	t.Helper()
	return sim.Config{
		DataDir:        t.TempDir(),
		Logger:         slog.New(slog.NewTextHandler(t.Output(), nil)),
		LoopbackPrefix: loopbackPrefix(),
		Hosts: []sim.HostPool{
			{ServerModelName: modelKG, Count: 2},
			{ServerModelName: modelRX, Count: 1},
		},
	}
}

// loopbacks numbers the drivers of this package's tests.
var loopbacks atomic.Int32

// loopbackPrefix gives each driver of the tests its own loopback block, so that phones of
// parallel tests listen on the same ports without colliding. It stays in 127.1–127.99:
// test/e2e gives its control planes the blocks above.
func loopbackPrefix() string {
	return fmt.Sprintf("127.%d", 1+loopbacks.Add(1)%99)
}

// newDriver builds a driver that the test closes at its end.
func newDriver(t *testing.T, cfg sim.Config) *sim.Driver {
	t.Helper()
	d, err := sim.New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.Close()) })
	return d
}

// phoneSpec is a phone on host at index with adb published on port.
func phoneSpec(id string, host runtime.Host, index, port int) runtime.PhoneSpec {
	return runtime.PhoneSpec{
		ID:      id,
		HostID:  host.ID,
		Index:   index,
		ImageID: "20032120200330a20b000eae5b8c01e6",
		Model:   runtime.PhoneModel{Name: "rc2.se", CPU: 2, MemoryGiB: 4, DiskGiB: 32, Resolution: "720x1280", DPI: 320},
		IMEI:    "861536030196001",
		Ports:   map[int]int{5555: port},
	}
}

func hostsOf(t *testing.T, d runtime.Driver) []runtime.Host {
	t.Helper()
	hosts, err := d.Hosts(t.Context())
	require.NoError(t, err)
	return hosts
}

func requireState(t *testing.T, d runtime.Driver, id string, want runtime.State) {
	t.Helper()
	info, err := d.Phone(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, want, info.State, "phone %s", id)
}

func TestConformance(t *testing.T) {
	t.Parallel()
	runtimetest.Exercise(t, func(t *testing.T) runtime.Driver {
		return newDriver(t, newConfig(t))
	})
}

func TestConformanceFromRegistry(t *testing.T) {
	t.Parallel()
	runtimetest.Exercise(t, func(t *testing.T) runtime.Driver {
		d, err := runtime.New("sim", map[string]any{
			"data_dir":        t.TempDir(),
			"boot_time":       "1ms",
			"loopback_prefix": loopbackPrefix(),
			"hosts":           []any{map[string]any{"server_model_name": modelKG, "count": 1}},
		})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, d.(*sim.Driver).Close()) })
		return d
	})
}

func TestHosts(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	cfg.Hosts = append(cfg.Hosts,
		sim.HostPool{ServerModelName: modelKG, Count: 1},
		sim.HostPool{ServerModelName: "physical.rx1.xlarge", Count: 2, IPPrefix: "10.20.0"},
	)
	hosts := hostsOf(t, newDriver(t, cfg))
	require.Len(t, hosts, 6)

	wantModels := []string{modelKG, modelKG, modelRX, modelKG, "physical.rx1.xlarge", "physical.rx1.xlarge"}
	lo := cfg.LoopbackPrefix
	wantIPs := []string{lo + ".1.1", lo + ".1.2", lo + ".1.3", lo + ".1.4", "10.20.0.1", "10.20.0.2"}
	ids := map[string]bool{}
	for i, h := range hosts {
		require.Equal(t, wantModels[i], h.ServerModelName)
		require.Equal(t, wantIPs[i], h.ServerIP)
		require.Equal(t, h.ServerIP, h.PublicIP)
		require.Regexp(t, `^[0-9a-f]{32}$`, h.ID)
		require.False(t, ids[h.ID])
		ids[h.ID] = true
	}

	// IDs depend on model and position within the model only: another data directory, or more
	// pools of other models, leave them be, so the inventory keeps recognising its hosts.
	other := sim.Config{DataDir: t.TempDir(), Hosts: []sim.HostPool{
		{ServerModelName: modelRX, Count: 1},
		{ServerModelName: modelKG, Count: 3},
	}}
	again := hostsOf(t, newDriver(t, other))
	require.Equal(t, hosts[2].ID, again[0].ID)
	require.Equal(t, []string{hosts[0].ID, hosts[1].ID, hosts[3].ID}, []string{again[1].ID, again[2].ID, again[3].ID})
}

func TestHostsManyLoopbackAddresses(t *testing.T) {
	t.Parallel()
	cfg := sim.Config{DataDir: t.TempDir(), Hosts: []sim.HostPool{{ServerModelName: modelKG, Count: 600}}}
	hosts := hostsOf(t, newDriver(t, cfg))
	require.Equal(t, "127.0.1.254", hosts[253].ServerIP)
	require.Equal(t, "127.0.2.1", hosts[254].ServerIP)
	require.Equal(t, "127.0.3.92", hosts[599].ServerIP)
}

func TestPhoneAddresses(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	hosts := hostsOf(t, d)
	a, err := d.CreatePhone(t.Context(), phoneSpec("a", hosts[0], 0, 20001))
	require.NoError(t, err)
	b, err := d.CreatePhone(t.Context(), phoneSpec("b", hosts[1], 3, 20002))
	require.NoError(t, err)
	require.Equal(t, runtime.PhoneInfo{ID: "a", State: runtime.StateRunning, PhoneIP: "172.16.0.2", ADBAddr: hosts[0].ServerIP + ":20001"}, a)
	require.Equal(t, runtime.PhoneInfo{ID: "b", State: runtime.StateRunning, PhoneIP: "172.16.1.5", ADBAddr: hosts[1].ServerIP + ":20002"}, b)
}

func TestCreateValidates(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	host := hostsOf(t, d)[0]
	tests := []struct {
		name   string
		modify func(*runtime.PhoneSpec)
	}{
		{"empty id", func(s *runtime.PhoneSpec) { s.ID = "" }},
		{"path in id", func(s *runtime.PhoneSpec) { s.ID = "../escape" }},
		{"no adb port", func(s *runtime.PhoneSpec) { s.Ports = map[int]int{8080: 20000} }},
		{"port out of range", func(s *runtime.PhoneSpec) { s.Ports[5555] = 70000 }},
		{"negative index", func(s *runtime.PhoneSpec) { s.Index = -1 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			spec := phoneSpec("valid", host, 0, 20000)
			tt.modify(&spec)
			_, err := d.CreatePhone(t.Context(), spec)
			require.Error(t, err)
			_, err = d.Phone(t.Context(), spec.ID)
			require.ErrorIs(t, err, runtime.ErrNotFound)
		})
	}
}

func TestPersistence(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	d := newDriver(t, cfg)
	ctx := t.Context()
	hosts := hostsOf(t, d)

	running := phoneSpec("running", hosts[0], 0, 20001)
	stopped := phoneSpec("stopped", hosts[0], 1, 20002)
	failed := phoneSpec("failed", hosts[1], 0, 20003)
	reset := phoneSpec("reset", hosts[2], 0, 20004)
	removed := phoneSpec("removed", hosts[2], 1, 20005)
	infos := map[string]runtime.PhoneInfo{}
	for _, s := range []runtime.PhoneSpec{running, stopped, failed, reset, removed} {
		info, err := d.CreatePhone(ctx, s)
		require.NoError(t, err)
		infos[s.ID] = info
	}
	require.NoError(t, d.WriteDataFile(ctx, running.ID, "sdcard/hello.txt", []byte("hello")))
	require.NoError(t, d.StopPhone(ctx, stopped.ID))
	d.SetFault(sim.OpRestart, sim.Fault{Err: sim.ErrInjected, PhoneID: failed.ID})
	require.ErrorIs(t, d.RestartPhone(ctx, failed), sim.ErrInjected)
	require.NoError(t, d.WriteDataFile(ctx, reset.ID, "marker", []byte("x")))
	require.NoError(t, d.ResetPhone(ctx, reset))
	require.NoError(t, d.RemovePhone(ctx, removed.ID))

	// A control-plane restart: a new driver over the same data directory.
	require.NoError(t, d.Close())
	d2 := newDriver(t, cfg)
	require.Equal(t, hosts, hostsOf(t, d2))
	for id, want := range map[string]runtime.State{
		running.ID: runtime.StateRunning,
		stopped.ID: runtime.StateStopped,
		failed.ID:  runtime.StateFailed,
		reset.ID:   runtime.StateRunning,
	} {
		info, err := d2.Phone(ctx, id)
		require.NoError(t, err)
		wantInfo := infos[id]
		wantInfo.State = want
		require.Equal(t, wantInfo, info)
	}
	_, err := d2.Phone(ctx, removed.ID)
	require.ErrorIs(t, err, runtime.ErrNotFound)

	got, err := d2.ReadDataFile(ctx, running.ID, "sdcard/hello.txt")
	require.NoError(t, err)
	require.Equal(t, "hello", string(got))
	_, err = d2.ReadDataFile(ctx, reset.ID, "marker")
	require.ErrorIs(t, err, fs.ErrNotExist)

	// The reloaded phones are fully operable.
	require.NoError(t, d2.StartPhone(ctx, stopped.ID))
	require.NoError(t, d2.RestartPhone(ctx, failed))
	requireState(t, d2, failed.ID, runtime.StateRunning)
	require.NoError(t, d2.RemovePhone(ctx, running.ID))

	require.NoError(t, d2.Close())
	d3 := newDriver(t, cfg)
	requireState(t, d3, stopped.ID, runtime.StateRunning)
	requireState(t, d3, failed.ID, runtime.StateRunning)
	_, err = d3.Phone(ctx, running.ID)
	require.ErrorIs(t, err, runtime.ErrNotFound)
}

func TestPersistenceHostDropped(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	d := newDriver(t, cfg)
	hosts := hostsOf(t, d)
	_, err := d.CreatePhone(t.Context(), phoneSpec("orphan", hosts[2], 0, 20001))
	require.NoError(t, err)

	cfg.Hosts = cfg.Hosts[:1] // the rx pool is gone from the configuration
	require.NoError(t, d.Close())
	d2 := newDriver(t, cfg)
	info, err := d2.Phone(t.Context(), "orphan")
	require.NoError(t, err, "a phone outlives its host's configuration so it can be removed")
	require.Equal(t, runtime.PhoneInfo{ID: "orphan", State: runtime.StateRunning}, info)
	require.NoError(t, d2.RemovePhone(t.Context(), "orphan"))
}

func TestBootTime(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	cfg.BootTime = 20 * time.Millisecond
	d := newDriver(t, cfg)
	host := hostsOf(t, d)[0]
	spec := phoneSpec("slow", host, 0, 20001)

	begin := time.Now()
	_, err := d.CreatePhone(t.Context(), spec)
	require.NoError(t, err)
	require.GreaterOrEqual(t, time.Since(begin), cfg.BootTime, "create boots")
	for name, op := range map[string]func() error{
		"restart": func() error { return d.RestartPhone(t.Context(), spec) },
		"reset":   func() error { return d.ResetPhone(t.Context(), spec) },
		"start": func() error {
			require.NoError(t, d.StopPhone(t.Context(), spec.ID))
			return d.StartPhone(t.Context(), spec.ID)
		},
	} {
		begin := time.Now()
		require.NoError(t, op(), name)
		require.GreaterOrEqual(t, time.Since(begin), cfg.BootTime, name)
	}
}

func TestBootCancelled(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	cfg.BootTime = time.Hour
	d := newDriver(t, cfg)
	host := hostsOf(t, d)[0]

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	_, err := d.CreatePhone(ctx, phoneSpec("stuck", host, 0, 20001))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	requireState(t, d, "stuck", runtime.StateFailed)
}

func TestDataFileConfined(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	host := hostsOf(t, d)[0]
	_, err := d.CreatePhone(t.Context(), phoneSpec("p", host, 0, 20001))
	require.NoError(t, err)
	require.Error(t, d.WriteDataFile(t.Context(), "p", "../state.json", []byte("{}")))
	_, err = d.ReadDataFile(t.Context(), "p", "../state.json")
	require.Error(t, err)
	require.ErrorIs(t, d.WriteDataFile(t.Context(), "nope", "x", nil), runtime.ErrNotFound)
}

func TestParseConfig(t *testing.T) {
	t.Parallel()
	cfg, err := sim.ParseConfig(map[string]any{
		"data_dir":  "/var/lib/cph",
		"boot_time": "200ms",
		"hosts": []any{
			map[string]any{"server_model_name": modelKG, "count": 3, "ip_prefix": "10.0"},
		},
		"faults": []any{
			map[string]any{"op": "start", "error": "disk full", "delay": "1s", "phone_id": "p1", "times": 2},
			map[string]any{"op": "stop", "hang": true},
		},
	})
	require.NoError(t, err)
	require.Equal(t, "/var/lib/cph", cfg.DataDir)
	require.Equal(t, 200*time.Millisecond, cfg.BootTime)
	require.Equal(t, []sim.HostPool{{ServerModelName: modelKG, Count: 3, IPPrefix: "10.0"}}, cfg.Hosts)
	require.Len(t, cfg.Faults, 2)
	start := cfg.Faults[0]
	require.Equal(t, sim.OpStart, start.Op)
	require.ErrorIs(t, start.Fault.Err, sim.ErrInjected)
	require.ErrorContains(t, start.Fault.Err, "disk full")
	require.Equal(t, time.Second, start.Fault.Delay)
	require.Equal(t, "p1", start.Fault.PhoneID)
	require.Equal(t, 2, start.Fault.Times)
	require.Equal(t, sim.FaultRule{Op: sim.OpStop, Fault: sim.Fault{Hang: true}}, cfg.Faults[1])

	empty, err := sim.ParseConfig(nil)
	require.NoError(t, err)
	require.Equal(t, sim.Config{}, empty)
}

func TestConfigErrors(t *testing.T) {
	t.Parallel()
	pool := func(kv ...any) []any {
		m := map[string]any{"server_model_name": modelKG, "count": 1}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return []any{m}
	}
	tests := []struct {
		name string
		cfg  map[string]any
		want string
	}{
		{"unknown key", map[string]any{"data_dir": "x", "boot_tme": "1s"}, "boot_tme"},
		{"unknown host key", map[string]any{"data_dir": "x", "hosts": pool("cnt", 2)}, "cnt"},
		{"numeric boot time", map[string]any{"data_dir": "x", "boot_time": 200}, "boot_time"},
		{"bad boot time", map[string]any{"data_dir": "x", "boot_time": "soon"}, "boot_time"},
		{"negative boot time", map[string]any{"data_dir": "x", "boot_time": "-1s"}, "negative"},
		{"bad fault op", map[string]any{"data_dir": "x", "faults": []any{map[string]any{"op": "explode"}}}, "explode"},
		{"bad fault delay", map[string]any{"data_dir": "x", "faults": []any{map[string]any{"op": "stop", "delay": "x"}}}, "delay"},
		{"negative times", map[string]any{"data_dir": "x", "faults": []any{map[string]any{"op": "stop", "times": -1}}}, "times"},
		{"no data dir", map[string]any{}, "data_dir"},
		{"no model", map[string]any{"data_dir": "x", "hosts": pool("server_model_name", "")}, "server_model_name"},
		{"zero count", map[string]any{"data_dir": "x", "hosts": pool("count", 0)}, "count"},
		{"bad prefix", map[string]any{"data_dir": "x", "hosts": pool("ip_prefix", "10.300")}, "ip_prefix"},
		{"long prefix", map[string]any{"data_dir": "x", "hosts": pool("ip_prefix", "10.0.0.1")}, "ip_prefix"},
		{"prefix full", map[string]any{"data_dir": "x", "hosts": pool("ip_prefix", "10.0.0", "count", 255)}, "no room"},
		{"duplicate address", map[string]any{"data_dir": "x", "hosts": append(pool("ip_prefix", "10.1"), pool("ip_prefix", "10.1")...)}, "taken"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := runtime.New("sim", tt.cfg)
			require.ErrorContains(t, err, tt.want)
		})
	}
}
