package adb

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// realAdb drives Debian's adb binary with its own server port and HOME (so its own
// ~/.android/adbkey), so tests neither collide with each other nor touch the user's adb.
type realAdb struct {
	bin  string
	port string
	home string
	env  []string
}

func startRealAdb(t testing.TB) *realAdb {
	t.Helper()
	bin, err := exec.LookPath("adb")
	if err != nil {
		t.Skip("adb binary not found (apt-get install adb): skipping tests against the real adb client")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	require.NoError(t, ln.Close())
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "ANDROID_") || strings.HasPrefix(kv, "ADB_") {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "HOME="+home, "ANDROID_ADB_SERVER_PORT="+port, "TMPDIR="+home)
	a := &realAdb{bin: bin, port: port, home: home, env: env}
	t.Cleanup(func() { a.run(t, nil, "kill-server") })
	return a
}

// run runs adb with args and stdin, returning its output and exit status.
func (a *realAdb) run(t testing.TB, stdin []byte, args ...string) (stdout, stderr string, exit int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.bin, append([]string{"-P", a.port}, args...)...)
	cmd.Env = a.env
	cmd.Dir = a.home
	cmd.WaitDelay = 5 * time.Second
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		exit = ee.ExitCode()
	case err != nil:
		t.Fatalf("adb %v: %v (stderr %q)", args, err, errOut.String())
	}
	return out.String(), errOut.String(), exit
}

// connect attaches a device at addr to the adb server and waits until it is in state. adb
// connect itself reports "connected to" or, for a device that refuses its key, "failed to
// authenticate to"; the device list is what tells the state.
func (a *realAdb) connect(t testing.TB, addr, state string) {
	t.Helper()
	a.run(t, nil, "connect", addr)
	require.Eventually(t, func() bool {
		out, _, _ := a.run(t, nil, "devices")
		return strings.Contains(out, addr+"\t"+state+"\n")
	}, 30*time.Second, 100*time.Millisecond, "device %s never became %q", addr, state)
}

func TestRealAdb(t *testing.T) {
	t.Parallel()
	a := startRealAdb(t)
	dev := newFakeDevice()
	binary := make([]byte, 0, 512)
	for i := range 512 {
		binary = append(binary, byte(i))
	}
	dev.put("/data/bin", binary, 0o644)
	addr := serve(t, dev, ServeOptions{})
	a.connect(t, addr, "device")

	t.Run("shell", func(t *testing.T) {
		tests := []struct {
			name           string
			args           []string
			stdin          []byte
			stdout, stderr string
			exit           int
		}{
			{name: "echo", args: []string{"shell", "echo", "hi"}, stdout: "hi\n"},
			{name: "exit status reaches adb through shell v2", args: []string{"shell", "exit 3"}, exit: 3},
			{name: "stderr stays stderr", args: []string{"shell", "err", "boom"}, stderr: "boom\n", exit: 1},
			{name: "unknown command", args: []string{"shell", "nope"}, stderr: "/system/bin/sh: nope: not found\n", exit: 127},
			{name: "stdin is forwarded", args: []string{"shell", "cat"}, stdin: []byte("piped\x00\xff"), stdout: "piped\x00\xff"},
			{name: "exec-out is binary safe", args: []string{"exec-out", "cat", "/data/bin"}, stdout: string(binary)},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				stdout, stderr, exit := a.run(t, tt.stdin, append([]string{"-s", addr}, tt.args...)...)
				require.Equal(t, tt.stdout, stdout)
				require.Equal(t, tt.stderr, stderr)
				require.Equal(t, tt.exit, exit)
			})
		}
	})

	t.Run("push and pull 10 MiB unchanged", func(t *testing.T) {
		data := randomBytes(t, 10<<20)
		local := filepath.Join(a.home, "big.bin")
		require.NoError(t, os.WriteFile(local, data, 0o644))
		mtime := time.Unix(1711111111, 0)
		require.NoError(t, os.Chtimes(local, mtime, mtime))
		_, stderr, exit := a.run(t, nil, "-s", addr, "push", local, "/sdcard/")
		require.Zero(t, exit, stderr)
		f, ok := dev.get("/sdcard/big.bin")
		require.True(t, ok, "adb push to a directory lands in it")
		require.True(t, bytes.Equal(data, f.data), "pushed data differs")
		require.True(t, mtime.Equal(f.mtime), "adb push carries the mtime")

		pulled := filepath.Join(a.home, "pulled.bin")
		_, stderr, exit = a.run(t, nil, "-s", addr, "pull", "/sdcard/big.bin", pulled)
		require.Zero(t, exit, stderr)
		got, err := os.ReadFile(pulled)
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, got), "pulled data differs")
	})

	t.Run("reboot reaches the device", func(t *testing.T) {
		_, stderr, exit := a.run(t, nil, "-s", addr, "reboot")
		require.Zero(t, exit, stderr)
		require.Equal(t, int32(1), dev.reboots.Load())
	})

	t.Run("pull of a missing file", func(t *testing.T) {
		stdout, stderr, exit := a.run(t, nil, "-s", addr, "pull", "/sdcard/none", filepath.Join(a.home, "none"))
		require.NotZero(t, exit)
		require.Contains(t, stdout+stderr, "failed to stat remote object '/sdcard/none': No such file or directory")
	})

	t.Run("install and uninstall", func(t *testing.T) {
		apk := filepath.Join(a.home, "app.apk")
		require.NoError(t, os.WriteFile(apk, []byte("com.example.app"), 0o644))
		stdout, stderr, exit := a.run(t, nil, "-s", addr, "install", apk)
		require.Zero(t, exit, "stdout %q stderr %q", stdout, stderr)
		require.Contains(t, stdout, "Success")
		dev.mu.Lock()
		from := dev.packages["com.example.app"]
		dev.mu.Unlock()
		require.Equal(t, "/data/local/tmp/app.apk", from, "adb pushes the APK and runs pm install on it")
		_, ok := dev.get("/data/local/tmp/app.apk")
		require.False(t, ok, "adb removes the pushed APK afterwards")

		stdout, stderr, exit = a.run(t, nil, "-s", addr, "uninstall", "com.example.app")
		require.Zero(t, exit, "stdout %q stderr %q", stdout, stderr)
		require.Contains(t, stdout, "Success")
		dev.mu.Lock()
		require.Empty(t, dev.packages)
		dev.mu.Unlock()
	})
}

func TestRealAdbAuth(t *testing.T) {
	t.Parallel()
	a := startRealAdb(t)
	keyPath := filepath.Join(a.home, ".android", "adbkey")
	require.NoError(t, os.MkdirAll(filepath.Dir(keyPath), 0o700))
	_, stderr, exit := a.run(t, nil, "keygen", keyPath)
	require.Zero(t, exit, stderr)

	// Our encoding of adb's own key is byte for byte what adb wrote to adbkey.pub.
	pem, err := os.ReadFile(keyPath)
	require.NoError(t, err)
	priv, err := ParsePrivateKey(pem)
	require.NoError(t, err)
	pubFile, err := os.ReadFile(keyPath + ".pub")
	require.NoError(t, err)
	ours, err := EncodePublicKey(&priv.PublicKey)
	require.NoError(t, err)
	require.Equal(t, strings.Fields(string(pubFile))[0], ours)
	adbPub := ParseAuthorizedKeys(pubFile)
	require.Len(t, adbPub, 1)
	require.True(t, priv.PublicKey.Equal(adbPub[0]))

	secure := func(keys ...*rsa.PublicKey) ServeOptions {
		return ServeOptions{Secure: func() bool { return true }, AuthorizedKeys: func() []*rsa.PublicKey { return keys }}
	}
	t.Run("ro.adb.secure=1 admits adb's authorized key", func(t *testing.T) {
		addr := serve(t, newFakeDevice(), secure(adbPub[0]))
		a.connect(t, addr, "device")
		stdout, _, exit := a.run(t, nil, "-s", addr, "shell", "echo", "authorized")
		require.Zero(t, exit)
		require.Equal(t, "authorized\n", stdout)
	})
	t.Run("ro.adb.secure=1 leaves an unknown key unauthorized", func(t *testing.T) {
		addr := serve(t, newFakeDevice(), secure(&testKeys()[0].PublicKey))
		a.connect(t, addr, "unauthorized")
		_, stderr, exit := a.run(t, nil, "-s", addr, "shell", "echo", "x")
		require.NotZero(t, exit)
		require.Contains(t, stderr, "unauthorized")
	})
}
