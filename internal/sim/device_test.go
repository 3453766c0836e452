package sim

import (
	"bytes"
	"image/png"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestBanner(t *testing.T) {
	t.Parallel()
	require.Equal(t, "device::ro.product.name=monbox;ro.product.model=rc2.se;ro.product.device=HWSTF;", setup(t).Banner())
}

func TestSyncRoundTrip(t *testing.T) {
	t.Parallel()
	d := setup(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	mtime := time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)
	w, err := d.Create("/sdcard/Download/new/dir/file.bin", 0o640, time.Now())
	require.NoError(t, err, "missing parents are made")
	_, err = w.Write(data)
	require.NoError(t, err)
	_, err = d.Stat("/sdcard/Download/new/dir/file.bin")
	require.ErrorIs(t, err, fs.ErrNotExist, "nothing appears before Close")
	w.(interface{ SetModTime(time.Time) }).SetModTime(mtime)
	require.NoError(t, w.Close())

	fi, err := d.Stat("/sdcard/Download/new/dir/file.bin")
	require.NoError(t, err)
	require.Equal(t, int64(len(data)), fi.Size())
	require.Equal(t, fs.FileMode(0o640), fi.Mode().Perm())
	require.True(t, fi.ModTime().Equal(mtime))

	rc, err := d.Open("/sdcard/Download/new/dir/file.bin")
	require.NoError(t, err)
	got, err := io.ReadAll(rc)
	require.NoError(t, err)
	require.NoError(t, rc.Close())
	require.Equal(t, data, got)

	list, err := d.List("/sdcard/Download/new/dir")
	require.NoError(t, err)
	require.Len(t, list, 1, "no temporary file is left")
	require.Equal(t, "file.bin", list[0].Name())
}

func TestSyncAbortLeavesNothing(t *testing.T) {
	t.Parallel()
	d := setup(t)
	w, err := d.Create("/sdcard/partial", 0o644, time.Now())
	require.NoError(t, err)
	_, err = w.Write([]byte("half"))
	require.NoError(t, err)
	require.NoError(t, w.(interface{ Abort() error }).Abort())
	_, err = d.Stat("/sdcard/partial")
	require.ErrorIs(t, err, fs.ErrNotExist)
	list, err := d.List("/sdcard")
	require.NoError(t, err)
	for _, fi := range list {
		require.NotContains(t, fi.Name(), "partial")
	}
}

func TestSyncStatFollowsLinksAndLstatDoesNot(t *testing.T) {
	t.Parallel()
	d := setup(t)
	fi, err := d.Stat("/sdcard")
	require.NoError(t, err)
	require.True(t, fi.IsDir(), "adb push to /sdcard needs to see a directory")
	fi, err = d.Lstat("/sdcard")
	require.NoError(t, err)
	require.Equal(t, fs.ModeSymlink, fi.Mode().Type())
	fi, err = d.Lstat("/sdcard/")
	require.NoError(t, err)
	require.True(t, fi.IsDir())
	fi, err = d.Stat("/")
	require.NoError(t, err)
	require.True(t, fi.IsDir())
}

func TestSyncErrors(t *testing.T) {
	t.Parallel()
	d := setup(t)
	_, err := d.Open("/data")
	require.ErrorContains(t, err, "is a directory")
	_, err = d.List("/nope")
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = d.Create("/system/x", 0o644, time.Now())
	require.ErrorContains(t, err, "read-only file system")
	_, err = d.Create("/", 0o644, time.Now())
	require.Error(t, err)
	list, err := d.List("/sdcard")
	require.NoError(t, err)
	var names []string
	for _, fi := range list {
		names = append(names, fi.Name())
	}
	require.True(t, slices.Contains(names, "Download"))
}

func TestScreencap(t *testing.T) {
	t.Parallel()
	d := setup(t)
	for _, tc := range []struct {
		name, setup, cmd string
		w, h             int
	}{
		{"screencap -p writes a PNG of the display", "", "screencap -p", 720, 1280},
		{"a wm size override changes it", "wm size 1080x1920", "screencap -p", 1080, 1920},
		{"a file name ending in .png writes a PNG file", "", "screencap /sdcard/s.png && cat /sdcard/s.png", 720, 1280},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := setup(t)
			if tc.setup != "" {
				_, _, code := sh(t, d, tc.setup)
				require.Zero(t, code)
			}
			out, errOut, code := sh(t, d, tc.cmd)
			require.Zero(t, code, errOut)
			img, err := png.Decode(bytes.NewReader([]byte(out)))
			require.NoError(t, err)
			require.Equal(t, tc.w, img.Bounds().Dx())
			require.Equal(t, tc.h, img.Bounds().Dy())
			r, g, b, _ := img.At(10, 10).RGBA()
			require.Equal(t, [3]uint32{0x3d, 0xdc, 0x84}, [3]uint32{r >> 8, g >> 8, b >> 8})
		})
	}
	out, _, code := sh(t, d, "screencap")
	require.Zero(t, code)
	require.Len(t, out, 12+720*1280*4, "raw: a 12-byte header and RGBA pixels")
}

func TestLandscapeScreen(t *testing.T) {
	t.Parallel()
	d, err := New(t.TempDir(), Config{Properties: map[string]string{"ro.horizontal.screen": "1"}})
	require.NoError(t, err)
	defer d.Close()
	out, _, _ := sh(t, d, "screencap -p")
	cfg, err := png.DecodeConfig(bytes.NewReader([]byte(out)))
	require.NoError(t, err)
	require.Equal(t, [2]int{1280, 720}, [2]int{cfg.Width, cfg.Height})
}

func TestRebootCallsTheHost(t *testing.T) {
	t.Parallel()
	rebooted := make(chan struct{})
	d, err := New(t.TempDir(), Config{OnReboot: func() { close(rebooted) }})
	require.NoError(t, err)
	defer d.Close()
	_, _, code := sh(t, d, "reboot")
	require.Zero(t, code)
	select {
	case <-rebooted:
	case <-time.After(10 * time.Second):
		t.Fatal("OnReboot was not called")
	}
}

// TestLayout: the tree a new phone has.
func TestLayout(t *testing.T) {
	t.Parallel()
	d := setup(t)
	root := filepath.Join(d.Dir(), fsDir)
	for _, p := range []string{"data/app", "data/data/com.android.settings", "data/local/tmp", "cache", "system/app",
		"system/bin", "storage/emulated/0/Download", "system/priv-app/Settings/Settings.apk", "system/build.prop"} {
		_, err := os.Stat(filepath.Join(root, p))
		require.NoError(t, err, p)
	}
	for _, c := range append(append([]string{}, toyboxApplets...), nativeBinaries...) {
		_, ok := commands[c]
		require.True(t, ok || c == "toybox", "/system/bin/%s is a command the shell runs", c)
	}
	_, err := os.Stat(filepath.Join(d.Dir(), stateFile))
	require.NoError(t, err)
}
