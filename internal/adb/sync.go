package adb

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"syscall"
	"time"
)

// Sync request and response ids (file_sync_protocol.h), little-endian ASCII.
const (
	idSTAT uint32 = 'S' | 'T'<<8 | 'A'<<16 | 'T'<<24
	idSTA2 uint32 = 'S' | 'T'<<8 | 'A'<<16 | '2'<<24
	idLST2 uint32 = 'L' | 'S'<<8 | 'T'<<16 | '2'<<24
	idLIST uint32 = 'L' | 'I'<<8 | 'S'<<16 | 'T'<<24
	idLIS2 uint32 = 'L' | 'I'<<8 | 'S'<<16 | '2'<<24
	idDENT uint32 = 'D' | 'E'<<8 | 'N'<<16 | 'T'<<24
	idDNT2 uint32 = 'D' | 'N'<<8 | 'T'<<16 | '2'<<24
	idSEND uint32 = 'S' | 'E'<<8 | 'N'<<16 | 'D'<<24
	idRECV uint32 = 'R' | 'E'<<8 | 'C'<<16 | 'V'<<24
	idDONE uint32 = 'D' | 'O'<<8 | 'N'<<16 | 'E'<<24
	idDATA uint32 = 'D' | 'A'<<8 | 'T'<<16 | 'A'<<24
	idOKAY uint32 = 'O' | 'K'<<8 | 'A'<<16 | 'Y'<<24
	idFAIL uint32 = 'F' | 'A'<<8 | 'I'<<16 | 'L'<<24
	idQUIT uint32 = 'Q' | 'U'<<8 | 'I'<<16 | 'T'<<24
)

const (
	syncDataMax = 64 * 1024 // largest DATA chunk, either way
	syncPathMax = 1024      // longest path adbd accepts in a request

	statV1Size = 16 // id, mode, size, mtime
	statV2Size = 72 // id, error, dev, ino, mode, nlink, uid, gid, size, atime, mtime, ctime
	dentV1Size = 20 // stat v1 + namelen
	dentV2Size = 76 // stat v2 + namelen
)

// syncClient is one sync: stream, used for one operation and then quit.
type syncClient struct {
	s *Stream
	r *bufio.Reader
}

func (c *Conn) openSync(ctx context.Context) (*syncClient, error) {
	s, err := c.Open(ctx, "sync:")
	if err != nil {
		return nil, err
	}
	return &syncClient{s: s, r: bufio.NewReaderSize(s, syncDataMax+8)}, nil
}

// close quits the sync session the way adb does, then releases the stream.
func (sc *syncClient) close() {
	sc.request(idQUIT, "")
	sc.s.Close()
}

func (sc *syncClient) request(id uint32, arg string) error {
	b := make([]byte, 8+len(arg))
	binary.LittleEndian.PutUint32(b, id)
	binary.LittleEndian.PutUint32(b[4:], uint32(len(arg)))
	copy(b[8:], arg)
	_, err := sc.s.Write(b)
	return err
}

func (sc *syncClient) read(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(sc.r, b); err != nil {
		return nil, noEOF(err)
	}
	return b, nil
}

// failure reads a FAIL message's text; id has been read already.
func (sc *syncClient) failure(op, p string, length uint32) error {
	if length > syncDataMax {
		return fmt.Errorf("%w: FAIL message of %d bytes", ErrProtocol, length)
	}
	msg, err := sc.read(int(length))
	if err != nil {
		return err
	}
	return &fs.PathError{Op: op, Path: p, Err: remoteError(string(msg))}
}

func checkPath(op, p string) error {
	if len(p) > syncPathMax {
		return &fs.PathError{Op: op, Path: p, Err: syscall.ENAMETOOLONG}
	}
	return nil
}

// opErr prefers the context's verdict: an aborted stream reports why it was aborted.
func opErr(ctx context.Context, op, p string, err error) error {
	if ctx.Err() != nil {
		err = ctx.Err()
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return err
	}
	return fmt.Errorf("adb: %s %s: %w", op, p, err)
}

// Stat describes a device path (following symlinks where the device has stat_v2). A missing
// path is an error wrapping fs.ErrNotExist.
func (c *Conn) Stat(ctx context.Context, p string) (fs.FileInfo, error) {
	if err := checkPath("stat", p); err != nil {
		return nil, err
	}
	sc, err := c.openSync(ctx)
	if err != nil {
		return nil, opErr(ctx, "stat", p, err)
	}
	defer sc.close()
	fi, err := sc.stat(p, c.HasFeature(featureStatV2))
	if err != nil {
		return nil, opErr(ctx, "stat", p, err)
	}
	return fi, nil
}

func (sc *syncClient) stat(p string, v2 bool) (fs.FileInfo, error) {
	if !v2 {
		if err := sc.request(idSTAT, p); err != nil {
			return nil, err
		}
		b, err := sc.read(statV1Size)
		if err != nil {
			return nil, err
		}
		if id := binary.LittleEndian.Uint32(b); id != idSTAT {
			return nil, fmt.Errorf("%w: STAT answered with %q", ErrProtocol, cmdName(id))
		}
		mode, size, mtime := binary.LittleEndian.Uint32(b[4:]), binary.LittleEndian.Uint32(b[8:]), binary.LittleEndian.Uint32(b[12:])
		if mode == 0 && size == 0 && mtime == 0 {
			// Version 1 has no error field: all zeros is how adbd says lstat failed.
			return nil, &fs.PathError{Op: "stat", Path: p, Err: fs.ErrNotExist}
		}
		return &fileInfo{name: path.Base(p), size: int64(size), mode: goMode(mode), mtime: time.Unix(int64(mtime), 0)}, nil
	}
	if err := sc.request(idSTA2, p); err != nil {
		return nil, err
	}
	b, err := sc.read(statV2Size)
	if err != nil {
		return nil, err
	}
	if id := binary.LittleEndian.Uint32(b); id != idSTA2 {
		return nil, fmt.Errorf("%w: STA2 answered with %q", ErrProtocol, cmdName(id))
	}
	if errno := binary.LittleEndian.Uint32(b[4:]); errno != 0 {
		return nil, &fs.PathError{Op: "stat", Path: p, Err: syscall.Errno(errno)}
	}
	return &fileInfo{
		name:  path.Base(p),
		mode:  goMode(binary.LittleEndian.Uint32(b[24:])),
		size:  int64(binary.LittleEndian.Uint64(b[40:])),
		mtime: time.Unix(int64(binary.LittleEndian.Uint64(b[56:])), 0),
	}, nil
}

// List lists a device directory, without "." and "..". adbd answers a missing directory with
// an empty list, so an empty answer is checked with Stat to report the real error.
func (c *Conn) List(ctx context.Context, dir string) ([]fs.FileInfo, error) {
	if err := checkPath("list", dir); err != nil {
		return nil, err
	}
	sc, err := c.openSync(ctx)
	if err != nil {
		return nil, opErr(ctx, "list", dir, err)
	}
	defer sc.close()
	entries, err := sc.list(dir, c.HasFeature(featureLsV2))
	if err != nil {
		return nil, opErr(ctx, "list", dir, err)
	}
	if len(entries) == 0 {
		fi, err := sc.stat(dir, c.HasFeature(featureStatV2))
		if err != nil {
			return nil, opErr(ctx, "list", dir, err)
		}
		if !fi.IsDir() {
			return nil, &fs.PathError{Op: "list", Path: dir, Err: syscall.ENOTDIR}
		}
	}
	return entries, nil
}

func (sc *syncClient) list(dir string, v2 bool) ([]fs.FileInfo, error) {
	id, size, dentID := idLIST, dentV1Size, idDENT
	if v2 {
		id, size, dentID = idLIS2, dentV2Size, idDNT2
	}
	if err := sc.request(id, dir); err != nil {
		return nil, err
	}
	var out []fs.FileInfo
	for {
		b, err := sc.read(size)
		if err != nil {
			return nil, err
		}
		switch binary.LittleEndian.Uint32(b) {
		case idDONE:
			return out, nil
		case dentID:
		default:
			return nil, fmt.Errorf("%w: %q in a listing", ErrProtocol, cmdName(binary.LittleEndian.Uint32(b)))
		}
		namelen := binary.LittleEndian.Uint32(b[size-4:])
		if namelen > syncPathMax {
			return nil, fmt.Errorf("%w: name of %d bytes in a listing", ErrProtocol, namelen)
		}
		name, err := sc.read(int(namelen))
		if err != nil {
			return nil, err
		}
		fi := &fileInfo{name: string(name)}
		if v2 {
			if binary.LittleEndian.Uint32(b[4:]) != 0 {
				continue // lstat failed for this entry
			}
			fi.mode = goMode(binary.LittleEndian.Uint32(b[24:]))
			fi.size = int64(binary.LittleEndian.Uint64(b[40:]))
			fi.mtime = time.Unix(int64(binary.LittleEndian.Uint64(b[56:])), 0)
		} else {
			fi.mode = goMode(binary.LittleEndian.Uint32(b[4:]))
			fi.size = int64(binary.LittleEndian.Uint32(b[8:]))
			fi.mtime = time.Unix(int64(binary.LittleEndian.Uint32(b[12:])), 0)
		}
		if fi.name == "." || fi.name == ".." {
			continue
		}
		out = append(out, fi)
	}
}

// Push writes everything from local to remotePath on the device with permission mode and
// modification time mtime, as adb push does (SEND, DATA…, DONE). The device replaces the file
// only once it has all of it.
func (c *Conn) Push(ctx context.Context, local io.Reader, remotePath string, mode fs.FileMode, mtime time.Time) error {
	spec := remotePath + "," + strconv.FormatUint(uint64(sIFREG|uint32(mode.Perm())), 10)
	if err := checkPath("push", spec); err != nil {
		return err
	}
	sc, err := c.openSync(ctx)
	if err != nil {
		return opErr(ctx, "push", remotePath, err)
	}
	defer sc.close()
	if err := sc.send(local, spec, mtime); err != nil {
		return opErr(ctx, "push", remotePath, err)
	}
	return nil
}

func (sc *syncClient) send(local io.Reader, spec string, mtime time.Time) error {
	if err := sc.request(idSEND, spec); err != nil {
		return err
	}
	buf := make([]byte, 8+syncDataMax)
	binary.LittleEndian.PutUint32(buf, idDATA)
	var werr error
	for {
		n, rerr := io.ReadFull(local, buf[8:])
		if n > 0 {
			binary.LittleEndian.PutUint32(buf[4:], uint32(n))
			if _, werr = sc.s.Write(buf[:8+n]); werr != nil {
				break
			}
		}
		if rerr == io.EOF || rerr == io.ErrUnexpectedEOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("reading local data: %w", rerr)
		}
	}
	if werr == nil {
		binary.LittleEndian.PutUint32(buf, idDONE)
		binary.LittleEndian.PutUint32(buf[4:], uint32(mtime.Unix()))
		_, werr = sc.s.Write(buf[:8])
	}
	// Even when writing failed the device may have said why before closing.
	b, err := sc.read(8)
	if err != nil {
		if werr != nil {
			return werr
		}
		return err
	}
	switch id := binary.LittleEndian.Uint32(b); id {
	case idOKAY:
		return werr
	case idFAIL:
		return sc.failure("push", spec, binary.LittleEndian.Uint32(b[4:]))
	default:
		return fmt.Errorf("%w: SEND answered with %q", ErrProtocol, cmdName(id))
	}
}

// Pull copies the device file remotePath to w. A missing file is an error wrapping
// fs.ErrNotExist.
func (c *Conn) Pull(ctx context.Context, remotePath string, w io.Writer) error {
	if err := checkPath("pull", remotePath); err != nil {
		return err
	}
	sc, err := c.openSync(ctx)
	if err != nil {
		return opErr(ctx, "pull", remotePath, err)
	}
	defer sc.close()
	if err := sc.recv(remotePath, w); err != nil {
		return opErr(ctx, "pull", remotePath, err)
	}
	return nil
}

func (sc *syncClient) recv(p string, w io.Writer) error {
	if err := sc.request(idRECV, p); err != nil {
		return err
	}
	for {
		b, err := sc.read(8)
		if err != nil {
			return err
		}
		n := binary.LittleEndian.Uint32(b[4:])
		switch id := binary.LittleEndian.Uint32(b); id {
		case idDATA:
			if n > syncDataMax {
				return fmt.Errorf("%w: DATA chunk of %d bytes", ErrProtocol, n)
			}
			if _, err := io.CopyN(w, sc.r, int64(n)); err != nil {
				return noEOF(err)
			}
		case idDONE:
			return nil
		case idFAIL:
			return sc.failure("pull", p, n)
		default:
			return fmt.Errorf("%w: RECV answered with %q", ErrProtocol, cmdName(id))
		}
	}
}
