package adb

import (
	"bufio"
	"context"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"time"
)

// Feature names of the CNXN banner (transport.cpp).
const (
	featureShellV2 = "shell_v2"
	featureStatV2  = "stat_v2"
	featureLsV2    = "ls_v2"
)

// features is what both sides announce: exactly what is implemented here. The device side has no
// "cmd", so adb install pushes the APK and runs pm install through the shell instead of
// streaming it to `cmd package install`.
var features = []string{featureShellV2, featureStatV2, featureLsV2}

// DefaultMaxStreams bounds the streams open at once on one connection, on either side.
const DefaultMaxStreams = 64

// DialOptions configures the control plane's end of a connection.
type DialOptions struct {
	// Key signs the device's AUTH token. Without one, a device with ro.adb.secure=1 refuses the
	// connection with ErrUnauthorized.
	Key *rsa.PrivateKey
	// MaxPayload is the maxdata announced in CNXN, between MinPayload and MaxPayload; 0 means
	// MaxPayload. The connection uses the smaller of this and the device's.
	MaxPayload int
	// MaxStreams bounds the streams open at once; Open waits for a free one. 0 means
	// DefaultMaxStreams.
	MaxStreams int
	// Logger receives connection events (a Pool reports connections that break); nil means
	// slog.Default().
	Logger *slog.Logger
}

func (o *DialOptions) normalize() error {
	if o.MaxPayload == 0 {
		o.MaxPayload = MaxPayload
	}
	if o.MaxPayload < MinPayload || o.MaxPayload > MaxPayload {
		return fmt.Errorf("adb: MaxPayload %d outside [%d, %d]", o.MaxPayload, MinPayload, MaxPayload)
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = DefaultMaxStreams
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// Conn is an authenticated connection to one device. It is safe for concurrent use: every
// operation opens its own stream, and the streams share the connection.
type Conn struct {
	m        *mux
	banner   string
	features []string
}

// Dial connects to a device's adbd at addr (host:port) and authenticates. ctx bounds the
// connection attempt and the handshake only; the returned Conn lives until Close or until the
// connection breaks.
func Dial(ctx context.Context, addr string, opts DialOptions) (*Conn, error) {
	if err := opts.normalize(); err != nil {
		return nil, err
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("adb: dialing %s: %w", addr, err)
	}
	c, err := NewClientConn(ctx, nc, opts)
	if err != nil {
		return nil, fmt.Errorf("adb: %s: %w", addr, err)
	}
	return c, nil
}

// NewClientConn runs the host side of the protocol over an established connection (a tunnel,
// an in-memory pipe). It takes ownership of nc.
func NewClientConn(ctx context.Context, nc net.Conn, opts DialOptions) (*Conn, error) {
	if err := opts.normalize(); err != nil {
		nc.Close()
		return nil, err
	}
	br := bufio.NewReaderSize(nc, 64*1024)
	stop := bindDeadline(ctx, nc)
	version, maxPayload, banner, err := clientHandshake(nc, br, &opts)
	stop()
	if err == nil {
		err = nc.SetDeadline(time.Time{})
	}
	if err != nil {
		nc.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("handshake: %w", ctx.Err())
		}
		return nil, err
	}
	m := newMux(nc, version, maxPayload, opts.MaxPayload, opts.MaxStreams)
	m.slots = make(chan struct{}, opts.MaxStreams)
	c := &Conn{m: m, banner: banner, features: bannerFeatures(banner)}
	m.start(br)
	return c, nil
}

// bindDeadline makes blocking I/O on nc honour ctx until the returned stop is called.
func bindDeadline(ctx context.Context, nc net.Conn) (stop func()) {
	if dl, ok := ctx.Deadline(); ok {
		nc.SetDeadline(dl)
	}
	unhook := context.AfterFunc(ctx, func() { nc.SetDeadline(time.Unix(1, 0)) })
	return func() { unhook() }
}

func clientHandshake(nc net.Conn, br *bufio.Reader, opts *DialOptions) (uint32, int, string, error) {
	identity := "host::features=" + strings.Join(features, ",")
	if err := writeMessage(nc, cmdCNXN, versionMax, uint32(opts.MaxPayload), []byte(identity)); err != nil {
		return 0, 0, "", fmt.Errorf("sending CNXN: %w", err)
	}
	hdr := make([]byte, headerSize)
	signed := false
	for {
		msg, err := readMessage(br, hdr, opts.MaxPayload, func(n int) []byte { return make([]byte, n) })
		if err != nil {
			return 0, 0, "", fmt.Errorf("handshake: %w", err)
		}
		switch msg.cmd {
		case cmdCNXN:
			if msg.arg0 < versionMin {
				return 0, 0, "", fmt.Errorf("%w: device speaks protocol version %#x", ErrProtocol, msg.arg0)
			}
			if msg.arg1 < MinPayload {
				return 0, 0, "", fmt.Errorf("%w: device maxdata %d below %d", ErrProtocol, msg.arg1, MinPayload)
			}
			return min(msg.arg0, versionMax), min(int(msg.arg1), opts.MaxPayload), strings.TrimRight(string(msg.payload), "\x00"), nil
		case cmdAUTH:
			if msg.arg0 != authToken {
				continue
			}
			if opts.Key == nil || signed {
				// Our key was refused: offer it for the device to record, as adb does, and
				// report the refusal instead of waiting for a user who is not there.
				if opts.Key != nil {
					if pub, err := EncodePublicKey(&opts.Key.PublicKey); err == nil {
						writeMessage(nc, cmdAUTH, authRSAPublicKey, 0, []byte(pub+" opencph\x00"))
					}
				}
				return 0, 0, "", ErrUnauthorized
			}
			sig, err := signToken(opts.Key, msg.payload)
			if err != nil {
				return 0, 0, "", err
			}
			if err := writeMessage(nc, cmdAUTH, authSignature, 0, sig); err != nil {
				return 0, 0, "", fmt.Errorf("sending AUTH: %w", err)
			}
			signed = true
		case cmdSTLS:
			return 0, 0, "", errors.New("adb: device requires TLS (wireless debugging pairing), which is not supported")
		}
	}
}

// bannerFeatures extracts features=… from "device::prop=v;…;features=a,b".
func bannerFeatures(banner string) []string {
	parts := strings.SplitN(banner, ":", 3)
	if len(parts) < 3 {
		return nil
	}
	for prop := range strings.SplitSeq(parts[2], ";") {
		if v, ok := strings.CutPrefix(prop, "features="); ok {
			return strings.Split(v, ",")
		}
	}
	return nil
}

// Banner is the device's CNXN identity, "device::ro.product.name=…;…;features=…".
func (c *Conn) Banner() string { return c.banner }

// Features lists what the device announced it supports.
func (c *Conn) Features() []string { return slices.Clone(c.features) }

// HasFeature reports whether the device announced feature f (e.g. "shell_v2").
func (c *Conn) HasFeature(f string) bool { return slices.Contains(c.features, f) }

// MaxPayload is the negotiated largest packet payload.
func (c *Conn) MaxPayload() int { return c.m.maxPayload }

// Done is closed when the connection has ended; a Pool uses it to reconnect.
func (c *Conn) Done() <-chan struct{} { return c.m.done }

// Err reports why the connection ended, nil while it is up.
func (c *Conn) Err() error {
	select {
	case <-c.m.done:
		return c.m.closedErr()
	default:
		return nil
	}
}

// Close ends the connection and every stream on it.
func (c *Conn) Close() error {
	c.m.fail(ErrClosed)
	return nil
}

// Open opens a stream to service (e.g. "shell,v2,raw:id", "sync:"). The stream lives until it
// is closed, the device closes it, or ctx ends. A service the device does not offer is
// ErrRefused.
func (c *Conn) Open(ctx context.Context, service string) (*Stream, error) {
	if len(service)+1 > c.m.maxPayload {
		return nil, fmt.Errorf("adb: service name of %d bytes exceeds the %d-byte payload", len(service), c.m.maxPayload)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case c.m.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.m.done:
		return nil, c.m.closedErr()
	}
	s := newStream(c.m, service)
	s.slot = true
	if !c.m.register(s) {
		<-c.m.slots
		return nil, c.m.closedErr()
	}
	stop := context.AfterFunc(ctx, func() { s.abort(ctx.Err()) })
	s.mu.Lock()
	s.stop = stop
	closed := s.closed
	s.mu.Unlock()
	if closed {
		stop()
	}
	c.m.send(outMsg{cmd: cmdOPEN, arg0: s.local, data: append([]byte(service), 0)})
	select {
	case <-s.connCh:
		return s, nil
	case <-s.done:
	}
	s.mu.Lock()
	connected, peerClosed, err := s.connected, s.peerClosed, s.err
	s.mu.Unlock()
	switch {
	case connected:
		return s, nil // a service that finished at once: its output is still readable
	case peerClosed:
		return nil, fmt.Errorf("%w: %q", ErrRefused, service)
	default:
		return nil, err
	}
}
