package adb

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// syncServer is the device side of one sync: stream (file_sync_service.cpp): requests until
// QUIT, a failure, or the end of the stream.
type syncServer struct {
	dev Device
	s   *Stream
	r   *bufio.Reader
	buf []byte // 8-byte header + one DATA chunk
}

func (sess *session) serveSync(s *Stream) {
	defer s.Close()
	ss := &syncServer{dev: sess.dev, s: s, r: bufio.NewReaderSize(s, syncDataMax+8), buf: make([]byte, 8+syncDataMax)}
	for ss.handle() {
	}
}

func (ss *syncServer) handle() bool {
	hdr := ss.buf[:8]
	if _, err := io.ReadFull(ss.r, hdr); err != nil {
		return false
	}
	id, n := binary.LittleEndian.Uint32(hdr), binary.LittleEndian.Uint32(hdr[4:])
	if n > syncPathMax {
		ss.fail("path too long")
		return false
	}
	name := make([]byte, n)
	if _, err := io.ReadFull(ss.r, name); err != nil {
		return false
	}
	p := string(name)
	switch id {
	case idSTAT:
		return ss.statV1(p)
	case idSTA2, idLST2:
		return ss.statV2(id, p)
	case idLIST:
		return ss.list(p, false)
	case idLIS2:
		return ss.list(p, true)
	case idSEND:
		return ss.receiveFile(p)
	case idRECV:
		return ss.sendFile(p)
	case idQUIT:
		return false
	default:
		ss.fail(fmt.Sprintf("unknown command %08x", id))
		return false
	}
}

func (ss *syncServer) write(b []byte) bool {
	_, err := ss.s.Write(b)
	return err == nil
}

func (ss *syncServer) fail(msg string) bool {
	b := make([]byte, 8+len(msg))
	binary.LittleEndian.PutUint32(b, idFAIL)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(msg)))
	copy(b[8:], msg)
	ss.write(b)
	return false
}

// lstat describes p without following a final symlink where the Device can.
func (ss *syncServer) lstat(p string) (fs.FileInfo, error) {
	if l, ok := ss.dev.(Lstater); ok {
		return l.Lstat(p)
	}
	return ss.dev.Stat(p)
}

func (ss *syncServer) statV1(p string) bool {
	b := make([]byte, statV1Size)
	binary.LittleEndian.PutUint32(b, idSTAT)
	if fi, err := ss.lstat(p); err == nil {
		binary.LittleEndian.PutUint32(b[4:], unixMode(fi.Mode()))
		binary.LittleEndian.PutUint32(b[8:], uint32(fi.Size()))
		binary.LittleEndian.PutUint32(b[12:], uint32(fi.ModTime().Unix()))
	}
	return ss.write(b)
}

func (ss *syncServer) statV2(id uint32, p string) bool {
	b := make([]byte, statV2Size)
	binary.LittleEndian.PutUint32(b, id)
	stat := ss.dev.Stat
	if id == idLST2 {
		stat = ss.lstat
	}
	fi, err := stat(p)
	if err != nil {
		binary.LittleEndian.PutUint32(b[4:], uint32(wireErrno(err)))
	} else {
		putStatV2(b, fi)
	}
	return ss.write(b)
}

// putStatV2 fills the fields after id and error. The simulated file system has no devices,
// inodes or owners to report, so those are zero (root) with one link.
func putStatV2(b []byte, fi fs.FileInfo) {
	mtime := uint64(fi.ModTime().Unix())
	binary.LittleEndian.PutUint32(b[24:], unixMode(fi.Mode()))
	binary.LittleEndian.PutUint32(b[28:], 1)
	binary.LittleEndian.PutUint64(b[40:], uint64(fi.Size()))
	binary.LittleEndian.PutUint64(b[48:], mtime)
	binary.LittleEndian.PutUint64(b[56:], mtime)
	binary.LittleEndian.PutUint64(b[64:], mtime)
}

// list answers LIST/LIS2. Like adbd, a directory that cannot be read lists as empty.
func (ss *syncServer) list(p string, v2 bool) bool {
	entries, _ := ss.dev.List(p)
	size, id := dentV1Size, idDENT
	if v2 {
		size, id = dentV2Size, idDNT2
	}
	for _, fi := range entries {
		name := fi.Name()
		b := make([]byte, size+len(name))
		binary.LittleEndian.PutUint32(b, id)
		if v2 {
			putStatV2(b, fi)
		} else {
			binary.LittleEndian.PutUint32(b[4:], unixMode(fi.Mode()))
			binary.LittleEndian.PutUint32(b[8:], uint32(fi.Size()))
			binary.LittleEndian.PutUint32(b[12:], uint32(fi.ModTime().Unix()))
		}
		binary.LittleEndian.PutUint32(b[size-4:], uint32(len(name)))
		copy(b[size:], name)
		if !ss.write(b) {
			return false
		}
	}
	done := make([]byte, size)
	binary.LittleEndian.PutUint32(done, idDONE)
	return ss.write(done)
}

// receiveFile handles SEND "path,mode": DATA chunks, then DONE carrying the mtime, answered
// with OKAY once the Device has committed the file, or FAIL.
func (ss *syncServer) receiveFile(spec string) bool {
	comma := strings.LastIndexByte(spec, ',')
	if comma < 0 {
		ss.fail("missing , in ID_SEND_V1")
		return ss.drain()
	}
	p := spec[:comma]
	mode, err := strconv.ParseUint(spec[comma+1:], 0, 32)
	if err != nil {
		ss.fail("bad mode")
		return ss.drain()
	}
	if mode&sIFMT == sIFLNK {
		ss.fail("symlinks are not supported by this device")
		return ss.drain()
	}
	// adbd copies the owner's permission bits to group and others.
	mode &= 0o777
	mode |= (mode >> 3) & 0o070
	mode |= (mode >> 3) & 0o007
	w, err := ss.dev.Create(p, fs.FileMode(mode), time.Now())
	if err != nil {
		ss.fail("couldn't create file: " + strerror(err))
		return ss.drain()
	}
	for {
		hdr := ss.buf[:8]
		if _, err := io.ReadFull(ss.r, hdr); err != nil {
			discard(w)
			return false
		}
		id, n := binary.LittleEndian.Uint32(hdr), binary.LittleEndian.Uint32(hdr[4:])
		switch id {
		case idDATA:
			if n > syncDataMax {
				discard(w)
				return ss.fail("oversize data message")
			}
			chunk := ss.buf[8 : 8+n]
			if _, err := io.ReadFull(ss.r, chunk); err != nil {
				discard(w)
				return false
			}
			if _, err := w.Write(chunk); err != nil {
				discard(w)
				ss.fail("write failed: " + strerror(err))
				return ss.drain()
			}
		case idDONE:
			if m, ok := w.(ModTimeSetter); ok {
				m.SetModTime(time.Unix(int64(n), 0))
			}
			if err := w.Close(); err != nil {
				return ss.fail("close failed: " + strerror(err))
			}
			okay := make([]byte, 8)
			binary.LittleEndian.PutUint32(okay, idOKAY)
			return ss.write(okay)
		default:
			discard(w)
			return ss.fail("invalid data message")
		}
	}
}

// discard gives up a half-written file: Abort where the Device offers it, so nothing partial
// appears; otherwise Close, leaving what arrived, as adbd does for files it must not unlink.
func discard(w io.WriteCloser) {
	if a, ok := w.(Aborter); ok {
		a.Abort()
		return
	}
	w.Close()
}

// drain swallows the rest of a failed SEND up to DONE, as adbd does, because older clients keep
// writing and only read the FAIL afterwards; the session then ends.
func (ss *syncServer) drain() bool {
	for {
		hdr := ss.buf[:8]
		if _, err := io.ReadFull(ss.r, hdr); err != nil {
			return false
		}
		id, n := binary.LittleEndian.Uint32(hdr), binary.LittleEndian.Uint32(hdr[4:])
		if id != idDATA || n > syncDataMax {
			return false
		}
		if _, err := io.CopyN(io.Discard, ss.r, int64(n)); err != nil {
			return false
		}
	}
}

// sendFile handles RECV: the file in DATA chunks, then DONE, or FAIL if it cannot be read.
func (ss *syncServer) sendFile(p string) bool {
	rc, err := ss.dev.Open(p)
	if err != nil {
		return ss.fail("open failed: " + strerror(err))
	}
	defer rc.Close()
	binary.LittleEndian.PutUint32(ss.buf, idDATA)
	for {
		n, err := io.ReadFull(rc, ss.buf[8:])
		if n > 0 {
			binary.LittleEndian.PutUint32(ss.buf[4:], uint32(n))
			if !ss.write(ss.buf[:8+n]) {
				return false
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return ss.fail("read failed: " + strerror(err))
		}
	}
	done := make([]byte, 8)
	binary.LittleEndian.PutUint32(done, idDONE)
	return ss.write(done)
}
