// Package adb is the adb wire protocol (AOSP packages/modules/adb/protocol.txt and SYNC.TXT) over
// TCP, both sides: the client the control plane uses for everything inside a phone, and the device
// side a simulated phone serves.
package adb

import (
	"context"
	"io"
	"io/fs"
	"time"
)

// Device is what the device side of the protocol serves; the simulated phone implements it. Paths
// are absolute device paths ("/sdcard/a.txt"); an implementation must confine them to its own
// tree.
type Device interface {
	// Banner is the identity sent in CNXN: "device::ro.product.name=…;ro.product.model=…;
	// ro.product.device=…;" — the server adds the features it supports.
	Banner() string
	// Shell runs a command line as the device's sh would, with stdin (the server always passes
	// the host's input, which ends when the host closes it; other callers may pass nil),
	// and returns its exit status.
	Shell(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (exit int, err error)
	// Stat describes a path for sync STAT; a missing path is an error wrapping fs.ErrNotExist.
	Stat(path string) (fs.FileInfo, error)
	// List lists a directory for sync LIST.
	List(path string) ([]fs.FileInfo, error)
	// Open reads a file for sync RECV.
	Open(path string) (io.ReadCloser, error)
	// Create writes a file for sync SEND; the file appears at path only when Close succeeds.
	Create(path string, mode fs.FileMode, mtime time.Time) (io.WriteCloser, error)
}

// ModTimeSetter may be implemented by the writer Create returns. Sync SEND announces a file's
// modification time only after its data (in DONE), so Create receives the time of the request
// and the server calls SetModTime with the pushed file's own mtime just before Close.
type ModTimeSetter interface {
	SetModTime(mtime time.Time)
}

// Aborter may be implemented by the writer Create returns. When a SEND fails half-way (the host
// disconnects, a write fails) the server calls Abort instead of Close, so no truncated file
// appears; without it the writer is closed with what arrived.
type Aborter interface {
	Abort() error
}

// Lstater may be implemented by a Device whose tree has symbolic links. Sync STAT (version 1)
// and LST2 describe a link itself, as adbd's lstat does, and use Lstat when the Device has it;
// otherwise, and for STA2, they use Stat.
type Lstater interface {
	Lstat(path string) (fs.FileInfo, error)
}
