package adb

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Test keys are generated once: 2048-bit generation is slow under the race detector.
var testKeys = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 3)
	for i := range keys {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		keys[i] = k
	}
	return keys
})

// serve runs a device server on a loopback port until the test ends.
func serve(t testing.TB, dev Device, opts ServeOptions) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, dev, opts) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-done)
	})
	return ln.Addr().String()
}

func setup(t testing.TB, sopts ServeOptions, dopts DialOptions) (*fakeDevice, *Conn) {
	t.Helper()
	dev := newFakeDevice()
	addr := serve(t, dev, sopts)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := Dial(ctx, addr, dopts)
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return dev, c
}

func testCtx(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return b
}

func TestShell(t *testing.T) {
	t.Parallel()
	_, c := setup(t, ServeOptions{}, DialOptions{})
	require.True(t, c.HasFeature("shell_v2"))
	require.Contains(t, c.Banner(), "ro.product.model=Fake;")
	tests := []struct {
		name, cmd      string
		stdout, stderr string
		exit           int
	}{
		{name: "stdout and exit 0", cmd: "echo hi there", stdout: "hi there\n"},
		{name: "exit status travels in the exit packet", cmd: "exit 3", exit: 3},
		{name: "exit status is one byte", cmd: "exit 258", exit: 2},
		{name: "stderr is separate from stdout", cmd: "err boom", stderr: "boom\n", exit: 1},
		{name: "unknown command is 127 like sh", cmd: "nope", stderr: "/system/bin/sh: nope: not found\n", exit: 127},
		{name: "stdin is closed at once", cmd: "cat", exit: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			stdout, stderr, exit, err := c.Shell(testCtx(t), tt.cmd)
			require.NoError(t, err)
			require.Equal(t, tt.stdout, string(stdout))
			require.Equal(t, tt.stderr, string(stderr))
			require.Equal(t, tt.exit, exit)
		})
	}
}

func TestShellLargeOutputAndStdin(t *testing.T) {
	t.Parallel()
	_, c := setup(t, ServeOptions{}, DialOptions{})
	stdout, _, exit, err := c.Shell(testCtx(t), "yes 3000000")
	require.NoError(t, err)
	require.Zero(t, exit)
	require.Equal(t, strings.Repeat("y\n", 1500000), string(stdout))

	in := randomBytes(t, 3<<20)
	var out bytes.Buffer
	exit, err = c.ShellStream(testCtx(t), "cat", bytes.NewReader(in), &out, nil)
	require.NoError(t, err)
	require.Zero(t, exit)
	require.True(t, bytes.Equal(in, out.Bytes()), "stdin came back changed")
}

func TestExecIsBinarySafe(t *testing.T) {
	t.Parallel()
	dev, c := setup(t, ServeOptions{}, DialOptions{})
	data := make([]byte, 0, 1<<20+256)
	for i := range 256 {
		data = append(data, byte(i))
	}
	data = append(data, randomBytes(t, 1<<20)...)
	dev.put("/data/blob", data, 0o644)
	out, err := c.Exec(testCtx(t), "cat /data/blob")
	require.NoError(t, err)
	require.True(t, bytes.Equal(data, out), "exec output differs")
}

func TestPushPull10MiB(t *testing.T) {
	t.Parallel()
	dev, c := setup(t, ServeOptions{}, DialOptions{})
	ctx := testCtx(t)
	data := randomBytes(t, 10<<20)
	mtime := time.Unix(1712345678, 0)
	require.NoError(t, c.Push(ctx, bytes.NewReader(data), "/sdcard/big.bin", 0o640, mtime))

	f, ok := dev.get("/sdcard/big.bin")
	require.True(t, ok)
	require.True(t, bytes.Equal(data, f.data))
	require.Equal(t, fs.FileMode(0o666), f.mode, "owner bits are copied to group and others, as adbd does")
	require.True(t, mtime.Equal(f.mtime), "the mtime from DONE reaches the device")

	fi, err := c.Stat(ctx, "/sdcard/big.bin")
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), fi.Size())
	require.Equal(t, "big.bin", fi.Name())
	require.True(t, mtime.Equal(fi.ModTime()))
	require.True(t, fi.Mode().IsRegular())

	var got bytes.Buffer
	require.NoError(t, c.Pull(ctx, "/sdcard/big.bin", &got))
	require.True(t, bytes.Equal(data, got.Bytes()), "pulled data differs")

	entries, err := c.List(ctx, "/sdcard")
	require.NoError(t, err)
	require.Len(t, entries, 1)
	require.Equal(t, "big.bin", entries[0].Name())
	require.Equal(t, int64(len(data)), entries[0].Size())
}

func TestSyncErrors(t *testing.T) {
	t.Parallel()
	dev, c := setup(t, ServeOptions{}, DialOptions{})
	dev.put("/data/file", []byte("x"), 0o644)
	ctx := testCtx(t)
	tests := []struct {
		name string
		run  func() error
		is   error
	}{
		{name: "stat of a missing path is ErrNotExist", run: func() error { _, err := c.Stat(ctx, "/nope"); return err }, is: fs.ErrNotExist},
		{name: "pull of a missing file is ErrNotExist", run: func() error { return c.Pull(ctx, "/nope", io.Discard) }, is: fs.ErrNotExist},
		{name: "list of a missing directory is ErrNotExist", run: func() error { _, err := c.List(ctx, "/nope"); return err }, is: fs.ErrNotExist},
		{name: "list of a file is ENOTDIR", run: func() error { _, err := c.List(ctx, "/data/file"); return err }, is: syscall.ENOTDIR},
		{name: "push into a missing directory fails", run: func() error {
			return c.Push(ctx, strings.NewReader("x"), "/missing/dir/f", 0o644, time.Now())
		}, is: fs.ErrNotExist},
		{name: "path longer than 1024 bytes is refused locally", run: func() error {
			_, err := c.Stat(ctx, "/"+strings.Repeat("a", 1100))
			return err
		}, is: syscall.ENAMETOOLONG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			require.ErrorIs(t, err, tt.is)
		})
	}
	// The connection is still good after all those failures.
	out, _, _, err := c.Shell(ctx, "echo ok")
	require.NoError(t, err)
	require.Equal(t, "ok\n", string(out))
}

// Version 1 of STAT and LIST is what devices without stat_v2/ls_v2 answer.
func TestSyncV1(t *testing.T) {
	t.Parallel()
	dev, c := setup(t, ServeOptions{}, DialOptions{})
	dev.put("/data/f", []byte("hello"), 0o600)
	ctx := testCtx(t)
	sc, err := c.openSync(ctx)
	require.NoError(t, err)
	defer sc.close()
	fi, err := sc.stat("/data/f", false)
	require.NoError(t, err)
	require.Equal(t, int64(5), fi.Size())
	require.Equal(t, fs.FileMode(0o600), fi.Mode())
	_, err = sc.stat("/data/none", false)
	require.ErrorIs(t, err, fs.ErrNotExist)
	entries, err := sc.list("/data", false)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	require.Equal(t, []string{"f", "local"}, names)
	require.True(t, entries[1].IsDir())
}

func TestPayloadSizes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name           string
		client, device int
	}{
		{name: "smallest client payload", client: MinPayload, device: MaxPayload},
		{name: "smallest device payload", client: MaxPayload, device: MinPayload},
		{name: "odd sizes meet at the smaller", client: 5000, device: 70000},
		{name: "largest both ways", client: MaxPayload, device: MaxPayload},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dev, c := setup(t, ServeOptions{MaxPayload: tt.device}, DialOptions{MaxPayload: tt.client})
			require.Equal(t, min(tt.client, tt.device), c.MaxPayload())
			ctx := testCtx(t)
			data := randomBytes(t, 1<<20+17)
			require.NoError(t, c.Push(ctx, bytes.NewReader(data), "/data/p", 0o644, time.Now()))
			f, _ := dev.get("/data/p")
			require.True(t, bytes.Equal(data, f.data))
			var got bytes.Buffer
			require.NoError(t, c.Pull(ctx, "/data/p", &got))
			require.True(t, bytes.Equal(data, got.Bytes()))
			out, _, _, err := c.Shell(ctx, "yes 200000")
			require.NoError(t, err)
			require.Len(t, out, 200000)
		})
	}
}

func TestOptionsOutOfRange(t *testing.T) {
	t.Parallel()
	_, err := Dial(testCtx(t), "127.0.0.1:1", DialOptions{MaxPayload: MinPayload - 1})
	require.ErrorContains(t, err, "MaxPayload")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	require.ErrorContains(t, Serve(testCtx(t), ln, newFakeDevice(), ServeOptions{MaxPayload: MaxPayload + 1}), "MaxPayload")
}

func TestManyStreamsOnOneConnection(t *testing.T) {
	t.Parallel()
	dev, c := setup(t, ServeOptions{}, DialOptions{MaxStreams: 8})
	ctx := testCtx(t)
	const n = 64
	var wg sync.WaitGroup
	errs := make(chan error, 2*n)
	for i := range n {
		wg.Go(func() {
			out, _, exit, err := c.Shell(ctx, fmt.Sprintf("echo %d", i))
			if err == nil && (exit != 0 || string(out) != fmt.Sprintf("%d\n", i)) {
				err = fmt.Errorf("shell %d: exit %d, output %q", i, exit, out)
			}
			errs <- err
		})
		wg.Go(func() {
			data := bytes.Repeat([]byte{byte(i)}, 100000+i)
			p := fmt.Sprintf("/data/f%d", i)
			err := c.Push(ctx, bytes.NewReader(data), p, 0o644, time.Now())
			if err == nil {
				var got bytes.Buffer
				err = c.Pull(ctx, p, &got)
				if err == nil && !bytes.Equal(data, got.Bytes()) {
					err = fmt.Errorf("%s came back changed", p)
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Eventually(t, func() bool { return c.m.numStreams() == 0 && dev.shells.Load() == 0 },
		5*time.Second, 10*time.Millisecond, "streams are released")
}

func TestCancellation(t *testing.T) {
	t.Parallel()
	dev, c := setup(t, ServeOptions{}, DialOptions{})

	ctx, cancel := context.WithCancel(testCtx(t))
	result := make(chan error, 1)
	go func() {
		_, _, _, err := c.Shell(ctx, "sleep")
		result <- err
	}()
	require.Equal(t, "sleep", <-dev.started)
	cancel()
	require.ErrorIs(t, <-result, context.Canceled)
	require.Eventually(t, func() bool { return dev.shells.Load() == 0 }, 5*time.Second, 10*time.Millisecond,
		"the device's command sees its context end")

	tctx, tcancel := context.WithTimeout(testCtx(t), 50*time.Millisecond)
	defer tcancel()
	_, _, _, err := c.Shell(tctx, "sleep")
	require.ErrorIs(t, err, context.DeadlineExceeded)

	dev.put("/data/big", randomBytes(t, 8<<20), 0o644)
	pctx, pcancel := context.WithCancel(testCtx(t))
	w := &cancelAfter{n: 1 << 20, cancel: pcancel}
	require.ErrorIs(t, c.Pull(pctx, "/data/big", w), context.Canceled)

	out, _, _, err := c.Shell(testCtx(t), "echo still here")
	require.NoError(t, err)
	require.Equal(t, "still here\n", string(out))
	require.Eventually(t, func() bool { return c.m.numStreams() == 0 && dev.shells.Load() == 0 },
		5*time.Second, 10*time.Millisecond)
}

// cancelAfter cancels once n bytes have been written to it.
type cancelAfter struct {
	n      int
	cancel context.CancelFunc
}

func (w *cancelAfter) Write(p []byte) (int, error) {
	w.n -= len(p)
	if w.n <= 0 {
		w.cancel()
	}
	return len(p), nil
}

func TestRefusedService(t *testing.T) {
	t.Parallel()
	_, c := setup(t, ServeOptions{}, DialOptions{})
	_, err := c.Open(testCtx(t), "remount:")
	require.ErrorIs(t, err, ErrRefused)
	_, err = c.Open(testCtx(t), "shellfoo:x")
	require.ErrorIs(t, err, ErrRefused)
}

func TestAuth(t *testing.T) {
	t.Parallel()
	keys := testKeys()
	ours, other, third := keys[0], keys[1], keys[2]
	tests := []struct {
		name       string
		secure     bool
		authorized []*rsa.PrivateKey
		key        *rsa.PrivateKey
		err        error
	}{
		{name: "ro.adb.secure=0 admits a host without a key", secure: false},
		{name: "ro.adb.secure=0 admits any key", secure: false, key: ours},
		{name: "ro.adb.secure=1 admits an authorized key", secure: true, authorized: []*rsa.PrivateKey{ours}, key: ours},
		{name: "ro.adb.secure=1 tries every authorized key", secure: true, authorized: []*rsa.PrivateKey{other, ours}, key: ours},
		{name: "ro.adb.secure=1 refuses an unknown key", secure: true, authorized: []*rsa.PrivateKey{other, third}, key: ours, err: ErrUnauthorized},
		{name: "ro.adb.secure=1 refuses a host without a key", secure: true, authorized: []*rsa.PrivateKey{ours}, err: ErrUnauthorized},
		{name: "ro.adb.secure=1 with no adb_keys refuses everyone", secure: true, key: ours, err: ErrUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var pubs []*rsa.PublicKey
			for _, k := range tt.authorized {
				pubs = append(pubs, &k.PublicKey)
			}
			addr := serve(t, newFakeDevice(), ServeOptions{
				Secure:         func() bool { return tt.secure },
				AuthorizedKeys: func() []*rsa.PublicKey { return pubs },
			})
			c, err := Dial(testCtx(t), addr, DialOptions{Key: tt.key})
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			defer c.Close()
			out, _, _, err := c.Shell(testCtx(t), "echo in")
			require.NoError(t, err)
			require.Equal(t, "in\n", string(out))
		})
	}
}

func TestServeShutdown(t *testing.T) {
	t.Parallel()
	dev := newFakeDevice()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, dev, ServeOptions{}) }()
	c, err := Dial(testCtx(t), ln.Addr().String(), DialOptions{})
	require.NoError(t, err)
	shell := make(chan error, 1)
	go func() {
		_, _, _, err := c.Shell(testCtx(t), "sleep")
		shell <- err
	}()
	<-dev.started
	cancel()
	require.NoError(t, <-served, "Serve returns nil once ctx ends")
	require.Zero(t, dev.shells.Load(), "Serve waits for running commands")
	require.Error(t, <-shell)
	<-c.Done()
	require.ErrorIs(t, c.Err(), ErrClosed)
	_, err = c.Open(testCtx(t), "sync:")
	require.ErrorIs(t, err, ErrClosed)
}

func TestPool(t *testing.T) {
	t.Parallel()
	dev := newFakeDevice()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	counting := &countingListener{Listener: ln}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, counting, dev, ServeOptions{}) }()

	p := NewPool(DialOptions{}, 0)
	defer p.Close()
	var wg sync.WaitGroup
	conns := make([]*Conn, 16)
	for i := range conns {
		wg.Go(func() {
			c, err := p.Get(testCtx(t), addr)
			if err == nil {
				conns[i] = c
			}
		})
	}
	wg.Wait()
	for _, c := range conns {
		require.Same(t, conns[0], c, "one connection per phone")
	}
	require.Equal(t, int32(1), counting.accepted.Load())

	// The phone restarts: the old connection breaks and the next Get dials a new one.
	cancel()
	require.NoError(t, <-served)
	<-conns[0].Done()
	ln2, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer func() {
		cancel2()
		<-served
	}()
	go func() { served <- Serve(ctx2, ln2, dev, ServeOptions{}) }()
	c, err := p.Get(testCtx(t), addr)
	require.NoError(t, err)
	require.NotSame(t, conns[0], c)
	out, _, _, err := c.Shell(testCtx(t), "echo again")
	require.NoError(t, err)
	require.Equal(t, "again\n", string(out))

	p.Drop(addr)
	require.Eventually(t, func() bool { return c.Err() != nil }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, p.Close())
	_, err = p.Get(testCtx(t), addr)
	require.ErrorIs(t, err, ErrPoolClosed)
}

func TestPoolDialFailureIsNotCached(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	p := NewPool(DialOptions{}, time.Second)
	defer p.Close()
	_, err = p.Get(testCtx(t), addr)
	require.Error(t, err)

	ln, err = net.Listen("tcp", addr)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, newFakeDevice(), ServeOptions{}) }()
	defer func() {
		cancel()
		<-served
	}()
	c, err := p.Get(testCtx(t), addr)
	require.NoError(t, err)
	require.NoError(t, c.Err())
}

type countingListener struct {
	net.Listener
	accepted atomic.Int32
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

func TestStreamAfterDeviceClose(t *testing.T) {
	t.Parallel()
	_, c := setup(t, ServeOptions{}, DialOptions{})
	s, err := c.Open(testCtx(t), "exec:echo bye")
	require.NoError(t, err)
	out, err := io.ReadAll(s)
	require.NoError(t, err)
	require.Equal(t, "bye\n", string(out))
	_, err = s.Write([]byte("late"))
	require.True(t, errors.Is(err, ErrStreamClosed), "write after the device closed: %v", err)
	require.NoError(t, s.Close())
}

// linkDevice has one symlink, /link → /data/f, to tell lstat from stat.
type linkDevice struct{ *fakeDevice }

func (d linkDevice) Stat(p string) (fs.FileInfo, error) {
	if p == "/link" {
		p = "/data/f"
	}
	return d.fakeDevice.Stat(p)
}

func (d linkDevice) Lstat(p string) (fs.FileInfo, error) {
	if p == "/link" {
		return fakeInfo{name: "link", f: &fakeFile{data: []byte("/data/f"), mode: fs.ModeSymlink | 0o777}}, nil
	}
	return d.fakeDevice.Stat(p)
}

func TestStatFollowsLinksAndLstatDoesNot(t *testing.T) {
	t.Parallel()
	dev := linkDevice{newFakeDevice()}
	dev.put("/data/f", []byte("target"), 0o644)
	c, err := Dial(testCtx(t), serve(t, dev, ServeOptions{}), DialOptions{})
	require.NoError(t, err)
	defer c.Close()
	ctx := testCtx(t)

	fi, err := c.Stat(ctx, "/link")
	require.NoError(t, err)
	require.True(t, fi.Mode().IsRegular(), "STA2 follows the link")
	require.Equal(t, int64(6), fi.Size())

	sc, err := c.openSync(ctx)
	require.NoError(t, err)
	defer sc.close()
	fi, err = sc.stat("/link", false)
	require.NoError(t, err)
	require.Equal(t, fs.ModeSymlink, fi.Mode().Type(), "STAT v1 is lstat")

	require.NoError(t, sc.request(idLST2, "/link"))
	b, err := sc.read(statV2Size)
	require.NoError(t, err)
	require.Equal(t, idLST2, binary.LittleEndian.Uint32(b))
	require.Equal(t, uint32(sIFLNK|0o777), binary.LittleEndian.Uint32(b[24:]), "LST2 is lstat")
}
