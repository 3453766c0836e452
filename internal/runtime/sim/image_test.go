package sim_test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/runtime/sim"
)

// A stopped phone's data becomes an image that new and reset phones start from; the source
// phone and the image are independent afterwards.
func TestCaptureImage(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	d := newDriver(t, cfg)
	ctx := t.Context()
	h := hostsOf(t, d)[0]
	src := phoneSpec("src", h, 0, 21001)
	_, err := d.CreatePhone(ctx, src)
	require.NoError(t, err)
	require.NoError(t, d.WriteDataFile(ctx, "src", "app/settings.xml", []byte("<dark/>")))
	require.NoError(t, d.WriteDataFile(ctx, "src", "top.txt", []byte("top")))

	_, err = d.CaptureImage(ctx, "src", "img1")
	require.ErrorContains(t, err, "not stopped", "a running phone's data is still changing")

	require.NoError(t, d.StopPhone(ctx, "src"))
	img, err := d.CaptureImage(ctx, "src", "img1")
	require.NoError(t, err)
	require.Equal(t, "images/img1", img.Ref)
	require.Equal(t, int64(len("<dark/>")+len("top")), img.Size)
	require.NoError(t, d.CheckImageRef(ctx, img.Ref))

	// Changes to the source after the capture do not reach the image.
	require.NoError(t, d.WriteDataFile(ctx, "src", "top.txt", []byte("changed")))

	fresh := phoneSpec("fresh", h, 1, 21002)
	fresh.ImageRef = img.Ref
	_, err = d.CreatePhone(ctx, fresh)
	require.NoError(t, err)
	b, err := d.ReadDataFile(ctx, "fresh", "app/settings.xml")
	require.NoError(t, err)
	require.Equal(t, "<dark/>", string(b))
	b, err = d.ReadDataFile(ctx, "fresh", "top.txt")
	require.NoError(t, err)
	require.Equal(t, "top", string(b))

	// A reset with the image wipes what the phone wrote and restores the image's data; a reset
	// with no image leaves the data empty.
	require.NoError(t, d.WriteDataFile(ctx, "fresh", "mine.txt", []byte("x")))
	require.NoError(t, d.ResetPhone(ctx, fresh))
	_, err = d.ReadDataFile(ctx, "fresh", "mine.txt")
	require.ErrorIs(t, err, fs.ErrNotExist)
	b, err = d.ReadDataFile(ctx, "fresh", "top.txt")
	require.NoError(t, err)
	require.Equal(t, "top", string(b))
	plain := fresh
	plain.ImageRef = ""
	require.NoError(t, d.ResetPhone(ctx, plain))
	_, err = d.ReadDataFile(ctx, "fresh", "top.txt")
	require.ErrorIs(t, err, fs.ErrNotExist)

	// Capturing again replaces the image whole.
	img2, err := d.CaptureImage(ctx, "src", "img1")
	require.NoError(t, err)
	require.Equal(t, img.Ref, img2.Ref)
	b, err = os.ReadFile(filepath.Join(cfg.DataDir, "images", "img1", "top.txt"))
	require.NoError(t, err)
	require.Equal(t, "changed", string(b))

	require.NoError(t, d.RemoveImage(ctx, img.Ref))
	require.NoError(t, d.RemoveImage(ctx, img.Ref), "removing twice succeeds")
	require.Error(t, d.CheckImageRef(ctx, img.Ref))
	_, err = os.Stat(filepath.Join(cfg.DataDir, "images", "img1"))
	require.ErrorIs(t, err, fs.ErrNotExist)
}

// An operator's template directory is booted from as it is and never removed by the driver.
func TestImportedTemplate(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	ctx := t.Context()
	tmpl := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(tmpl, "system"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(tmpl, "system", "build.prop"), []byte("ro.build=1"), 0o600))
	require.NoError(t, d.CheckImageRef(ctx, tmpl))

	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 21001)
	spec.ImageRef = tmpl
	_, err := d.CreatePhone(ctx, spec)
	require.NoError(t, err)
	b, err := d.ReadDataFile(ctx, "p", "system/build.prop")
	require.NoError(t, err)
	require.Equal(t, "ro.build=1", string(b))

	require.NoError(t, d.RemoveImage(ctx, tmpl))
	_, err = os.Stat(filepath.Join(tmpl, "system", "build.prop"))
	require.NoError(t, err, "the operator's template stays")
}

func TestImageRefRules(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	ctx := t.Context()
	file := filepath.Join(t.TempDir(), "f")
	require.NoError(t, os.WriteFile(file, nil, 0o600))
	for name, ref := range map[string]string{
		"empty":            "",
		"climbs out":       "../elsewhere",
		"missing":          filepath.Join(t.TempDir(), "nope"),
		"not a directory":  file,
		"missing captured": "images/never",
	} {
		require.Error(t, d.CheckImageRef(ctx, ref), name)
	}

	// A phone whose template is gone fails to create rather than start with empty data.
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 21001)
	spec.ImageRef = "images/never"
	_, err := d.CreatePhone(ctx, spec)
	require.Error(t, err)
	_, err = d.CaptureImage(ctx, "unknown", "img")
	require.ErrorIs(t, err, runtime.ErrNotFound)
	_, err = d.CaptureImage(ctx, "p", "../img")
	require.Error(t, err)
}

// An armed capture fault fails the capture and leaves no image behind.
func TestCaptureFault(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	d := newDriver(t, cfg)
	ctx := t.Context()
	_, err := d.CreatePhone(ctx, phoneSpec("p", hostsOf(t, d)[0], 0, 21001))
	require.NoError(t, err)
	require.NoError(t, d.StopPhone(ctx, "p"))
	d.SetFault(sim.OpCapture, sim.Fault{Err: errors.New("disk full"), Times: 1})
	_, err = d.CaptureImage(ctx, "p", "img")
	require.ErrorContains(t, err, "disk full")
	_, err = os.Stat(filepath.Join(cfg.DataDir, "images", "img"))
	require.ErrorIs(t, err, fs.ErrNotExist)
	requireState(t, d, "p", runtime.StateStopped)
	_, err = d.CaptureImage(ctx, "p", "img")
	require.NoError(t, err, "the fault fired once")
}

// Images carry the links a phone's confined tree can follow (relative, inside the data) and drop
// the others, which could only point a phone's data at the host's files.
func TestImageLinks(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	d := newDriver(t, cfg)
	ctx := t.Context()
	tmpl := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(tmpl, "media", "0"), 0o750))
	require.NoError(t, os.WriteFile(filepath.Join(tmpl, "media", "0", "photo.jpg"), []byte("jpg"), 0o600))
	outside := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(outside, []byte("secret"), 0o600))
	for name, target := range map[string]string{
		"media/latest": "0/photo.jpg",
		"absolute":     outside,
		"climbs":       "../../secret",
	} {
		require.NoError(t, os.Symlink(target, filepath.Join(tmpl, filepath.FromSlash(name))))
	}

	h := hostsOf(t, d)[0]
	src := phoneSpec("src", h, 0, 21001)
	src.ImageRef = tmpl
	create(t, d, src)
	b, err := d.ReadDataFile(ctx, "src", "media/latest")
	require.NoError(t, err)
	require.Equal(t, "jpg", string(b), "a relative link inside the data is kept")
	for _, name := range []string{"absolute", "climbs"} {
		_, err := d.ReadDataFile(ctx, "src", name)
		require.ErrorIs(t, err, fs.ErrNotExist, name)
	}

	require.NoError(t, d.StopPhone(ctx, "src"))
	img, err := d.CaptureImage(ctx, "src", "linked")
	require.NoError(t, err)
	fresh := phoneSpec("fresh", h, 1, 21002)
	fresh.ImageRef = img.Ref
	create(t, d, fresh)
	b, err = d.ReadDataFile(ctx, "fresh", "media/latest")
	require.NoError(t, err)
	require.Equal(t, "jpg", string(b), "a capture keeps the link")
	target, err := os.Readlink(filepath.Join(cfg.DataDir, "images", "linked", "media", "latest"))
	require.NoError(t, err)
	require.Equal(t, "0/photo.jpg", target, "as a link, not a copy")
}
