package adb

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync"
)

// Shell protocol v2 (shell_protocol.h): inside the stream, packets of a 1-byte id, a 4-byte
// little-endian length and the data, so stdout, stderr and the exit status travel apart.
const (
	shellStdin      = 0
	shellStdout     = 1
	shellStderr     = 2
	shellExit       = 3
	shellCloseStdin = 4
	shellWindowSize = 5

	shellHeaderSize = 5
)

// ErrNoShellV2 is returned by ShellStream for a device that predates shell protocol v2
// (Android 7) and so cannot separate stderr or report an exit status.
var ErrNoShellV2 = errors.New("adb: device does not support shell protocol v2")

// writeShellPacket writes the packet with a single Write, so that a stream ready to send puts
// it in one WRTE instead of sending the header alone and the data a round trip later.
func writeShellPacket(w io.Writer, id byte, data []byte) error {
	b := getBuf(shellHeaderSize + len(data))
	defer putBuf(b)
	b[0] = id
	binary.LittleEndian.PutUint32(b[1:], uint32(len(data)))
	copy(b[shellHeaderSize:], data)
	_, err := w.Write(b)
	return err
}

func readShellHeader(r io.Reader) (id byte, n int64, err error) {
	var hdr [shellHeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, 0, err
	}
	return hdr[0], int64(binary.LittleEndian.Uint32(hdr[1:])), nil
}

// packetWriter frames writes as shell packets of one id. Packets are kept within one WRTE and
// whole: stdout and stderr share mu, so concurrent writers never interleave inside a packet.
type packetWriter struct {
	w   io.Writer
	id  byte
	mu  *sync.Mutex
	max int
}

func (p *packetWriter) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		k := min(len(b), p.max)
		p.mu.Lock()
		err := writeShellPacket(p.w, p.id, b[:k])
		p.mu.Unlock()
		if err != nil {
			return n, err
		}
		n += k
		b = b[k:]
	}
	return n, nil
}

// Shell runs cmd through the device's sh and returns its output and exit status, with stdin
// closed at once. On a device without shell_v2 the raw shell is used: stderr arrives mixed into
// stdout and exit is -1, because that protocol carries no status.
func (c *Conn) Shell(ctx context.Context, cmd string) (stdout, stderr []byte, exit int, err error) {
	var out, errOut bytes.Buffer
	if !c.HasFeature(featureShellV2) {
		err := c.copyService(ctx, "shell:"+cmd, &out)
		return out.Bytes(), nil, -1, err
	}
	exit, err = c.ShellStream(ctx, cmd, nil, &out, &errOut)
	return out.Bytes(), errOut.Bytes(), exit, err
}

// ShellStream runs cmd with shell protocol v2, copying stdin (nil for none) to the command and
// its output to stdout and stderr (nil discards) as it arrives, and returns the exit status.
// It does not wait for a stdin Read that blocks after the command has ended.
func (c *Conn) ShellStream(ctx context.Context, cmd string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	if !c.HasFeature(featureShellV2) {
		return -1, ErrNoShellV2
	}
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	s, err := c.Open(ctx, "shell,v2,raw:"+cmd)
	if err != nil {
		return -1, err
	}
	defer s.abort(ErrStreamClosed)
	go sendStdin(s, stdin, c.m.maxPayload-shellHeaderSize)
	for {
		id, n, err := readShellHeader(s)
		if err != nil {
			return -1, shellErr(ctx, err)
		}
		switch id {
		case shellStdout:
			err = copyN(stdout, s, n)
		case shellStderr:
			err = copyN(stderr, s, n)
		case shellExit:
			var code [1]byte
			if n != 1 {
				return -1, fmt.Errorf("%w: exit packet of %d bytes", ErrProtocol, n)
			}
			if _, err := io.ReadFull(s, code[:]); err != nil {
				return -1, shellErr(ctx, err)
			}
			return int(code[0]), nil
		default:
			_, err = io.CopyN(io.Discard, s, n)
		}
		if err != nil {
			return -1, shellErr(ctx, err)
		}
	}
}

// copyN copies one packet's data; a failing destination is the caller's error, not the device's.
func copyN(dst io.Writer, src io.Reader, n int64) error {
	_, err := io.CopyN(dst, src, n)
	return err
}

func shellErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("adb: shell ended without an exit status")
	}
	return err
}

func sendStdin(s *Stream, stdin io.Reader, max int) {
	w := &packetWriter{w: s, id: shellStdin, mu: new(sync.Mutex), max: max}
	if stdin != nil {
		if _, err := io.CopyBuffer(w, stdin, make([]byte, min(max, 64*1024))); err != nil {
			return
		}
	}
	writeShellPacket(s, shellCloseStdin, nil)
}

// Exec runs cmd with the raw exec: service and returns its output byte for byte (stdout and
// stderr together, no exit status): the way to fetch binary output such as screencap -p.
func (c *Conn) Exec(ctx context.Context, cmd string) ([]byte, error) {
	var out bytes.Buffer
	err := c.ExecStream(ctx, cmd, &out)
	return out.Bytes(), err
}

// ExecStream is Exec copying the output to w as it arrives, for output too large to hold.
func (c *Conn) ExecStream(ctx context.Context, cmd string, w io.Writer) error {
	return c.copyService(ctx, "exec:"+cmd, w)
}

// copyService opens service and copies everything it sends to w until the device closes it.
func (c *Conn) copyService(ctx context.Context, service string, w io.Writer) error {
	s, err := c.Open(ctx, service)
	if err != nil {
		return err
	}
	defer s.abort(ErrStreamClosed)
	if _, err := io.Copy(w, s); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}
	return nil
}

// serveShell runs one shell or exec: stream on the device side. With protocol v2 it
// demultiplexes stdin packets and frames stdout, stderr and the exit status; raw, it passes
// bytes through and the stream's end is the only status.
func (sess *session) serveShell(ctx context.Context, s *Stream, cmd string, v2 bool) {
	pr, pw := io.Pipe()
	var demux sync.WaitGroup
	defer demux.Wait()
	defer s.Close()
	defer pr.CloseWithError(errors.New("shell finished"))

	var mu sync.Mutex
	var stdout, stderr io.Writer
	if v2 {
		max := s.m.maxPayload - shellHeaderSize
		stdout = &packetWriter{w: s, id: shellStdout, mu: &mu, max: max}
		stderr = &packetWriter{w: s, id: shellStderr, mu: &mu, max: max}
		demux.Go(func() { readStdinPackets(s, pw) })
	} else {
		stdout = &lockedWriter{w: s, mu: &mu}
		stderr = stdout
		demux.Go(func() {
			_, err := io.Copy(pw, s)
			pw.CloseWithError(err)
		})
	}

	exit, err := sess.dev.Shell(ctx, cmd, pr, stdout, stderr)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		// As adbd's ReportError: the command could not run at all.
		sess.log.Warn("adb shell failed", "cmd", cmd, "err", err)
		fmt.Fprintf(stderr, "error: %v\n", err)
		exit = 126
	}
	if v2 {
		mu.Lock()
		writeShellPacket(s, shellExit, []byte{byte(exit)})
		mu.Unlock()
	}
}

// readStdinPackets feeds stdin packets to the command until CloseStdin; it keeps reading (and
// dropping) after that so a window-size or late packet never stalls the stream.
func readStdinPackets(s *Stream, pw *io.PipeWriter) {
	defer pw.Close()
	for {
		id, n, err := readShellHeader(s)
		if err != nil {
			return
		}
		switch id {
		case shellStdin:
			w, _ := io.CopyN(pw, s, n)
			if w < n {
				if _, err := io.CopyN(io.Discard, s, n-w); err != nil {
					return
				}
			}
		case shellCloseStdin:
			pw.Close()
			fallthrough
		default:
			if _, err := io.CopyN(io.Discard, s, n); err != nil {
				return
			}
		}
	}
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
