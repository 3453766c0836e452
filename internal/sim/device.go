// Package sim is a simulated Android device: what a cloud phone looks like from its adb endpoint,
// without Android. It exists so that the control plane, its tests and fleet-scale experiments can
// run anywhere; it is not an emulator and runs no Android code.
//
// What it has: a file tree confined to a directory of the host (an os.Root, so neither "..", nor
// absolute paths, nor symlinks planted in the tree reach outside it) laid out like a phone's
// (/system read-only with build.prop and the command binaries, /data, /cache, /sdcard); a property
// store with Android's rules (ro.* fixed once set); a settings store; a package manager that reads
// real APKs' binary manifests and keeps them under /data/app; and a shell that runs a documented set
// of commands with toybox's and mksh's messages and exit statuses. What it lacks: processes (ps lists
// a fixed set plus the packages `am start` has "started"), users and permissions (the shell may
// write anywhere but /system), a display (screencap draws one colour), pipes, variables and
// background jobs. docs/simulator.md is the full account.
//
// State that Android keeps on /data — properties, settings, the package list, the identity — is
// kept in <dir>/device.json beside the tree (<dir>/fs), so a device made again over the same
// directory is the same phone; wiping the directory is a factory reset.
package sim

import (
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opencph/opencph/internal/adb"
)

// Config is a phone's identity and configuration as the control plane gives it. Empty fields keep
// what the device had the last time it was made over the same directory, or take a default on the
// first boot.
type Config struct {
	// Model becomes ro.product.model; the control plane passes the phone model's name.
	Model string
	// IMEI becomes ro.ril.oem.imei, where the simulator publishes it (Android has no standard
	// property for it).
	IMEI string
	// Serial becomes ro.serialno and ro.boot.serialno; default: 16 random hex digits, kept.
	Serial string
	// Resolution is the display's physical size, "720x1280" by default.
	Resolution string
	// DPI is the display density (ro.sf.lcd_density), 320 by default.
	DPI int
	// DiskGiB is the size df reports for /data, 32 by default.
	DiskGiB int
	// Properties override every other property, ro.* included, at each boot: they are what the
	// control plane configured (appendix A.1 of the CPH reference and any other).
	Properties map[string]string
	// OnReboot, when set, is called (in its own goroutine) after the shell's reboot command has
	// answered, so the host can restart the device; without it reboot changes nothing.
	OnReboot func()
}

// Device is one simulated phone. Its methods are safe for concurrent use; it implements
// adb.Device.
type Device struct {
	dir      string
	root     *os.Root
	onReboot func()

	mu    sync.Mutex // guards st, procs, pid and the state file
	st    state
	procs []proc // apps "started" by am start, for ps
	pid   int    // the last process id handed out
}

// New boots the phone kept in dir, creating it on first use: it lays out the file tree, writes
// /system afresh (the image), and applies cfg over the persisted state.
func New(dir string, cfg Config) (*Device, error) {
	if err := os.MkdirAll(filepath.Join(dir, fsDir), 0o750); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	root, err := os.OpenRoot(filepath.Join(dir, fsDir))
	if err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	d := &Device{dir: dir, root: root, onReboot: cfg.OnReboot, pid: 4000}
	if err := d.boot(cfg); err != nil {
		root.Close()
		return nil, fmt.Errorf("sim: boot %s: %w", dir, err)
	}
	return d, nil
}

// Close releases the device's directory handle; the device must not be used afterwards.
func (d *Device) Close() error { return d.root.Close() }

// Dir is the directory the device keeps its files and state in.
func (d *Device) Dir() string { return d.dir }

// SetProperties sets properties as the control plane does, ro.* included, and keeps them across
// boots. An empty value deletes a property.
func (d *Device) SetProperties(props map[string]string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, v := range props {
		if v == "" {
			delete(d.st.Props, k)
			delete(d.st.Configured, k)
			continue
		}
		d.st.Props[k] = v
		d.st.Configured[k] = v
	}
	return d.save()
}

// Property returns one property's value.
func (d *Device) Property(name string) (string, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.st.Props[name]
	return v, ok
}

// Properties returns a copy of every property.
func (d *Device) Properties() map[string]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return maps.Clone(d.st.Props)
}

// ServeOptions are the options adb.Serve needs to serve this phone as adbd would: ro.adb.secure
// decides whether hosts must sign, and /data/misc/adb/adb_keys lists the keys that may, both
// read at each new connection.
func (d *Device) ServeOptions() adb.ServeOptions {
	return adb.ServeOptions{
		Secure: func() bool {
			v, _ := d.Property("ro.adb.secure")
			return v == "1"
		},
		AuthorizedKeys: func() []*rsa.PublicKey {
			b, err := d.root.ReadFile("data/misc/adb/adb_keys")
			if err != nil {
				return nil
			}
			return adb.ParseAuthorizedKeys(b)
		},
	}
}

// Banner implements adb.Device: the identity adbd sends in CNXN.
func (d *Device) Banner() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.st.Props
	return fmt.Sprintf("device::ro.product.name=%s;ro.product.model=%s;ro.product.device=%s;",
		p["ro.product.name"], p["ro.product.model"], p["ro.product.device"])
}

// Stat implements adb.Device. It follows symlinks, as sync STA2 (what adb push asks before
// choosing a destination) and the kernel do: "/sdcard" describes the directory it leads to. Lstat
// describes a link itself.
func (d *Device) Stat(name string) (fs.FileInfo, error) {
	fi, err := d.root.Stat(rel("/", name))
	return fi, devErr("stat", name, err)
}

// Lstat describes a path without following a final symlink, as sync STAT (v1) and LST2 do.
func (d *Device) Lstat(name string) (fs.FileInfo, error) {
	r := rel("/", name)
	if strings.HasSuffix(name, "/") && r != "." {
		return d.Stat(name) // a trailing slash makes the kernel follow the link
	}
	fi, err := d.root.Lstat(r)
	return fi, devErr("lstat", name, err)
}

// List implements adb.Device: the entries of a directory (following a link to one), each
// described as lstat does, without "." and "..".
func (d *Device) List(name string) ([]fs.FileInfo, error) {
	f, err := d.root.Open(rel("/", name))
	if err != nil {
		return nil, devErr("open", name, err)
	}
	defer f.Close()
	entries, err := f.ReadDir(-1)
	if err != nil {
		return nil, devErr("readdir", name, err)
	}
	out := make([]fs.FileInfo, 0, len(entries))
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			continue // removed meanwhile
		}
		out = append(out, fi)
	}
	return out, nil
}

// Open implements adb.Device; a directory cannot be read.
func (d *Device) Open(name string) (io.ReadCloser, error) {
	f, err := d.root.Open(rel("/", name))
	if err != nil {
		return nil, devErr("open", name, err)
	}
	if fi, err := f.Stat(); err != nil || fi.IsDir() {
		f.Close()
		if err == nil {
			err = syscall.EISDIR
		}
		return nil, devErr("open", name, err)
	}
	return f, nil
}

// Create implements adb.Device. The data goes to a hidden file beside the target, which Close
// renames into place and stamps with mtime; missing parent directories are made, as adbd makes
// them. The writer implements adb.ModTimeSetter and adb.Aborter, so a failed transfer leaves no
// partial file.
func (d *Device) Create(name string, mode fs.FileMode, mtime time.Time) (io.WriteCloser, error) {
	r := rel("/", name)
	if err := writable(r); err != nil {
		return nil, devErr("open", name, err)
	}
	if r == "." {
		return nil, devErr("open", name, syscall.EISDIR)
	}
	if err := d.root.MkdirAll(path.Dir(r), 0o771); err != nil {
		return nil, devErr("mkdir", name, err)
	}
	tmp := path.Join(path.Dir(r), fmt.Sprintf(".%s.sync-%08x", path.Base(r), rand.Uint32()))
	perm := mode.Perm()
	if perm == 0 {
		perm = 0o644
	}
	f, err := d.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return nil, devErr("open", name, err)
	}
	return &syncFile{d: d, f: f, tmp: tmp, dst: r, name: name, mtime: mtime}, nil
}

// syncFile is a file being received by sync SEND.
type syncFile struct {
	d        *Device
	f        *os.File
	tmp, dst string
	name     string
	mtime    time.Time
	once     sync.Once
	err      error
}

func (s *syncFile) Write(p []byte) (int, error) { return s.f.Write(p) }

// SetModTime sets the time Close stamps the file with.
func (s *syncFile) SetModTime(mtime time.Time) { s.mtime = mtime }

// Close commits the file.
func (s *syncFile) Close() error {
	s.once.Do(func() {
		s.err = s.f.Close()
		if s.err == nil {
			s.err = s.d.root.Rename(s.tmp, s.dst)
		}
		if s.err == nil && !s.mtime.IsZero() {
			s.err = s.d.root.Chtimes(s.dst, s.mtime, s.mtime)
		}
		if s.err != nil {
			_ = s.d.root.Remove(s.tmp)
			s.err = devErr("write", s.name, s.err)
		}
	})
	return s.err
}

// Abort discards the file.
func (s *syncFile) Abort() error {
	s.once.Do(func() {
		s.f.Close()
		s.err = s.d.root.Remove(s.tmp)
	})
	return s.err
}

// rel maps a device path, relative to cwd unless absolute, to a name inside the root. Cleaning
// an absolute path stops ".." at "/", as the kernel does.
func rel(cwd, p string) string {
	if !path.IsAbs(p) {
		p = path.Join(cwd, p)
	}
	p = path.Clean(p)
	if p == "/" {
		return "."
	}
	return strings.TrimPrefix(p, "/")
}

// writable refuses writes to /system, which Android mounts read-only.
func writable(r string) error {
	if r == "system" || strings.HasPrefix(r, "system/") {
		return syscall.EROFS
	}
	return nil
}

// devErr reports err against the device path the caller used; the host path of the tree never
// appears in a device's errors.
func devErr(op, name string, err error) error {
	if err == nil {
		return nil
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		err = le.Err
	}
	var errno syscall.Errno
	if !errors.As(err, &errno) && !errors.Is(err, fs.ErrNotExist) && !errors.Is(err, fs.ErrExist) {
		// os.Root refuses a path that resolves outside the tree; inside the device, such a path
		// names nothing.
		err = syscall.ENOENT
	}
	return &fs.PathError{Op: op, Path: name, Err: err}
}

// strerror is bionic's text for an error, as toybox prints it.
func strerror(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		s := errno.Error()
		return strings.ToUpper(s[:1]) + s[1:]
	case errors.Is(err, fs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, fs.ErrExist):
		return "File exists"
	case errors.Is(err, fs.ErrPermission):
		return "Permission denied"
	}
	return "No such file or directory"
}

// writeFileAtomic replaces a host file in one rename, so a crash leaves the old or the new one.
func writeFileAtomic(name string, data []byte) error {
	tmp := name + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, name)
}

var (
	_ adb.Device        = (*Device)(nil)
	_ adb.Aborter       = (*syncFile)(nil)
	_ adb.ModTimeSetter = (*syncFile)(nil)
)
