package adb

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"
)

// ServeOptions configures the device side.
type ServeOptions struct {
	// Secure reports ro.adb.secure at each new connection. When it reports true, a host must
	// sign the AUTH token with one of AuthorizedKeys; nil or false admits any host, as on
	// redroid and behind CPH's SSH tunnel.
	Secure func() bool
	// AuthorizedKeys returns the device's adb_keys (see ParseAuthorizedKeys) when a host signs.
	AuthorizedKeys func() []*rsa.PublicKey
	// MaxPayload is the maxdata announced in CNXN, between MinPayload and MaxPayload; 0 means
	// MaxPayload.
	MaxPayload int
	// MaxStreams bounds the streams open at once on one connection; further OPENs are refused.
	// 0 means DefaultMaxStreams.
	MaxStreams int
	// HandshakeTimeout bounds CNXN and AUTH; a host that has not been admitted by then is
	// disconnected. 0 means 30 seconds.
	HandshakeTimeout time.Duration
	// Logger receives connection events; nil means slog.Default().
	Logger *slog.Logger
}

func (o *ServeOptions) normalize() error {
	if o.MaxPayload == 0 {
		o.MaxPayload = MaxPayload
	}
	if o.MaxPayload < MinPayload || o.MaxPayload > MaxPayload {
		return fmt.Errorf("adb: MaxPayload %d outside [%d, %d]", o.MaxPayload, MinPayload, MaxPayload)
	}
	if o.MaxStreams <= 0 {
		o.MaxStreams = DefaultMaxStreams
	}
	if o.HandshakeTimeout <= 0 {
		o.HandshakeTimeout = 30 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return nil
}

// maxAuthFailures bounds signature attempts per connection, where adbd merely slows down.
const maxAuthFailures = 64

// Serve accepts adb connections on ln and serves dev on each, one goroutine per connection,
// until ctx ends; it then closes ln and every connection, waits for their services to return,
// and returns nil. Any other Accept failure is returned.
func Serve(ctx context.Context, ln net.Listener, dev Device, opts ServeOptions) error {
	if err := opts.normalize(); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()
	stop := context.AfterFunc(ctx, func() { ln.Close() })
	defer stop()
	for {
		nc, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("adb: accept: %w", err)
		}
		wg.Go(func() {
			if err := ServeConn(ctx, nc, dev, opts); err != nil {
				opts.Logger.Debug("adb connection ended", "remote", nc.RemoteAddr().String(), "err", err)
			}
		})
	}
}

// ServeConn serves dev on one established connection until the host disconnects or ctx ends.
// It takes ownership of nc. A host that goes away is a normal end and returns nil.
func ServeConn(ctx context.Context, nc net.Conn, dev Device, opts ServeOptions) error {
	if err := opts.normalize(); err != nil {
		nc.Close()
		return err
	}
	br := bufio.NewReaderSize(nc, 64*1024)
	hctx, hcancel := context.WithTimeout(ctx, opts.HandshakeTimeout)
	stop := bindDeadline(hctx, nc)
	version, maxPayload, err := deviceHandshake(nc, br, dev, &opts)
	stop()
	hcancel()
	if err == nil {
		err = nc.SetDeadline(time.Time{})
	}
	if err != nil {
		nc.Close()
		return fmt.Errorf("adb handshake: %w", err)
	}

	m := newMux(nc, version, maxPayload, opts.MaxPayload, opts.MaxStreams)
	sess := &session{m: m, dev: dev, log: opts.Logger}
	sess.ctx, sess.cancel = context.WithCancel(ctx)
	m.onOpen = sess.open
	m.start(br)
	unhook := context.AfterFunc(ctx, func() { m.fail(ErrClosed) })
	<-m.done
	unhook()
	sess.cancel()
	sess.wg.Wait()
	if err := m.err; err != nil && !errors.Is(err, ErrClosed) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return err
	}
	return nil
}

// identity builds the CNXN banner: the device's own part, then the features.
func identity(dev Device) (string, error) {
	b := dev.Banner()
	if strings.Count(b, ":") < 2 {
		b = "device::" + b
	}
	if !strings.HasSuffix(b, ":") && !strings.HasSuffix(b, ";") {
		b += ";"
	}
	b += "features=" + strings.Join(features, ",")
	if len(b) > MinPayload {
		return "", fmt.Errorf("adb: banner of %d bytes exceeds %d", len(b), MinPayload)
	}
	return b, nil
}

func deviceHandshake(nc net.Conn, br *bufio.Reader, dev Device, opts *ServeOptions) (uint32, int, error) {
	hdr := make([]byte, headerSize)
	var (
		version    uint32
		maxPayload int
		token      []byte
		failures   int
	)
	connect := func() (uint32, int, error) {
		id, err := identity(dev)
		if err != nil {
			return 0, 0, err
		}
		if err := writeMessage(nc, cmdCNXN, version, uint32(maxPayload), []byte(id)); err != nil {
			return 0, 0, fmt.Errorf("sending CNXN: %w", err)
		}
		return version, maxPayload, nil
	}
	challenge := func() error {
		token = make([]byte, tokenSize)
		rand.Read(token)
		return writeMessage(nc, cmdAUTH, authToken, 0, token)
	}
	for {
		msg, err := readMessage(br, hdr, opts.MaxPayload, func(n int) []byte { return make([]byte, n) })
		if err != nil {
			return 0, 0, err
		}
		switch msg.cmd {
		case cmdCNXN:
			if msg.arg0 < versionMin {
				return 0, 0, fmt.Errorf("%w: host speaks protocol version %#x", ErrProtocol, msg.arg0)
			}
			if msg.arg1 < MinPayload {
				return 0, 0, fmt.Errorf("%w: host maxdata %d below %d", ErrProtocol, msg.arg1, MinPayload)
			}
			version, maxPayload = min(msg.arg0, versionMax), min(int(msg.arg1), opts.MaxPayload)
			if opts.Secure == nil || !opts.Secure() {
				return connect()
			}
			if err := challenge(); err != nil {
				return 0, 0, fmt.Errorf("sending AUTH: %w", err)
			}
		case cmdAUTH:
			if token == nil {
				continue // AUTH before CNXN is ignored, like every message before CNXN
			}
			switch msg.arg0 {
			case authSignature:
				if authorized(opts, token, msg.payload) {
					return connect()
				}
				if failures++; failures > maxAuthFailures {
					return 0, 0, ErrUnauthorized
				}
				if err := challenge(); err != nil {
					return 0, 0, fmt.Errorf("sending AUTH: %w", err)
				}
			case authRSAPublicKey:
				// A real device would ask its user; a simulated one has nobody to ask, so the
				// host stays unauthorized until the key is put in adb_keys.
				opts.Logger.Info("adb host offered an unknown key", "remote", nc.RemoteAddr().String(), "fingerprint", keyFingerprint(string(msg.payload)))
			default:
				return 0, 0, fmt.Errorf("%w: AUTH type %d", ErrProtocol, msg.arg0)
			}
		}
	}
}

// keyFingerprint is the MD5 of the encoded key in colon-separated hex, what Android's "Allow USB
// debugging?" dialog shows, so an operator can tell which key to add to adb_keys.
func keyFingerprint(key string) string {
	fields := strings.Fields(strings.TrimRight(key, "\x00"))
	if len(fields) == 0 {
		return ""
	}
	raw, err := base64.StdEncoding.DecodeString(fields[0])
	if err != nil {
		return "invalid"
	}
	sum := md5.Sum(raw)
	hexes := make([]string, len(sum))
	for i, b := range sum {
		hexes[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(hexes, ":")
}

func authorized(opts *ServeOptions, token, sig []byte) bool {
	if opts.AuthorizedKeys == nil {
		return false
	}
	for _, k := range opts.AuthorizedKeys() {
		if verifyToken(k, token, sig) {
			return true
		}
	}
	return false
}

// session is the device side of one connection: it starts a service per OPEN.
type session struct {
	m      *mux
	dev    Device
	log    *slog.Logger
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// open answers OPEN: OKAY and a goroutine running the service, or CLSE for a service this
// device does not have or when the connection has too many streams.
func (sess *session) open(remote uint32, service string) {
	run := sess.service(service)
	if run == nil {
		sess.log.Debug("adb service refused", "service", service)
		sess.m.send(outMsg{cmd: cmdCLSE, arg1: remote})
		return
	}
	s := newStream(sess.m, service)
	s.remote, s.connected, s.ready = remote, true, true
	close(s.connCh)
	ctx, cancel := context.WithCancel(sess.ctx)
	s.cancel = cancel
	if !sess.m.register(s) {
		cancel()
		sess.m.send(outMsg{cmd: cmdCLSE, arg1: remote})
		return
	}
	sess.m.send(outMsg{cmd: cmdOKAY, arg0: s.local, arg1: remote})
	sess.wg.Go(func() { run(ctx, s) })
}

// service maps a destination to its handler (services.cpp daemon_service_to_fd).
func (sess *session) service(name string) func(context.Context, *Stream) {
	switch {
	case strings.HasPrefix(name, "shell"):
		args, cmd, ok := strings.Cut(strings.TrimPrefix(name, "shell"), ":")
		if !ok || (args != "" && !strings.HasPrefix(args, ",")) {
			return nil
		}
		v2 := false
		for arg := range strings.SplitSeq(args, ",") {
			if arg == "v2" {
				v2 = true
			}
		}
		return func(ctx context.Context, s *Stream) { sess.serveShell(ctx, s, cmd, v2) }
	case strings.HasPrefix(name, "exec:"):
		cmd := strings.TrimPrefix(name, "exec:")
		return func(ctx context.Context, s *Stream) { sess.serveShell(ctx, s, cmd, false) }
	case strings.HasPrefix(name, "reboot:"):
		// adbd's reboot service does what the shell's reboot does: hand it to the device.
		cmd := strings.TrimSpace("reboot " + strings.TrimPrefix(name, "reboot:"))
		return func(ctx context.Context, s *Stream) { sess.serveShell(ctx, s, cmd, false) }
	case name == "sync:":
		return func(_ context.Context, s *Stream) { sess.serveSync(s) }
	}
	return nil
}
