package adb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// fakeDevice is an in-memory Device: a file tree, a few shell commands and a package list.
// Files under /discard/ are accepted and dropped, so benchmarks can push without storing.
type fakeDevice struct {
	mu       sync.Mutex
	files    map[string]*fakeFile
	packages map[string]string // package name → APK path it was installed from
	shells   atomic.Int32      // shell commands running now
	reboots  atomic.Int32
	started  chan string // receives each command as it starts, while it has room
}

type fakeFile struct {
	data  []byte
	mode  fs.FileMode
	mtime time.Time
}

func newFakeDevice() *fakeDevice {
	d := &fakeDevice{files: map[string]*fakeFile{}, packages: map[string]string{}, started: make(chan string, 1024)}
	for _, dir := range []string{"/", "/data", "/data/local", "/data/local/tmp", "/sdcard", "/discard"} {
		d.files[dir] = &fakeFile{mode: fs.ModeDir | 0o771, mtime: time.Unix(1700000000, 0)}
	}
	return d
}

func (d *fakeDevice) Banner() string {
	return "device::ro.product.name=fake;ro.product.model=Fake;ro.product.device=fake;"
}

func (d *fakeDevice) put(p string, data []byte, mode fs.FileMode) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.files[p] = &fakeFile{data: data, mode: mode, mtime: time.Unix(1700000000, 0)}
}

func (d *fakeDevice) get(p string) (*fakeFile, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f, ok := d.files[p]
	return f, ok
}

type fakeInfo struct {
	name string
	f    *fakeFile
}

func (i fakeInfo) Name() string       { return i.name }
func (i fakeInfo) Size() int64        { return int64(len(i.f.data)) }
func (i fakeInfo) Mode() fs.FileMode  { return i.f.mode }
func (i fakeInfo) ModTime() time.Time { return i.f.mtime }
func (i fakeInfo) IsDir() bool        { return i.f.mode.IsDir() }
func (i fakeInfo) Sys() any           { return nil }

func (d *fakeDevice) Stat(p string) (fs.FileInfo, error) {
	f, ok := d.get(path.Clean(p))
	if !ok {
		return nil, &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
	}
	return fakeInfo{name: path.Base(p), f: f}, nil
}

func (d *fakeDevice) List(p string) ([]fs.FileInfo, error) {
	p = path.Clean(p)
	d.mu.Lock()
	defer d.mu.Unlock()
	if f, ok := d.files[p]; !ok || !f.mode.IsDir() {
		return nil, &fs.PathError{Op: "list", Path: p, Err: fs.ErrNotExist}
	}
	var out []fs.FileInfo
	for name, f := range d.files {
		if name != p && path.Dir(name) == p {
			out = append(out, fakeInfo{name: path.Base(name), f: f})
		}
	}
	slices.SortFunc(out, func(a, b fs.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
	return out, nil
}

func (d *fakeDevice) Open(p string) (io.ReadCloser, error) {
	f, ok := d.get(path.Clean(p))
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrNotExist}
	}
	if f.mode.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: p, Err: errors.New("is a directory")}
	}
	return io.NopCloser(bytes.NewReader(f.data)), nil
}

func (d *fakeDevice) Create(p string, mode fs.FileMode, mtime time.Time) (io.WriteCloser, error) {
	p = path.Clean(p)
	if !path.IsAbs(p) {
		return nil, &fs.PathError{Op: "create", Path: p, Err: fs.ErrInvalid}
	}
	if f, ok := d.get(path.Dir(p)); !ok || !f.mode.IsDir() {
		return nil, &fs.PathError{Op: "create", Path: p, Err: fs.ErrNotExist}
	}
	return &fakeWriter{d: d, path: p, mode: mode, mtime: mtime, discard: strings.HasPrefix(p, "/discard/")}, nil
}

// fakeWriter commits on Close, implements ModTimeSetter and Aborter.
type fakeWriter struct {
	d       *fakeDevice
	path    string
	mode    fs.FileMode
	mtime   time.Time
	buf     bytes.Buffer
	discard bool
	aborted bool
}

func (w *fakeWriter) Write(p []byte) (int, error) {
	if w.discard {
		return len(p), nil
	}
	return w.buf.Write(p)
}

func (w *fakeWriter) SetModTime(t time.Time) { w.mtime = t }

func (w *fakeWriter) Abort() error {
	w.aborted = true
	return nil
}

func (w *fakeWriter) Close() error {
	if w.discard || w.aborted {
		return nil
	}
	w.d.mu.Lock()
	defer w.d.mu.Unlock()
	w.d.files[w.path] = &fakeFile{data: w.buf.Bytes(), mode: w.mode, mtime: w.mtime}
	return nil
}

// fields splits a command line on blanks, honouring single quotes as adb's escape_arg uses them.
func fields(cmd string) []string {
	var out []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range cmd {
		switch {
		case r == '\'':
			quoted = !quoted
			inWord = true
		case r == ' ' && !quoted:
			if inWord {
				out = append(out, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		out = append(out, cur.String())
	}
	return out
}

func (d *fakeDevice) Shell(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	d.shells.Add(1)
	defer d.shells.Add(-1)
	select {
	case d.started <- cmd:
	default:
	}
	args := slices.DeleteFunc(fields(cmd), func(a string) bool { return a == "</dev/null" })
	if len(args) == 0 {
		return 0, nil
	}
	switch args[0] {
	case "true":
		return 0, nil
	case "reboot":
		d.reboots.Add(1)
		return 0, nil
	case "echo":
		fmt.Fprintln(stdout, strings.Join(args[1:], " "))
		return 0, nil
	case "exit":
		n, _ := strconv.Atoi(args[1])
		return n, nil
	case "err":
		fmt.Fprintln(stderr, strings.Join(args[1:], " "))
		return 1, nil
	case "cat":
		if len(args) == 1 {
			_, err := io.Copy(stdout, stdin)
			return 0, err
		}
		f, ok := d.get(args[1])
		if !ok {
			fmt.Fprintf(stderr, "cat: %s: No such file or directory\n", args[1])
			return 1, nil
		}
		_, err := stdout.Write(f.data)
		return 0, err
	case "yes":
		n, _ := strconv.Atoi(args[1])
		chunk := bytes.Repeat([]byte("y\n"), 2048)
		for n > 0 {
			k := min(n, len(chunk))
			if _, err := stdout.Write(chunk[:k]); err != nil {
				return 1, err
			}
			n -= k
		}
		return 0, nil
	case "sleep":
		<-ctx.Done()
		return 130, ctx.Err()
	case "rm":
		d.mu.Lock()
		delete(d.files, args[len(args)-1])
		d.mu.Unlock()
		return 0, nil
	case "mkdir":
		d.put(args[len(args)-1], nil, fs.ModeDir|0o771)
		return 0, nil
	case "pm":
		return d.pm(args[1:], stdout)
	}
	fmt.Fprintf(stderr, "/system/bin/sh: %s: not found\n", args[0])
	return 127, nil
}

// pm installs an "APK" whose content is the package name, enough to follow adb install.
func (d *fakeDevice) pm(args []string, stdout io.Writer) (int, error) {
	if len(args) == 0 {
		return 1, nil
	}
	last := args[len(args)-1]
	switch args[0] {
	case "install":
		f, ok := d.get(last)
		if !ok {
			fmt.Fprintln(stdout, "Failure [INSTALL_FAILED_INVALID_URI]")
			return 1, nil
		}
		d.mu.Lock()
		d.packages[string(bytes.TrimSpace(f.data))] = last
		d.mu.Unlock()
		fmt.Fprintln(stdout, "Success")
		return 0, nil
	case "uninstall":
		d.mu.Lock()
		_, ok := d.packages[last]
		delete(d.packages, last)
		d.mu.Unlock()
		if !ok {
			fmt.Fprintln(stdout, "Failure [DELETE_FAILED_INTERNAL_ERROR]")
			return 1, nil
		}
		fmt.Fprintln(stdout, "Success")
		return 0, nil
	}
	return 1, nil
}
