package sim

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/opencph/opencph/internal/runtime"
)

// A simulated phone image is a template directory: a phone created or reset with it starts with a
// copy of the template as its data, its /data. An ImageRef is the template's path, absolute (an operator's
// directory, given at import) or relative to the data directory. Images this driver captures live
// under <DataDir>/images/<image id>, referenced as "images/<image id>", and only those are ever
// removed by the driver.

// capturedPrefix starts the reference of every image the driver captured.
const capturedPrefix = "images/"

var _ runtime.ImageCapturer = (*Driver)(nil)

// imageDir is where the driver keeps a captured image.
func (d *Driver) imageDir(imageID string) string { return filepath.Join(d.dataDir, "images", imageID) }

// CaptureImage implements runtime.ImageCapturer: it copies a stopped phone's data into
// <DataDir>/images/<imageID>. The copy is made under the phone's lock, so it is one instant's
// data even if the phone is started meanwhile, and is renamed into place whole, so a capture cut
// short never leaves a half image behind a reference.
func (d *Driver) CaptureImage(ctx context.Context, phoneID, imageID string) (_ runtime.CapturedImage, err error) {
	defer d.journal.begin(OpCapture, phoneID)(&err)
	if err := validateID(imageID); err != nil {
		return runtime.CapturedImage{}, wrap("capture", phoneID, fmt.Errorf("image %w", err))
	}
	p, err := d.lookup(ctx, phoneID)
	if err != nil {
		return runtime.CapturedImage{}, wrap("capture", phoneID, err)
	}
	if err := d.inject(ctx, OpCapture, phoneID); err != nil {
		return runtime.CapturedImage{}, wrap("capture", phoneID, err)
	}
	dst := d.imageDir(imageID)
	tmp := dst + ".tmp"
	err = func() error {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.removed {
			return runtime.ErrNotFound
		}
		if p.rec.State != runtime.StateStopped {
			return fmt.Errorf("phone is %s, not stopped", p.rec.State)
		}
		if err := os.RemoveAll(tmp); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(tmp), 0o750); err != nil {
			return err
		}
		if err := os.MkdirAll(d.dataDirOf(phoneID), 0o750); err != nil { // a phone that never booted
			return err
		}
		return copyTree(tmp, d.dataDirOf(phoneID))
	}()
	if err == nil {
		err = os.RemoveAll(dst)
	}
	if err == nil {
		err = os.Rename(tmp, dst)
	}
	if err != nil {
		_ = os.RemoveAll(tmp)
		return runtime.CapturedImage{}, wrap("capture", phoneID, err)
	}
	size, err := treeSize(dst)
	if err != nil {
		return runtime.CapturedImage{}, wrap("capture", phoneID, err)
	}
	return runtime.CapturedImage{Ref: capturedPrefix + imageID, Size: size}, nil
}

// CheckImageRef implements runtime.ImageCapturer: ref must name an existing template directory.
func (d *Driver) CheckImageRef(ctx context.Context, ref string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	dir, err := d.templateDir(ref)
	if err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("sim: image %q: %w", ref, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("sim: image %q: not a directory", ref)
	}
	return nil
}

// RemoveImage implements runtime.ImageCapturer: a captured image's directory is deleted, any
// other reference is the operator's and stays.
func (d *Driver) RemoveImage(ctx context.Context, ref string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	id, ok := strings.CutPrefix(ref, capturedPrefix)
	if !ok || validateID(id) != nil {
		return nil
	}
	if err := os.RemoveAll(d.imageDir(id)); err != nil {
		return fmt.Errorf("sim: remove image %s: %w", id, err)
	}
	return nil
}

// seedData fills a phone's freshly made or wiped data directory from its image's template; an
// image without one (ref "", as the catalogue's public images) leaves the data empty.
func (d *Driver) seedData(phoneID, ref string) error {
	if ref == "" {
		return nil
	}
	dir, err := d.templateDir(ref)
	if err != nil {
		return err
	}
	if err := copyTree(d.dataDirOf(phoneID), dir); err != nil {
		return fmt.Errorf("seed data from image %q: %w", ref, err)
	}
	return nil
}

// templateDir resolves an ImageRef to its directory.
func (d *Driver) templateDir(ref string) (string, error) {
	switch {
	case filepath.IsAbs(ref):
		return filepath.Clean(ref), nil
	case ref != "" && filepath.IsLocal(ref):
		return filepath.Join(d.dataDir, ref), nil
	}
	return "", fmt.Errorf("sim: image %q: want an absolute directory or one under the data directory", ref)
}

// copyTree copies the directories, regular files and symbolic links under src into dst, creating
// dst if needed. It reads src through an os.Root, so nothing outside src is read; a link is
// copied only if it is relative and stays inside the tree, the only kind a phone's confined tree
// can follow, so that a link planted in a template cannot point a phone's data elsewhere.
// Anything else (a device, a socket) fails the copy rather than vanish from it.
func copyTree(dst, src string) error {
	root, err := os.OpenRoot(src)
	if err != nil {
		return err
	}
	defer root.Close()
	fsys := root.FS()
	return fs.WalkDir(fsys, ".", func(name string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		to := filepath.Join(dst, filepath.FromSlash(name))
		switch t := e.Type(); {
		case t.IsDir():
			return os.MkdirAll(to, 0o750)
		case t&fs.ModeSymlink != 0:
			target, err := fs.ReadLink(fsys, name)
			if err != nil {
				return err
			}
			if filepath.IsAbs(target) || !filepath.IsLocal(filepath.Join(filepath.Dir(filepath.FromSlash(name)), target)) {
				return nil
			}
			return os.Symlink(target, to)
		case t.IsRegular():
			return copyFile(to, fsys, name)
		default:
			return &fs.PathError{Op: "copy", Path: name, Err: fs.ErrInvalid}
		}
	})
}

// copyFile copies one regular file, keeping its permission bits; it never overwrites.
func copyFile(to string, fsys fs.FS, name string) error {
	r, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer r.Close()
	fi, err := r.Stat()
	if err != nil {
		return err
	}
	w, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return fmt.Errorf("copy %s: %w", name, err)
	}
	return w.Close()
}

// treeSize is the total size of the regular files under dir.
func treeSize(dir string) (int64, error) {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.Type().IsRegular() {
			return nil
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		n += fi.Size()
		return nil
	})
	return n, err
}
