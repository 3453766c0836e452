package adb

import (
	"bufio"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
)

// Errors a caller may want to tell apart.
var (
	// ErrClosed is returned for work on a connection that has ended; the cause is wrapped too.
	ErrClosed = errors.New("adb: connection closed")
	// ErrRefused is returned when the device answers OPEN with CLSE: it has no such service.
	ErrRefused = errors.New("adb: service refused by device")
	// ErrUnauthorized is returned by Dial when the device (ro.adb.secure=1) does not accept the
	// host key.
	ErrUnauthorized = errors.New("adb: device unauthorized")
)

// outMsg is a packet queued for the writer goroutine.
type outMsg struct {
	cmd, arg0, arg1 uint32
	data            []byte
	pooled          bool // data goes back to the pool once written
}

// Payload buffers come in size classes (4 KiB to 1 MiB, ×4 apart) shared by all connections:
// a 5-byte shell packet must not cost a zeroed 1 MiB buffer, and a bulk transfer reuses its
// large ones.
const minBufClass = 4 * 1024

var bufClasses [5]sync.Pool // 4 KiB, 16 KiB, 64 KiB, 256 KiB, 1 MiB

// getBuf returns a buffer of length n from the smallest class that holds it.
func getBuf(n int) []byte {
	for i, size := 0, minBufClass; i < len(bufClasses); i, size = i+1, size<<2 {
		if n <= size {
			if v := bufClasses[i].Get(); v != nil {
				return (*(v.(*[]byte)))[:n]
			}
			return make([]byte, n, size)
		}
	}
	return make([]byte, n)
}

// putBuf recycles a buffer getBuf made; others are left to the garbage collector.
func putBuf(b []byte) {
	for i, size := 0, minBufClass; i < len(bufClasses); i, size = i+1, size<<2 {
		if cap(b) == size {
			b = b[:0]
			bufClasses[i].Put(&b)
			return
		}
	}
}

// mux is one authenticated adb connection: many streams over one TCP connection. The read loop
// never blocks on the network writer or on a slow stream: writes go through a queue drained by
// one writer goroutine, and each stream holds at most one unacknowledged WRTE from the peer, so
// memory stays bounded by streams × maxPayload.
type mux struct {
	nc         net.Conn
	version    uint32
	maxPayload int                                 // negotiated: the largest WRTE either side sends
	ourMax     int                                 // what we announced: the largest payload we accept
	onOpen     func(remote uint32, service string) // device side; nil on the client

	mu         sync.Mutex
	streams    map[uint32]*Stream
	nextID     uint32
	maxStreams int
	slots      chan struct{} // client side: bounds concurrently open streams
	err        error
	done       chan struct{}

	wmu   sync.Mutex
	queue []outMsg
	wake  chan struct{}
}

func newMux(nc net.Conn, version uint32, maxPayload, ourMax, maxStreams int) *mux {
	return &mux{
		nc:         nc,
		version:    version,
		maxPayload: maxPayload,
		ourMax:     ourMax,
		streams:    make(map[uint32]*Stream),
		maxStreams: maxStreams,
		done:       make(chan struct{}),
		wake:       make(chan struct{}, 1),
	}
}

func (m *mux) start(br *bufio.Reader) {
	go m.writeLoop()
	go m.readLoop(br)
}

// closedErr is what operations on a finished connection return.
func (m *mux) closedErr() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err == nil || errors.Is(m.err, ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("%w: %w", ErrClosed, m.err)
}

// fail ends the connection once: every stream is aborted and the socket closed.
func (m *mux) fail(err error) {
	m.mu.Lock()
	if m.err != nil {
		m.mu.Unlock()
		return
	}
	if err == nil {
		err = ErrClosed
	}
	m.err = err
	close(m.done)
	streams := make([]*Stream, 0, len(m.streams))
	for _, s := range m.streams {
		streams = append(streams, s)
	}
	m.mu.Unlock()
	m.nc.Close()
	cerr := m.closedErr()
	for _, s := range streams {
		s.abort(cerr)
	}
}

// send queues a packet; it never blocks, so the read loop may call it. Once the connection has
// ended, packets are dropped.
func (m *mux) send(msg outMsg) {
	select {
	case <-m.done:
		if msg.pooled {
			putBuf(msg.data)
		}
		return
	default:
	}
	m.wmu.Lock()
	m.queue = append(m.queue, msg)
	m.wmu.Unlock()
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

func (m *mux) writeLoop() {
	var (
		batch []outMsg
		hdrs  []byte
		vec   net.Buffers
	)
	for {
		m.wmu.Lock()
		batch, m.queue = m.queue, batch[:0]
		m.wmu.Unlock()
		if len(batch) == 0 {
			select {
			case <-m.wake:
				continue
			case <-m.done:
				return
			}
		}
		if need := len(batch) * headerSize; cap(hdrs) < need {
			hdrs = make([]byte, need)
		}
		vec = vec[:0]
		for i := range batch {
			msg := &batch[i]
			h := header{cmd: msg.cmd, arg0: msg.arg0, arg1: msg.arg1, length: uint32(len(msg.data)), magic: msg.cmd ^ 0xffffffff}
			if m.version < versionSkipChecksum {
				h.check = checksum(msg.data)
			}
			hb := hdrs[i*headerSize : (i+1)*headerSize]
			h.encode(hb)
			vec = append(vec, hb)
			if len(msg.data) > 0 {
				vec = append(vec, msg.data)
			}
		}
		w := vec
		_, err := w.WriteTo(m.nc)
		for i := range batch {
			if batch[i].pooled {
				putBuf(batch[i].data)
			}
			batch[i] = outMsg{}
		}
		if err != nil {
			m.fail(fmt.Errorf("writing: %w", err))
			return
		}
	}
}

func (m *mux) readLoop(br *bufio.Reader) {
	hdr := make([]byte, headerSize)
	for {
		msg, err := readMessage(br, hdr, m.ourMax, getBuf)
		if err != nil {
			m.fail(err)
			return
		}
		if m.version < versionSkipChecksum && msg.check != checksum(msg.payload) {
			m.fail(fmt.Errorf("%w: %s checksum mismatch", ErrProtocol, cmdName(msg.cmd)))
			return
		}
		if err := m.handle(msg); err != nil {
			m.fail(err)
			return
		}
	}
}

func (m *mux) handle(msg message) error {
	switch msg.cmd {
	case cmdOPEN:
		service := strings.TrimRight(string(msg.payload), "\x00")
		putBuf(msg.payload)
		if msg.arg0 == 0 || msg.arg1 != 0 {
			return nil
		}
		if m.onOpen == nil {
			m.send(outMsg{cmd: cmdCLSE, arg0: 0, arg1: msg.arg0})
			return nil
		}
		m.onOpen(msg.arg0, service)
	case cmdOKAY:
		if msg.arg0 == 0 || msg.arg1 == 0 {
			return nil
		}
		if s := m.stream(msg.arg1); s != nil {
			s.onReady(msg.arg0)
		} else {
			// The stream was given up while the OPEN was in flight: close the far end.
			m.send(outMsg{cmd: cmdCLSE, arg0: msg.arg1, arg1: msg.arg0})
		}
	case cmdCLSE:
		if msg.arg1 == 0 {
			return nil
		}
		if s := m.stream(msg.arg1); s != nil {
			s.onPeerClose(msg.arg0)
		}
	case cmdWRTE:
		s := m.stream(msg.arg1)
		if msg.arg0 == 0 || s == nil || s.remoteID() != msg.arg0 {
			putBuf(msg.payload)
			return nil
		}
		if !s.deliver(msg.payload) {
			putBuf(msg.payload)
			return fmt.Errorf("%w: second WRTE on stream %d before OKAY", ErrProtocol, msg.arg1)
		}
	case cmdCNXN:
		return fmt.Errorf("%w: CNXN on an established connection", ErrProtocol)
	case cmdSTLS:
		return fmt.Errorf("%w: STLS on an established connection", ErrProtocol)
	}
	return nil
}

func (m *mux) stream(id uint32) *Stream {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.streams[id]
}

// register gives s a free local id; false when the connection is gone or full.
func (m *mux) register(s *Stream) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.err != nil || len(m.streams) >= m.maxStreams {
		return false
	}
	for {
		m.nextID++
		if m.nextID == 0 {
			m.nextID = 1
		}
		if _, used := m.streams[m.nextID]; !used {
			break
		}
	}
	s.local = m.nextID
	m.streams[s.local] = s
	return true
}

func (m *mux) unregister(s *Stream) {
	m.mu.Lock()
	if m.streams[s.local] == s {
		delete(m.streams, s.local)
		if s.slot {
			<-m.slots
		}
	}
	m.mu.Unlock()
}

// numStreams reports open streams; tests use it to see that none leak.
func (m *mux) numStreams() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.streams)
}
