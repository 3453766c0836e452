package adb

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"time"
)

// Linux st_mode bits, which the sync protocol carries whatever the host's OS.
const (
	sIFMT   = 0o170000
	sIFSOCK = 0o140000
	sIFLNK  = 0o120000
	sIFREG  = 0o100000
	sIFBLK  = 0o060000
	sIFDIR  = 0o040000
	sIFCHR  = 0o020000
	sIFIFO  = 0o010000
	sISUID  = 0o4000
	sISGID  = 0o2000
	sISVTX  = 0o1000
)

// unixMode converts a Go file mode to st_mode.
func unixMode(m fs.FileMode) uint32 {
	u := uint32(m.Perm())
	switch {
	case m&fs.ModeDir != 0:
		u |= sIFDIR
	case m&fs.ModeSymlink != 0:
		u |= sIFLNK
	case m&fs.ModeNamedPipe != 0:
		u |= sIFIFO
	case m&fs.ModeSocket != 0:
		u |= sIFSOCK
	case m&fs.ModeDevice != 0 && m&fs.ModeCharDevice != 0:
		u |= sIFCHR
	case m&fs.ModeDevice != 0:
		u |= sIFBLK
	default:
		u |= sIFREG
	}
	if m&fs.ModeSetuid != 0 {
		u |= sISUID
	}
	if m&fs.ModeSetgid != 0 {
		u |= sISGID
	}
	if m&fs.ModeSticky != 0 {
		u |= sISVTX
	}
	return u
}

// goMode converts st_mode to a Go file mode.
func goMode(u uint32) fs.FileMode {
	m := fs.FileMode(u & 0o777)
	switch u & sIFMT {
	case sIFDIR:
		m |= fs.ModeDir
	case sIFLNK:
		m |= fs.ModeSymlink
	case sIFIFO:
		m |= fs.ModeNamedPipe
	case sIFSOCK:
		m |= fs.ModeSocket
	case sIFCHR:
		m |= fs.ModeDevice | fs.ModeCharDevice
	case sIFBLK:
		m |= fs.ModeDevice
	}
	if u&sISUID != 0 {
		m |= fs.ModeSetuid
	}
	if u&sISGID != 0 {
		m |= fs.ModeSetgid
	}
	if u&sISVTX != 0 {
		m |= fs.ModeSticky
	}
	return m
}

// Linux errno values and bionic's strerror texts: stat_v2 carries the number and FAIL the text.
var errnoText = map[syscall.Errno]string{
	1:  "Operation not permitted",
	2:  "No such file or directory",
	5:  "I/O error",
	13: "Permission denied",
	17: "File exists",
	20: "Not a directory",
	21: "Is a directory",
	22: "Invalid argument",
	28: "No space left on device",
	30: "Read-only file system",
	36: "File name too long",
	40: "Too many symbolic links encountered",
}

// wireErrno maps a Device error to the Linux errno a real adbd would have seen.
func wireErrno(err error) syscall.Errno {
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno):
		return errno
	case errors.Is(err, fs.ErrNotExist):
		return 2
	case errors.Is(err, fs.ErrPermission):
		return 13
	case errors.Is(err, fs.ErrExist):
		return 17
	case errors.Is(err, fs.ErrInvalid):
		return 22
	}
	return 5
}

// strerror renders err the way bionic would, so FAIL messages read like a real device's.
func strerror(err error) string {
	errno := wireErrno(err)
	var raw syscall.Errno
	if t, ok := errnoText[errno]; ok && (errno != 5 || errors.As(err, &raw)) {
		return t
	}
	return err.Error()
}

// remoteError turns a FAIL message back into an error that errors.Is recognises, e.g.
// fs.ErrNotExist for "open failed: No such file or directory".
func remoteError(msg string) error {
	for errno, text := range errnoText {
		if strings.HasSuffix(msg, text) {
			return &syncFailure{msg: msg, errno: errno}
		}
	}
	return &syncFailure{msg: msg}
}

type syncFailure struct {
	msg   string
	errno syscall.Errno
}

func (e *syncFailure) Error() string { return e.msg }

func (e *syncFailure) Unwrap() error {
	if e.errno == 0 {
		return nil
	}
	return e.errno
}

// fileInfo is what STAT and LIST describe.
type fileInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

func (f *fileInfo) Name() string       { return f.name }
func (f *fileInfo) Size() int64        { return f.size }
func (f *fileInfo) Mode() fs.FileMode  { return f.mode }
func (f *fileInfo) ModTime() time.Time { return f.mtime }
func (f *fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f *fileInfo) Sys() any           { return nil }
