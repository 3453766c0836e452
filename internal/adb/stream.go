package adb

import (
	"context"
	"errors"
	"io"
	"sync"
)

// ErrStreamClosed is returned by Write on a stream the device has closed.
var ErrStreamClosed = errors.New("adb: stream closed")

// Stream is one adb stream (a service opened with OPEN): a byte stream in both directions with
// protocol.txt's flow control — one WRTE in flight until the peer's OKAY. Writes are buffered
// up to the negotiated payload size and sent as soon as the peer is ready, so many small writes
// coalesce into few packets; the peer is acknowledged only once Read has taken a payload, so a
// slow reader slows the sender instead of growing memory. A Stream is bound to the context it
// was opened with: when that ends, the stream is aborted.
type Stream struct {
	m       *mux
	local   uint32
	service string
	slot    bool // holds one of the client's stream slots

	in     chan []byte // at most one payload the peer sent and Read has not taken
	rmu    sync.Mutex  // serialises Read
	cur    []byte      // unread part of the payload Read is consuming
	curBuf []byte      // that payload's whole buffer, returned to the pool when consumed

	wmu sync.Mutex // serialises Write

	mu         sync.Mutex
	remote     uint32
	connected  bool
	ready      bool   // the peer has acknowledged everything: one WRTE may go
	out        []byte // written, not yet sent
	closed     bool
	peerClosed bool
	err        error         // why the stream was aborted locally
	progress   chan struct{} // closed and replaced whenever out drains or the stream ends
	connCh     chan struct{} // closed on the first OKAY (client side)
	done       chan struct{} // closed when the stream ends either way
	stop       func() bool   // detaches the context that aborts the stream
	cancel     context.CancelFunc
}

func newStream(m *mux, service string) *Stream {
	return &Stream{
		m:        m,
		service:  service,
		in:       make(chan []byte, 1),
		progress: make(chan struct{}),
		connCh:   make(chan struct{}),
		done:     make(chan struct{}),
	}
}

// Service is the destination the stream was opened with, e.g. "shell,v2,raw:ls".
func (s *Stream) Service() string { return s.service }

// Done is closed when the stream has ended, by either side.
func (s *Stream) Done() <-chan struct{} { return s.done }

func (s *Stream) remoteID() uint32 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remote
}

// broadcastLocked wakes every goroutine waiting for progress; s.mu must be held.
func (s *Stream) broadcastLocked() {
	close(s.progress)
	s.progress = make(chan struct{})
}

// flushLocked sends the buffered bytes if the peer is ready for them; s.mu must be held.
func (s *Stream) flushLocked() {
	if !s.ready || !s.connected || s.closed || len(s.out) == 0 {
		return
	}
	buf := s.out
	s.out = nil
	s.ready = false
	s.m.send(outMsg{cmd: cmdWRTE, arg0: s.local, arg1: s.remote, data: buf, pooled: true})
	s.broadcastLocked()
}

// onReady handles OKAY: the first one connects the stream, each one permits the next WRTE.
func (s *Stream) onReady(remote uint32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if !s.connected {
		s.remote = remote
		s.connected = true
		close(s.connCh)
	} else if remote != s.remote {
		return
	}
	s.ready = true
	s.flushLocked()
}

// deliver hands a WRTE payload to Read; false when one is already waiting, which only a peer
// that ignores flow control can cause.
func (s *Stream) deliver(payload []byte) bool {
	select {
	case s.in <- payload:
		return true
	default:
		return false
	}
}

// onPeerClose handles CLSE: reads drain what already arrived, then see io.EOF.
func (s *Stream) onPeerClose(remote uint32) {
	s.mu.Lock()
	if s.closed || (s.connected && remote != 0 && remote != s.remote) {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.peerClosed = true
	s.broadcastLocked()
	s.mu.Unlock()
	s.finish()
}

// abort ends the stream at once, dropping unsent data, and tells the peer.
func (s *Stream) abort(err error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	s.err = err
	tell := s.connected
	putBuf(s.out)
	s.out = nil
	s.broadcastLocked()
	s.mu.Unlock()
	if tell {
		s.m.send(outMsg{cmd: cmdCLSE, arg0: s.local, arg1: s.remote})
	}
	s.finish()
}

func (s *Stream) finish() {
	s.m.unregister(s)
	close(s.done)
	s.mu.Lock()
	stop, cancel := s.stop, s.cancel
	s.mu.Unlock()
	if stop != nil {
		stop()
	}
	if cancel != nil {
		cancel()
	}
}

// Close sends what was written, then closes the stream. Closing twice, or after the peer
// closed, does nothing.
func (s *Stream) Close() error {
	s.mu.Lock()
	for !s.closed && len(s.out) > 0 {
		wait := s.progress
		s.mu.Unlock()
		<-wait
		s.mu.Lock()
	}
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	tell := s.connected
	s.broadcastLocked()
	s.mu.Unlock()
	if tell {
		s.m.send(outMsg{cmd: cmdCLSE, arg0: s.local, arg1: s.remote})
	}
	s.finish()
	return nil
}

// Write buffers p for the peer, blocking while a full payload awaits the peer's OKAY.
func (s *Stream) Write(p []byte) (int, error) {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	n := 0
	for len(p) > 0 {
		s.mu.Lock()
		if s.closed {
			err := s.writeErrLocked()
			s.mu.Unlock()
			return n, err
		}
		if space := s.m.maxPayload - len(s.out); space > 0 {
			k := min(space, len(p))
			if need := len(s.out) + k; cap(s.out) < need {
				grown := getBuf(need)[:len(s.out)]
				copy(grown, s.out)
				putBuf(s.out)
				s.out = grown
			}
			s.out = append(s.out, p[:k]...)
			p = p[k:]
			n += k
			s.flushLocked()
			s.mu.Unlock()
			continue
		}
		wait := s.progress
		s.mu.Unlock()
		<-wait
	}
	return n, nil
}

func (s *Stream) writeErrLocked() error {
	if s.err != nil {
		return s.err
	}
	return ErrStreamClosed
}

// Read returns what the peer wrote; io.EOF once the peer closed the stream and everything it
// sent has been read.
func (s *Stream) Read(p []byte) (int, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	for len(s.cur) == 0 {
		if s.curBuf != nil {
			putBuf(s.curBuf)
			s.curBuf = nil
		}
		select {
		case b := <-s.in:
			s.take(b)
			continue
		case <-s.done:
		}
		select {
		case b := <-s.in:
			s.take(b)
		default:
			s.mu.Lock()
			defer s.mu.Unlock()
			if s.peerClosed {
				return 0, io.EOF
			}
			return 0, s.writeErrLocked()
		}
	}
	n := copy(p, s.cur)
	s.cur = s.cur[n:]
	return n, nil
}

// take makes b the payload Read consumes and acknowledges it, letting the peer send the next.
func (s *Stream) take(b []byte) {
	s.cur, s.curBuf = b, b
	s.mu.Lock()
	ack := !s.closed
	s.mu.Unlock()
	if ack {
		s.m.send(outMsg{cmd: cmdOKAY, arg0: s.local, arg1: s.remote})
	}
}
