package main

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/adb"
)

// shellOnce dials the phone and runs one command, or fails.
func shellOnce(ctx context.Context, addr, cmd string) (string, error) {
	c, err := adb.Dial(ctx, addr, adb.DialOptions{})
	if err != nil {
		return "", err
	}
	defer c.Close()
	out, _, _, err := c.Shell(ctx, cmd)
	return string(out), err
}

// TestSimphoneServesAndReboots runs cph simphone, talks to it over adb, reboots it from its own
// shell and finds the same phone back on the same address.
func TestSimphoneServesAndReboots(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	data := filepath.Join(t.TempDir(), "phone")
	go func() {
		done <- runSimphone(ctx, []string{"--listen", addr, "--data", data, "--model", "rc3.pro", "--prop", "persist.sys.locale=zh-CN"})
	}()
	var out string
	require.Eventually(t, func() bool {
		out, err = shellOnce(ctx, addr, "getprop ro.product.model; getprop persist.sys.locale; getprop ro.serialno")
		return err == nil
	}, 10*time.Second, 20*time.Millisecond)
	require.Regexp(t, `^rc3\.pro\nzh-CN\n[0-9a-f]{16}\n$`, out)

	// As on a real phone, the connection may drop before reboot's answer arrives.
	_, _ = shellOnce(ctx, addr, "setprop debug.before 1; reboot")
	require.Eventually(t, func() bool {
		after, err := shellOnce(ctx, addr, "getprop ro.product.model; getprop persist.sys.locale; getprop ro.serialno; getprop debug.before")
		return err == nil && after == out+"\n"
	}, 10*time.Second, 20*time.Millisecond, "the same phone, without what a plain setprop set")

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("simphone did not stop")
	}
}

func TestSimphoneNeedsData(t *testing.T) {
	require.ErrorContains(t, runSimphone(t.Context(), []string{"--listen", "127.0.0.1:0"}), "--data is required")
	require.ErrorContains(t, runSimphone(t.Context(), []string{"--data", t.TempDir(), "--prop", "novalue"}), "is not NAME=VALUE")
}
