package sim_test

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/adb"
	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/runtime/sim"
)

// dialPhone connects to a phone's adb endpoint as the control plane does.
func dialPhone(t *testing.T, d runtime.Driver, id string) *adb.Conn {
	t.Helper()
	info, err := d.Phone(t.Context(), id)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	c, err := adb.Dial(ctx, info.ADBAddr, adb.DialOptions{})
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// shell runs cmd on the phone and returns its stdout, requiring exit status 0.
func shell(t *testing.T, c *adb.Conn, cmd string) string {
	t.Helper()
	stdout, stderr, exit, err := c.Shell(t.Context(), cmd)
	require.NoError(t, err)
	require.Zero(t, exit, "%s: %s", cmd, stderr)
	return string(stdout)
}

func getprop(t *testing.T, c *adb.Conn, name string) string {
	t.Helper()
	return strings.TrimSuffix(shell(t, c, "getprop "+name), "\n")
}

// requireDropped checks that the phone dropped c, as a phone that powers off does.
func requireDropped(t *testing.T, c *adb.Conn) {
	t.Helper()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the connection outlived the phone's power cycle")
	}
}

// requireDown checks that c was dropped and that the phone's endpoint refuses connections, as a
// powered-off phone's does.
func requireDown(t *testing.T, d runtime.Driver, id string, c *adb.Conn) {
	t.Helper()
	requireDropped(t, c)
	info, err := d.Phone(t.Context(), id)
	require.NoError(t, err)
	nc, err := net.DialTimeout("tcp", info.ADBAddr, 5*time.Second)
	if err == nil {
		nc.Close()
	}
	require.Error(t, err, "nothing listens on %s", info.ADBAddr)
}

// push writes content to a device path through adb.
func push(t *testing.T, c *adb.Conn, path, content string) {
	t.Helper()
	require.NoError(t, c.Push(t.Context(), strings.NewReader(content), path, 0o644, time.Now()))
}

// pull reads a device path through adb; a missing file's error matches fs.ErrNotExist.
func pull(t *testing.T, c *adb.Conn, path string) (string, error) {
	t.Helper()
	var b bytes.Buffer
	err := c.Pull(t.Context(), path, &b)
	return b.String(), err
}

// A running phone is an adb device on its ADBAddr: it answers the shell with its spec's identity,
// goes away when stopped, comes back with its data after start and restart, and without it after
// reset, keeping its serial.
func TestPhoneServesADB(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	spec.Properties = map[string]string{"ro.product.brand": "OpenCPH", "ro.com.cph.notification_disable": "1"}
	create(t, d, spec)

	c := dialPhone(t, d, spec.ID)
	require.Equal(t, "ok\n", shell(t, c, "echo ok"))
	serial := getprop(t, c, "ro.serialno")
	require.Regexp(t, `^[0-9a-f]{16}$`, serial)
	for name, want := range map[string]string{
		"ro.product.model":                spec.Model.Name,
		"ro.ril.oem.imei":                 spec.IMEI,
		"ro.sf.lcd_density":               "320",
		"ro.product.brand":                "OpenCPH",
		"ro.com.cph.notification_disable": "1",
	} {
		require.Equal(t, want, getprop(t, c, name), name)
	}
	require.Equal(t, "Physical size: 720x1280\n", shell(t, c, "wm size"))
	push(t, c, "/data/local/tmp/kept.txt", "kept")
	b, err := d.ReadDataFile(t.Context(), spec.ID, "local/tmp/kept.txt")
	require.NoError(t, err)
	require.Equal(t, "kept", string(b), "the phone's /data is its data directory")

	require.NoError(t, d.StopPhone(t.Context(), spec.ID))
	requireDown(t, d, spec.ID, c)

	require.NoError(t, d.StartPhone(t.Context(), spec.ID))
	c = dialPhone(t, d, spec.ID)
	got, err := pull(t, c, "/data/local/tmp/kept.txt")
	require.NoError(t, err)
	require.Equal(t, "kept", got, "start keeps data")

	require.NoError(t, d.RestartPhone(t.Context(), spec))
	requireDropped(t, c)
	c = dialPhone(t, d, spec.ID)
	got, err = pull(t, c, "/data/local/tmp/kept.txt")
	require.NoError(t, err)
	require.Equal(t, "kept", got, "restart keeps data")
	require.Equal(t, serial, getprop(t, c, "ro.serialno"))

	require.NoError(t, d.ResetPhone(t.Context(), spec))
	requireDropped(t, c)
	c = dialPhone(t, d, spec.ID)
	_, err = pull(t, c, "/data/local/tmp/kept.txt")
	require.ErrorIs(t, err, fs.ErrNotExist, "reset wipes data")
	require.Equal(t, serial, getprop(t, c, "ro.serialno"), "a reset phone keeps its serial")
	require.Equal(t, "OpenCPH", getprop(t, c, "ro.product.brand"), "reset applies the spec's properties")

	other := phoneSpec("q", hostsOf(t, d)[0], 1, 20002)
	create(t, d, other)
	require.NotEqual(t, serial, getprop(t, dialPhone(t, d, other.ID), "ro.serialno"), "phones have serials of their own")

	require.NoError(t, d.RemovePhone(t.Context(), spec.ID))
	requireDropped(t, c)
}

// A restart applies the spec's new properties and forgets those it no longer sets, which return
// to the image's values.
func TestRestartChangesProperties(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	spec.Properties = map[string]string{"ro.product.brand": "OpenCPH", "sys.prop.write_wifissid": "lab"}
	create(t, d, spec)
	c := dialPhone(t, d, spec.ID)
	require.Equal(t, "OpenCPH", getprop(t, c, "ro.product.brand"))
	shell(t, c, "setprop persist.sys.kept yes")

	spec.Model.Name = "restarted"
	spec.Properties = map[string]string{"sys.prop.write_wifissid": "office"}
	require.NoError(t, d.RestartPhone(t.Context(), spec))
	c = dialPhone(t, d, spec.ID)
	require.Equal(t, "office", getprop(t, c, "sys.prop.write_wifissid"))
	require.Equal(t, "HUAWEI", getprop(t, c, "ro.product.brand"), "a property no longer set returns to the image's")
	require.Equal(t, "restarted", getprop(t, c, "ro.product.model"))
	require.Equal(t, "yes", getprop(t, c, "persist.sys.kept"), "persist.* survive a restart, as on Android")
}

// The shell's reboot restarts the phone in place: its connections drop and it answers again.
func TestRebootInsidePhone(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	create(t, d, spec)
	c := dialPhone(t, d, spec.ID)
	shell(t, c, "setprop debug.before.reboot 1")
	// The phone may go down before its exit status reaches the host, as a handset's may.
	_, _, _, _ = c.Shell(t.Context(), "reboot")
	requireDropped(t, c)
	info, err := d.Phone(t.Context(), spec.ID)
	require.NoError(t, err)
	var again *adb.Conn
	require.Eventually(t, func() bool {
		again, err = adb.Dial(t.Context(), info.ADBAddr, adb.DialOptions{})
		return err == nil
	}, 10*time.Second, 10*time.Millisecond, "the phone answers after its reboot")
	t.Cleanup(func() { again.Close() })
	require.Empty(t, getprop(t, again, "debug.before.reboot"), "a reboot forgets what setprop set")
	requireState(t, d, spec.ID, runtime.StateRunning)
}

// A new driver over the same data directory, a control-plane restart, serves the phones that ran.
func TestADBAfterControlPlaneRestart(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	d := newDriver(t, cfg)
	hosts := hostsOf(t, d)
	running := phoneSpec("running", hosts[0], 0, 20001)
	stopped := phoneSpec("stopped", hosts[0], 1, 20002)
	create(t, d, running)
	create(t, d, stopped)
	c := dialPhone(t, d, running.ID)
	push(t, c, "/sdcard/Download/a.txt", "before")
	require.NoError(t, d.StopPhone(t.Context(), stopped.ID))

	require.NoError(t, d.Close())
	requireDown(t, d, running.ID, c)
	d2 := newDriver(t, cfg)
	got, err := pull(t, dialPhone(t, d2, running.ID), "/sdcard/Download/a.txt")
	require.NoError(t, err)
	require.Equal(t, "before", got)
	info, err := d2.Phone(t.Context(), stopped.ID)
	require.NoError(t, err)
	_, err = net.DialTimeout("tcp", info.ADBAddr, 5*time.Second)
	require.Error(t, err, "a stopped phone stays off")
}

// A phone whose adb address is taken fails to come up, with the address in the error, and comes
// up once the address is free.
func TestADBAddressTaken(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	d := newDriver(t, cfg)
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	addr := net.JoinHostPort(hostsOf(t, d)[0].ServerIP, "20001")
	squatter, err := net.Listen("tcp", addr)
	require.NoError(t, err)

	_, err = d.CreatePhone(t.Context(), spec)
	require.ErrorContains(t, err, "serve adb on "+addr)
	requireState(t, d, spec.ID, runtime.StateFailed)
	require.ErrorContains(t, d.StartPhone(t.Context(), spec.ID), "address already in use")
	requireState(t, d, spec.ID, runtime.StateFailed)

	require.NoError(t, squatter.Close())
	require.NoError(t, d.StartPhone(t.Context(), spec.ID))
	require.Equal(t, "ok\n", shell(t, dialPhone(t, d, spec.ID), "echo ok"))

	// A phone that cannot serve again after a control-plane restart is failed, not silently deaf.
	require.NoError(t, d.Close())
	squatter, err = net.Listen("tcp", addr)
	require.NoError(t, err)
	defer squatter.Close()
	d2 := newDriver(t, cfg)
	requireState(t, d2, spec.ID, runtime.StateFailed)
}

// Hosts outside 127/8 cannot be listened on: their phones run without an adb endpoint.
func TestNonLocalHostServesNothing(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	cfg.Hosts = []sim.HostPool{{ServerModelName: modelKG, Count: 1, IPPrefix: "10.20.0"}}
	d := newDriver(t, cfg)
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	info, err := d.CreatePhone(t.Context(), spec)
	require.NoError(t, err)
	require.Equal(t, runtime.StateRunning, info.State)
	require.Equal(t, "10.20.0.1:20001", info.ADBAddr)
}

// Data a phone wrote before phones had a device (phones/<id>/data a directory) becomes its /data.
func TestLoadUpgradesLayout(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	d := newDriver(t, cfg)
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	create(t, d, spec)
	require.NoError(t, d.StopPhone(t.Context(), spec.ID))
	require.NoError(t, d.Close())
	dir := filepath.Join(cfg.DataDir, "phones", spec.ID)
	require.NoError(t, os.RemoveAll(filepath.Join(dir, "device")))
	require.NoError(t, os.Remove(filepath.Join(dir, "data")))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "data", "local"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "data", "local", "old.txt"), []byte("old"), 0o600))

	d2 := newDriver(t, cfg)
	require.NoError(t, d2.StartPhone(t.Context(), spec.ID))
	got, err := pull(t, dialPhone(t, d2, spec.ID), "/data/local/old.txt")
	require.NoError(t, err)
	require.Equal(t, "old", got)
	b, err := os.ReadFile(filepath.Join(dir, "data", "local", "old.txt"))
	require.NoError(t, err)
	require.Equal(t, "old", string(b), "phones/<id>/data still leads to the data")
}

func TestLoopbackPrefix(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"10.0", "127", "127.0.1", "127.300", "x"} {
		_, err := runtime.New("sim", map[string]any{"data_dir": t.TempDir(), "loopback_prefix": bad})
		require.ErrorContains(t, err, "loopback_prefix", bad)
	}
	cfg, err := sim.ParseConfig(map[string]any{"data_dir": "x", "loopback_prefix": "127.42"})
	require.NoError(t, err)
	require.Equal(t, "127.42", cfg.LoopbackPrefix)
	d := newDriver(t, sim.Config{DataDir: t.TempDir(), LoopbackPrefix: "127.42",
		Hosts: []sim.HostPool{{ServerModelName: modelKG, Count: 2}}})
	hosts := hostsOf(t, d)
	require.Equal(t, []string{"127.42.1.1", "127.42.1.2"}, []string{hosts[0].ServerIP, hosts[1].ServerIP})
}

// Stopping a phone does not wait for its hosts: a command still reading its input is cut off, as
// powering a handset off would.
func TestStopCutsRunningCommands(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	create(t, d, spec)
	c := dialPhone(t, d, spec.ID)
	stdin, feed := io.Pipe()
	defer feed.Close()
	var out syncBuffer
	done := make(chan error, 1)
	go func() {
		_, err := c.ShellStream(t.Context(), "cat", stdin, &out, nil)
		done <- err
	}()
	_, err := feed.Write([]byte("running\n"))
	require.NoError(t, err)
	require.Eventually(t, func() bool { return out.String() == "running\n" }, 10*time.Second, 5*time.Millisecond)

	require.NoError(t, d.StopPhone(t.Context(), spec.ID))
	select {
	case err := <-done:
		require.Error(t, err, "the command ends with the connection")
	case <-time.After(10 * time.Second):
		t.Fatal("the command outlived the stopped phone")
	}
}

// syncBuffer is a bytes.Buffer safe to write from one goroutine and read from another.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
