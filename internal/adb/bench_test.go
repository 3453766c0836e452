package adb

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const benchSize = 100 << 20

// BenchmarkShellRoundTrip runs `true` on the same fake device through our client, through the
// real adb server (its smart-socket protocol, no process start) and through the adb binary
// (a process per command, which is how scripts use it).
func BenchmarkShellRoundTrip(b *testing.B) {
	dev := newFakeDevice()
	addr := serve(b, dev, ServeOptions{})
	ctx := context.Background()

	b.Run("client", func(b *testing.B) {
		c, err := Dial(ctx, addr, DialOptions{})
		require.NoError(b, err)
		defer c.Close()
		for b.Loop() {
			if _, _, exit, err := c.Shell(ctx, "true"); err != nil || exit != 0 {
				b.Fatalf("shell: exit %d, %v", exit, err)
			}
		}
	})

	a := startRealAdb(b)
	a.connect(b, addr, "device")
	b.Run("adb-server", func(b *testing.B) {
		for b.Loop() {
			if err := adbServerShell(a.port, addr, "true"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("adb-binary", func(b *testing.B) {
		for b.Loop() {
			if _, stderr, exit := a.run(b, nil, "-s", addr, "shell", "true"); exit != 0 {
				b.Fatalf("adb shell: exit %d: %s", exit, stderr)
			}
		}
	})
}

// adbServerShell asks a running adb server to run cmd on serial, as the adb binary does
// after it has started, and waits for the exit packet.
func adbServerShell(port, serial, cmd string) error {
	nc, err := net.Dial("tcp", "127.0.0.1:"+port)
	if err != nil {
		return err
	}
	defer nc.Close()
	br := bufio.NewReader(nc)
	for _, req := range []string{"host:transport:" + serial, "shell,v2,raw:" + cmd} {
		if _, err := fmt.Fprintf(nc, "%04x%s", len(req), req); err != nil {
			return err
		}
		status := make([]byte, 4)
		if _, err := io.ReadFull(br, status); err != nil {
			return err
		}
		if string(status) != "OKAY" {
			return fmt.Errorf("adb server answered %q to %q", status, req)
		}
	}
	for {
		id, n, err := readShellHeader(br)
		if err != nil {
			return err
		}
		if _, err := io.CopyN(io.Discard, br, n); err != nil {
			return err
		}
		if id == shellExit {
			return nil
		}
	}
}

func benchData(b *testing.B) []byte {
	data := make([]byte, benchSize)
	for i := range data {
		data[i] = byte(i * 7)
	}
	return data
}

// BenchmarkPush100MiB pushes 100 MiB to a device that discards it, through our client and
// through the adb binary.
func BenchmarkPush100MiB(b *testing.B) {
	data := benchData(b)
	dev := newFakeDevice()
	addr := serve(b, dev, ServeOptions{})
	ctx := context.Background()
	b.Run("client", func(b *testing.B) {
		c, err := Dial(ctx, addr, DialOptions{})
		require.NoError(b, err)
		defer c.Close()
		b.SetBytes(benchSize)
		for b.Loop() {
			require.NoError(b, c.Push(ctx, bytes.NewReader(data), "/discard/big", 0o644, time.Now()))
		}
	})
	b.Run("adb-binary", func(b *testing.B) {
		a := startRealAdb(b)
		a.connect(b, addr, "device")
		local := filepath.Join(a.home, "big")
		require.NoError(b, os.WriteFile(local, data, 0o644))
		b.SetBytes(benchSize)
		for b.Loop() {
			if _, stderr, exit := a.run(b, nil, "-s", addr, "push", local, "/discard/big"); exit != 0 {
				b.Fatalf("adb push: %s", stderr)
			}
		}
	})
}

// BenchmarkPull100MiB pulls a 100 MiB file held in memory by the device.
func BenchmarkPull100MiB(b *testing.B) {
	dev := newFakeDevice()
	dev.put("/data/big", benchData(b), 0o644)
	addr := serve(b, dev, ServeOptions{})
	ctx := context.Background()
	b.Run("client", func(b *testing.B) {
		c, err := Dial(ctx, addr, DialOptions{})
		require.NoError(b, err)
		defer c.Close()
		b.SetBytes(benchSize)
		for b.Loop() {
			require.NoError(b, c.Pull(ctx, "/data/big", io.Discard))
		}
	})
	b.Run("adb-binary", func(b *testing.B) {
		a := startRealAdb(b)
		a.connect(b, addr, "device")
		b.SetBytes(benchSize)
		for b.Loop() {
			if _, stderr, exit := a.run(b, nil, "-s", addr, "pull", "/data/big", "/dev/null"); exit != 0 {
				b.Fatalf("adb pull: %s", stderr)
			}
		}
	})
}

// BenchmarkLoopbackTCP100MiB is the ceiling: 100 MiB over one loopback TCP connection, the
// receiver acknowledging each 100 MiB with one byte.
func BenchmarkLoopbackTCP100MiB(b *testing.B) {
	data := benchData(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(b, err)
	defer ln.Close()
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			return
		}
		defer nc.Close()
		for {
			if _, err := io.CopyN(io.Discard, nc, benchSize); err != nil {
				return
			}
			if _, err := nc.Write([]byte{1}); err != nil {
				return
			}
		}
	}()
	nc, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(b, err)
	defer nc.Close()
	ack := make([]byte, 1)
	b.SetBytes(benchSize)
	for b.Loop() {
		_, err := nc.Write(data)
		require.NoError(b, err)
		_, err = io.ReadFull(nc, ack)
		require.NoError(b, err)
	}
}
