package sim

import (
	"bytes"
	"context"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// confined boots a phone whose data dir sits beside a secret file and directory of the host, and
// plants links inside the tree that point at them, absolutely and relatively.
func confined(t *testing.T) (d *Device, secretFile, secretDir string) {
	t.Helper()
	base := t.TempDir()
	secretFile = filepath.Join(base, "secret")
	secretDir = filepath.Join(base, "outside")
	require.NoError(t, os.WriteFile(secretFile, []byte("host secret\n"), 0o600))
	require.NoError(t, os.Mkdir(secretDir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(secretDir, "keep"), []byte("keep\n"), 0o600))
	d, err := New(filepath.Join(base, "phone"), Config{})
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	tmp := filepath.Join(d.Dir(), fsDir, "data/local/tmp")
	require.NoError(t, os.Symlink(secretFile, filepath.Join(tmp, "abs")))
	require.NoError(t, os.Symlink("../../../../secret", filepath.Join(tmp, "rel")))
	require.NoError(t, os.Symlink(secretDir, filepath.Join(tmp, "absdir")))
	require.NoError(t, os.Symlink("../../../../outside", filepath.Join(tmp, "reldir")))
	return d, secretFile, secretDir
}

// TestConfinement: every way of naming a host path from inside the phone names nothing, or the
// phone's own file of that name, and no write lands outside the tree.
func TestConfinement(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, cmd string }{
		{"dot-dot above the root reads the phone's own /secret", "cat /../../../../secret"},
		{"relative dot-dot from a subdirectory", "cd /data/local/tmp && cat ../../../../../../secret"},
		{"an absolute host path is a device path", "cat " + "/tmp/../etc/passwd"},
		{"an absolute link planted inside", "cat /data/local/tmp/abs"},
		{"a relative link planted inside", "cat /data/local/tmp/rel"},
		{"a link to a host directory", "ls /data/local/tmp/absdir/keep"},
		{"a relative link to a host directory", "cat /data/local/tmp/reldir/keep"},
		{"cp out through a link", "cp /data/local/tmp/rel /sdcard/copy"},
		{"cd through a link", "cd /data/local/tmp/reldir"},
		{"redirect from a link", "cat < /data/local/tmp/abs"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, _, _ := confined(t)
			out, errOut, exit := sh(t, d, tc.cmd)
			require.NotEqual(t, 0, exit)
			require.NotContains(t, out, "secret")
			require.NotContains(t, out, "keep")
			require.NotContains(t, errOut, filepath.Dir(d.Dir()), "host paths never appear in messages")
			require.Contains(t, errOut, "No such file or directory")
		})
	}
}

func TestConfinedWrites(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, cmd string }{
		{"redirect into a linked directory", "echo x > /data/local/tmp/absdir/new"},
		{"redirect into a relative linked directory", "echo x > /data/local/tmp/reldir/new"},
		{"touch through a link", "touch /data/local/tmp/reldir/new"},
		{"mkdir through a link", "mkdir /data/local/tmp/absdir/new"},
		{"cp into a linked directory", "echo x > /sdcard/new; cp /sdcard/new /data/local/tmp/reldir/new"},
		{"mv into a linked directory", "echo x > /sdcard/new; mv /sdcard/new /data/local/tmp/absdir/new"},
		{"screencap into a linked directory", "screencap -p /data/local/tmp/reldir/new"},
		{"rm through a link", "rm /data/local/tmp/reldir/keep"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d, secret, dir := confined(t)
			_, _, exit := sh(t, d, tc.cmd)
			require.NotEqual(t, 0, exit)
			require.NoFileExists(t, filepath.Join(dir, "new"))
			require.FileExists(t, filepath.Join(dir, "keep"))
			b, err := os.ReadFile(secret)
			require.NoError(t, err)
			require.Equal(t, "host secret\n", string(b))
		})
	}
}

// TestRmRfOfALinkRemovesOnlyTheLink: removing a planted link never follows it.
func TestRmRfOfALinkRemovesOnlyTheLink(t *testing.T) {
	t.Parallel()
	d, secret, dir := confined(t)
	_, errOut, exit := sh(t, d, "rm -rf /data/local/tmp/absdir /data/local/tmp/reldir /data/local/tmp/abs /data/local/tmp/rel")
	require.Zero(t, exit, errOut)
	require.FileExists(t, filepath.Join(dir, "keep"))
	require.FileExists(t, secret)
	out, _, _ := sh(t, d, "ls /data/local/tmp")
	require.Empty(t, out)
}

// TestSyncConfinement covers the adb.Device methods that sync uses.
func TestSyncConfinement(t *testing.T) {
	t.Parallel()
	d, _, dir := confined(t)
	for _, p := range []string{"/../secret", "../../secret", "/data/local/tmp/abs", "/data/local/tmp/rel", "/data/local/tmp/reldir/keep"} {
		_, err := d.Stat(p)
		require.ErrorIs(t, err, fs.ErrNotExist, p)
		_, err = d.Open(p)
		require.ErrorIs(t, err, fs.ErrNotExist, p)
	}
	_, err := d.List("/data/local/tmp/absdir")
	require.ErrorIs(t, err, fs.ErrNotExist)
	fi, err := d.Lstat("/data/local/tmp/abs")
	require.NoError(t, err, "the link itself is inside and can be described")
	require.Equal(t, fs.ModeSymlink, fi.Mode().Type())

	for _, p := range []string{"/data/local/tmp/absdir/new", "/data/local/tmp/reldir/new"} {
		w, err := d.Create(p, 0o644, time.Now())
		if err == nil {
			_, _ = io.WriteString(w, "x")
			err = w.Close()
		}
		require.Error(t, err, p)
		require.NoFileExists(t, filepath.Join(dir, "new"))
	}
	// ".." in a pushed path stops at the root: the file lands inside the tree.
	w, err := d.Create("/../../escaped", 0o644, time.Now())
	require.NoError(t, err)
	_, err = io.WriteString(w, "in")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	require.FileExists(t, filepath.Join(d.Dir(), fsDir, "escaped"))
	require.NoFileExists(t, filepath.Join(filepath.Dir(d.Dir()), "escaped"))
}

// TestErrorsNameDevicePaths: a failure reports the path the user gave, never the host's.
func TestErrorsNameDevicePaths(t *testing.T) {
	t.Parallel()
	d := setup(t)
	_, err := d.Open("/nope")
	require.EqualError(t, err, "open /nope: no such file or directory")
	var out bytes.Buffer
	_, err = d.Shell(context.Background(), "cat /nope", nil, &out, &out)
	require.NoError(t, err)
	require.False(t, strings.Contains(out.String(), d.Dir()))
}
