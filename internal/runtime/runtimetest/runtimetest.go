// Package runtimetest is the conformance suite every runtime driver passes: what the job engine
// relies on (idempotent steps, ErrNotFound, data kept by restart and wiped by reset, cancellation)
// is checked once here rather than differently in each driver's tests, as river's
// riverdrivertest does for its database drivers.
package runtimetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io/fs"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/runtime"
)

// DataFiler is implemented by drivers that can reach a phone's data without adb. The suite uses
// it to check that restart keeps data and reset wipes it; drivers without it skip those checks.
type DataFiler interface {
	WriteDataFile(ctx context.Context, id, name string, data []byte) error
	ReadDataFile(ctx context.Context, id, name string) ([]byte, error)
}

// Exercise runs the suite. newDriver returns a fresh driver with at least one host and no phones;
// each subtest calls it once and runs in parallel with the others.
func Exercise(t *testing.T, newDriver func(t *testing.T) runtime.Driver) {
	t.Helper()
	for _, tc := range []struct {
		name string
		run  func(t *testing.T, f *fixture)
	}{
		{"Name", testName},
		{"Hosts", testHosts},
		{"CreatePhone", testCreate},
		{"CreatePhoneTwice", testCreateTwice},
		{"CreatePhoneUnknownHost", testCreateUnknownHost},
		{"StopStart", testStopStart},
		{"Restart", testRestart},
		{"RestartKeepsData", testRestartKeepsData},
		{"ResetWipesData", testResetWipesData},
		{"Remove", testRemove},
		{"RecreateAfterRemove", testRecreateAfterRemove},
		{"UnknownPhone", testUnknownPhone},
		{"ContextCancelled", testContextCancelled},
		{"Concurrent", testConcurrent},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.run(t, setup(t, newDriver))
		})
	}
}

// fixture is one subtest's driver and the host its phones go on.
type fixture struct {
	d    runtime.Driver
	host runtime.Host
	ctx  context.Context

	mu    sync.Mutex
	index int
	ports map[int]bool
}

func setup(t *testing.T, newDriver func(t *testing.T) runtime.Driver) *fixture {
	t.Helper()
	d := newDriver(t)
	require.NotNil(t, d)
	hosts, err := d.Hosts(t.Context())
	require.NoError(t, err)
	require.NotEmpty(t, hosts, "the suite needs a driver with at least one host")
	return &fixture{d: d, host: hosts[0], ctx: t.Context(), ports: map[int]bool{}}
}

// spec returns a spec for a new phone on the fixture's host, at the next free index.
func (f *fixture) spec(t *testing.T) runtime.PhoneSpec {
	t.Helper()
	f.mu.Lock()
	index := f.index
	f.index++
	port := freePort(t)
	for f.ports[port] { // the kernel may hand a closed port out again
		port = freePort(t)
	}
	f.ports[port] = true
	f.mu.Unlock()
	return runtime.PhoneSpec{
		ID:      newID(t),
		HostID:  f.host.ID,
		Index:   index,
		ImageID: newID(t),
		Model:   runtime.PhoneModel{Name: "conformance", CPU: 2, MemoryGiB: 4, DiskGiB: 16, Resolution: "720x1280", DPI: 320},
		IMEI:    "490154203237518",
		Properties: map[string]string{
			"ro.product.brand": "OpenCPH",
		},
		Ports: map[int]int{5555: port},
	}
}

// create creates a phone and checks it runs.
func (f *fixture) create(t *testing.T) runtime.PhoneSpec {
	t.Helper()
	spec := f.spec(t)
	info, err := f.d.CreatePhone(f.ctx, spec)
	require.NoError(t, err)
	require.Equal(t, runtime.StateRunning, info.State)
	return spec
}

// requireState checks the phone's state as the driver reports it.
func (f *fixture) requireState(t *testing.T, id string, want runtime.State) {
	t.Helper()
	info, err := f.d.Phone(f.ctx, id)
	require.NoError(t, err)
	require.Equal(t, want, info.State)
}

// filer returns the driver's DataFiler or skips the test.
func (f *fixture) filer(t *testing.T) DataFiler {
	t.Helper()
	df, ok := f.d.(DataFiler)
	if !ok {
		t.Skipf("driver %s cannot reach phone data without adb", f.d.Name())
	}
	return df
}

var hexID = regexp.MustCompile(`^[0-9a-f]{32}$`)

func testName(t *testing.T, f *fixture) {
	require.NotEmpty(t, f.d.Name())
	require.Contains(t, runtime.Names(), f.d.Name(), "drivers register themselves from init")
}

func testHosts(t *testing.T, f *fixture) {
	hosts, err := f.d.Hosts(f.ctx)
	require.NoError(t, err)
	seen := map[string]bool{}
	for _, h := range hosts {
		require.Regexp(t, hexID, h.ID)
		require.False(t, seen[h.ID], "duplicate host id %s", h.ID)
		seen[h.ID] = true
		require.NotEmpty(t, h.ServerModelName)
		_, err := netip.ParseAddr(h.ServerIP)
		require.NoError(t, err, "server ip of %s", h.ID)
		if h.PublicIP != "" {
			_, err := netip.ParseAddr(h.PublicIP)
			require.NoError(t, err, "public ip of %s", h.ID)
		}
	}
	again, err := f.d.Hosts(f.ctx)
	require.NoError(t, err)
	require.Equal(t, hosts, again, "hosts are stable")
}

func testCreate(t *testing.T, f *fixture) {
	spec := f.spec(t)
	info, err := f.d.CreatePhone(f.ctx, spec)
	require.NoError(t, err)
	require.Equal(t, spec.ID, info.ID)
	require.Equal(t, runtime.StateRunning, info.State)
	_, err = netip.ParseAddr(info.PhoneIP)
	require.NoError(t, err, "phone ip")
	host, port, err := net.SplitHostPort(info.ADBAddr)
	require.NoError(t, err, "adb address")
	require.Equal(t, f.host.ServerIP, host, "adb is reached on the phone's host")
	require.Equal(t, strconv.Itoa(spec.Ports[5555]), port, "adb is reached on the host port handed out for 5555")

	got, err := f.d.Phone(f.ctx, spec.ID)
	require.NoError(t, err)
	require.Equal(t, info, got)
}

func testCreateTwice(t *testing.T, f *fixture) {
	spec := f.spec(t)
	first, err := f.d.CreatePhone(f.ctx, spec)
	require.NoError(t, err)
	second, err := f.d.CreatePhone(f.ctx, spec)
	require.NoError(t, err, "creating an existing phone succeeds")
	require.Equal(t, first, second)

	require.NoError(t, f.d.StopPhone(f.ctx, spec.ID))
	_, err = f.d.CreatePhone(f.ctx, spec)
	require.NoError(t, err)
	f.requireState(t, spec.ID, runtime.StateStopped) // a repeated create leaves an existing phone be
}

func testCreateUnknownHost(t *testing.T, f *fixture) {
	spec := f.spec(t)
	spec.HostID = newID(t)
	_, err := f.d.CreatePhone(f.ctx, spec)
	require.ErrorIs(t, err, runtime.ErrNotFound)
	_, err = f.d.Phone(f.ctx, spec.ID)
	require.ErrorIs(t, err, runtime.ErrNotFound)
}

func testStopStart(t *testing.T, f *fixture) {
	spec := f.create(t)
	for range 2 { // the second call finds the phone already stopped
		require.NoError(t, f.d.StopPhone(f.ctx, spec.ID))
		f.requireState(t, spec.ID, runtime.StateStopped)
	}
	for range 2 {
		require.NoError(t, f.d.StartPhone(f.ctx, spec.ID))
		f.requireState(t, spec.ID, runtime.StateRunning)
	}
}

func testRestart(t *testing.T, f *fixture) {
	spec := f.create(t)
	spec.ImageID = newID(t)
	spec.Properties = map[string]string{"ro.product.model": "restarted"}
	require.NoError(t, f.d.RestartPhone(f.ctx, spec))
	f.requireState(t, spec.ID, runtime.StateRunning)

	require.NoError(t, f.d.StopPhone(f.ctx, spec.ID))
	require.NoError(t, f.d.RestartPhone(f.ctx, spec), "a stopped phone restarts")
	f.requireState(t, spec.ID, runtime.StateRunning)

	require.NoError(t, f.d.StopPhone(f.ctx, spec.ID))
	require.NoError(t, f.d.ResetPhone(f.ctx, spec), "a stopped phone resets")
	f.requireState(t, spec.ID, runtime.StateRunning)
}

func testRestartKeepsData(t *testing.T, f *fixture) {
	df := f.filer(t)
	spec := f.create(t)
	require.NoError(t, df.WriteDataFile(f.ctx, spec.ID, "marker/restart", []byte("kept")))
	require.NoError(t, f.d.RestartPhone(f.ctx, spec))
	got, err := df.ReadDataFile(f.ctx, spec.ID, "marker/restart")
	require.NoError(t, err, "restart keeps data")
	require.Equal(t, "kept", string(got))

	require.NoError(t, f.d.StopPhone(f.ctx, spec.ID))
	require.NoError(t, f.d.StartPhone(f.ctx, spec.ID))
	got, err = df.ReadDataFile(f.ctx, spec.ID, "marker/restart")
	require.NoError(t, err, "stop and start keep data")
	require.Equal(t, "kept", string(got))
}

func testResetWipesData(t *testing.T, f *fixture) {
	df := f.filer(t)
	spec := f.create(t)
	require.NoError(t, df.WriteDataFile(f.ctx, spec.ID, "marker", []byte("wiped")))
	require.NoError(t, f.d.ResetPhone(f.ctx, spec))
	f.requireState(t, spec.ID, runtime.StateRunning)
	_, err := df.ReadDataFile(f.ctx, spec.ID, "marker")
	require.ErrorIs(t, err, fs.ErrNotExist, "reset wipes data")

	// The reset phone takes data again.
	require.NoError(t, df.WriteDataFile(f.ctx, spec.ID, "marker", []byte("again")))
	got, err := df.ReadDataFile(f.ctx, spec.ID, "marker")
	require.NoError(t, err)
	require.Equal(t, "again", string(got))
}

func testRemove(t *testing.T, f *fixture) {
	spec := f.create(t)
	other := f.create(t)
	require.NoError(t, f.d.RemovePhone(f.ctx, spec.ID))
	_, err := f.d.Phone(f.ctx, spec.ID)
	require.ErrorIs(t, err, runtime.ErrNotFound)
	require.NoError(t, f.d.RemovePhone(f.ctx, spec.ID), "removing a removed phone succeeds")
	require.NoError(t, f.d.RemovePhone(f.ctx, newID(t)), "removing an unknown phone succeeds")
	f.requireState(t, other.ID, runtime.StateRunning) // its neighbour is untouched

	require.NoError(t, f.d.StopPhone(f.ctx, other.ID))
	require.NoError(t, f.d.RemovePhone(f.ctx, other.ID), "a stopped phone can be removed")
	_, err = f.d.Phone(f.ctx, other.ID)
	require.ErrorIs(t, err, runtime.ErrNotFound)
}

func testRecreateAfterRemove(t *testing.T, f *fixture) {
	spec := f.create(t)
	if df, ok := f.d.(DataFiler); ok {
		require.NoError(t, df.WriteDataFile(f.ctx, spec.ID, "marker", []byte("old")))
	}
	require.NoError(t, f.d.RemovePhone(f.ctx, spec.ID))
	info, err := f.d.CreatePhone(f.ctx, spec)
	require.NoError(t, err)
	require.Equal(t, runtime.StateRunning, info.State)
	if df, ok := f.d.(DataFiler); ok {
		_, err := df.ReadDataFile(f.ctx, spec.ID, "marker")
		require.ErrorIs(t, err, fs.ErrNotExist, "a re-created phone starts without the old data")
	}
}

func testUnknownPhone(t *testing.T, f *fixture) {
	spec := f.spec(t)
	_, err := f.d.Phone(f.ctx, spec.ID)
	require.ErrorIs(t, err, runtime.ErrNotFound)
	require.ErrorIs(t, f.d.StartPhone(f.ctx, spec.ID), runtime.ErrNotFound)
	require.ErrorIs(t, f.d.StopPhone(f.ctx, spec.ID), runtime.ErrNotFound)
	require.ErrorIs(t, f.d.RestartPhone(f.ctx, spec), runtime.ErrNotFound)
	require.ErrorIs(t, f.d.ResetPhone(f.ctx, spec), runtime.ErrNotFound)
	_, err = f.d.Phone(f.ctx, spec.ID)
	require.ErrorIs(t, err, runtime.ErrNotFound, "operations on an unknown phone create nothing")
}

func testContextCancelled(t *testing.T, f *fixture) {
	running := f.create(t)
	stopped := f.create(t)
	require.NoError(t, f.d.StopPhone(f.ctx, stopped.ID))

	ctx, cancel := context.WithCancel(f.ctx)
	cancel()
	_, err := f.d.Hosts(ctx)
	require.ErrorIs(t, err, context.Canceled, "hosts")
	fresh := f.spec(t)
	_, err = f.d.CreatePhone(ctx, fresh)
	require.ErrorIs(t, err, context.Canceled, "create")
	_, err = f.d.Phone(ctx, running.ID)
	require.ErrorIs(t, err, context.Canceled, "phone")
	require.ErrorIs(t, f.d.StartPhone(ctx, stopped.ID), context.Canceled, "start")
	require.ErrorIs(t, f.d.StopPhone(ctx, running.ID), context.Canceled, "stop")
	require.ErrorIs(t, f.d.RestartPhone(ctx, running), context.Canceled, "restart")
	require.ErrorIs(t, f.d.ResetPhone(ctx, running), context.Canceled, "reset")
	require.ErrorIs(t, f.d.RemovePhone(ctx, running.ID), context.Canceled, "remove")

	// A call cancelled before it starts changes nothing.
	_, err = f.d.Phone(f.ctx, fresh.ID)
	require.ErrorIs(t, err, runtime.ErrNotFound)
	f.requireState(t, running.ID, runtime.StateRunning)
	f.requireState(t, stopped.ID, runtime.StateStopped)
}

func testConcurrent(t *testing.T, f *fixture) {
	const n = 16
	specs := make([]runtime.PhoneSpec, n)
	for i := range specs {
		specs[i] = f.spec(t)
	}
	infos := make([]runtime.PhoneInfo, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, spec := range specs {
		wg.Go(func() { infos[i], errs[i] = f.d.CreatePhone(f.ctx, spec) })
		wg.Go(func() { _, _ = f.d.CreatePhone(f.ctx, spec) }) // a racing duplicate
	}
	wg.Wait()
	addrs := map[string]bool{}
	for i := range specs {
		require.NoError(t, errs[i])
		require.Equal(t, runtime.StateRunning, infos[i].State)
		require.False(t, addrs[infos[i].ADBAddr], "duplicate adb address %s", infos[i].ADBAddr)
		addrs[infos[i].ADBAddr] = true
	}

	for i, spec := range specs {
		wg.Go(func() { errs[i] = f.d.StopPhone(f.ctx, spec.ID) })
	}
	wg.Wait()
	for i, spec := range specs {
		require.NoError(t, errs[i])
		f.requireState(t, spec.ID, runtime.StateStopped)
	}

	for i, spec := range specs {
		wg.Go(func() { errs[i] = f.d.RemovePhone(f.ctx, spec.ID) })
		wg.Go(func() { _ = f.d.RemovePhone(f.ctx, spec.ID) })
	}
	wg.Wait()
	for i, spec := range specs {
		require.NoError(t, errs[i])
		_, err := f.d.Phone(f.ctx, spec.ID)
		require.True(t, errors.Is(err, runtime.ErrNotFound), "phone %s: %v", spec.ID, err)
	}
}

// newID returns a random ID in the API's form.
func newID(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

// freePort returns a loopback port nothing listens on right now, so that drivers which really
// publish ports (docker) can run the suite without colliding with the machine's services.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
