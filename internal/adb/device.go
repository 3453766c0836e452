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
	// Shell runs a command line as the device's sh would, with stdin (nil when there is none),
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
