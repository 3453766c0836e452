package adb

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"
)

// Pool keeps one authenticated connection per phone (keyed by adb address) and hands it to
// every caller, who multiplex their streams on it. A connection that breaks is replaced on the
// next Get; concurrent Gets for an address share one dial.
type Pool struct {
	opts        DialOptions
	dialTimeout time.Duration

	mu     sync.Mutex
	conns  map[string]*poolEntry
	closed bool
}

type poolEntry struct {
	ready chan struct{} // closed when the dial has finished
	conn  *Conn
	err   error
}

// ErrPoolClosed is returned by Get after Close.
var ErrPoolClosed = errors.New("adb: pool closed")

// NewPool returns a pool dialling with opts. dialTimeout bounds one connection attempt
// (TCP connect and handshake), independently of any one caller's context so that a caller
// giving up does not fail the others waiting for the same phone; 0 means 10 seconds.
func NewPool(opts DialOptions, dialTimeout time.Duration) *Pool {
	if dialTimeout <= 0 {
		dialTimeout = 10 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Pool{opts: opts, dialTimeout: dialTimeout, conns: make(map[string]*poolEntry)}
}

// Get returns the live connection to addr, dialling if there is none or the last one broke.
func (p *Pool) Get(ctx context.Context, addr string) (*Conn, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, ErrPoolClosed
		}
		e := p.conns[addr]
		if e == nil {
			e = &poolEntry{ready: make(chan struct{})}
			p.conns[addr] = e
			go p.dial(addr, e)
		}
		p.mu.Unlock()

		select {
		case <-e.ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if e.err != nil {
			return nil, e.err
		}
		if e.conn.Err() == nil {
			return e.conn, nil
		}
		p.remove(addr, e)
	}
}

func (p *Pool) dial(addr string, e *poolEntry) {
	ctx, cancel := context.WithTimeout(context.Background(), p.dialTimeout)
	defer cancel()
	e.conn, e.err = Dial(ctx, addr, p.opts)
	close(e.ready)
	if e.err != nil {
		// Failures are not cached: the next Get tries again.
		p.remove(addr, e)
		return
	}
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		e.conn.Close()
		return
	}
	go func() {
		<-e.conn.Done()
		if err := e.conn.Err(); err != ErrClosed { // not our own Close
			p.opts.Logger.Info("adb connection lost", "addr", addr, "err", err)
		}
		p.remove(addr, e)
	}()
}

// remove forgets e if it is still the entry for addr.
func (p *Pool) remove(addr string, e *poolEntry) {
	p.mu.Lock()
	if p.conns[addr] == e {
		delete(p.conns, addr)
	}
	p.mu.Unlock()
}

// Drop closes and forgets the connection to addr, e.g. when its phone is removed or restarted.
func (p *Pool) Drop(addr string) {
	p.mu.Lock()
	e := p.conns[addr]
	delete(p.conns, addr)
	p.mu.Unlock()
	if e != nil {
		go func() {
			<-e.ready
			if e.conn != nil {
				e.conn.Close()
			}
		}()
	}
}

// Close closes every connection; later Gets fail with ErrPoolClosed.
func (p *Pool) Close() error {
	p.mu.Lock()
	p.closed = true
	entries := p.conns
	p.conns = make(map[string]*poolEntry)
	p.mu.Unlock()
	for _, e := range entries {
		<-e.ready
		if e.conn != nil {
			e.conn.Close()
		}
	}
	return nil
}
