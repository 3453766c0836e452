// Package sshgw is the SSH gateway through which users reach their phones' adb endpoints, as
// Huawei's CPH does: a user authenticates with the private key of the keypair attached to a
// server (5.1.4 keypair_name, 5.5.1 open-access) and may then only forward TCP connections
// (`ssh -N -L`) to the adb endpoints of that server's phones. There is no shell, no exec and no
// remote forwarding.
package sshgw

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// ErrDenied is the gateway's own refusal of a key that does not match.
var ErrDenied = errors.New("sshgw: denied")

// Backend answers the gateway's two questions; the CPH domain implements it.
type Backend interface {
	// ServerKey returns the public key (authorized_keys format) of the keypair attached to the
	// server named by the SSH user; any error denies the login.
	ServerKey(ctx context.Context, serverID string) (string, error)
	// ADBEndpoint maps a forwarding destination a client of serverID asked for (the host and port
	// of an adb access entry, or a phone's own IP and port 5555) to the address of that phone's adb
	// endpoint; any error refuses the forward.
	ADBEndpoint(ctx context.Context, serverID, host string, port int) (string, error)
}

// Gateway serves SSH connections.
type Gateway struct {
	be     Backend
	config *ssh.ServerConfig
	dial   func(ctx context.Context, addr string) (net.Conn, error)
}

// New builds a gateway with its host key.
func New(hostKey ssh.Signer, be Backend) *Gateway {
	g := &Gateway{be: be}
	d := &net.Dialer{Timeout: 10 * time.Second}
	g.dial = func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	g.config = &ssh.ServerConfig{
		PublicKeyCallback: func(meta ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			authorized, err := be.ServerKey(ctx, meta.User())
			if err != nil {
				return nil, fmt.Errorf("server %q: %w", meta.User(), err)
			}
			want, _, _, _, err := ssh.ParseAuthorizedKey([]byte(authorized))
			if err != nil {
				return nil, fmt.Errorf("server %q: keypair: %w", meta.User(), err)
			}
			if !bytes.Equal(want.Marshal(), key.Marshal()) {
				return nil, fmt.Errorf("server %q: key does not match its keypair: %w", meta.User(), ErrDenied)
			}
			return &ssh.Permissions{Extensions: map[string]string{"server_id": meta.User()}}, nil
		},
		ServerVersion: "SSH-2.0-OpenCPH",
	}
	g.config.AddHostKey(hostKey)
	return g
}

// Serve accepts connections on ln until ctx is done, then closes ln and waits for open tunnels.
func (g *Gateway) Serve(ctx context.Context, ln net.Listener) error {
	var wg sync.WaitGroup
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	defer wg.Wait()
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("sshgw: accept: %w", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.handle(ctx, c)
		}()
	}
}

func (g *Gateway) handle(ctx context.Context, c net.Conn) {
	_ = c.SetDeadline(time.Now().Add(30 * time.Second)) // the handshake must not hang forever
	conn, chans, reqs, err := ssh.NewServerConn(c, g.config)
	if err != nil {
		slog.Debug("ssh handshake failed", "remote", c.RemoteAddr(), "err", err)
		c.Close()
		return
	}
	_ = c.SetDeadline(time.Time{})
	serverID := conn.Permissions.Extensions["server_id"]
	log := slog.With("server_id", serverID, "remote", c.RemoteAddr())
	log.Info("ssh tunnel opened")
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		<-ctx.Done()
		conn.Close()
	}()
	go ssh.DiscardRequests(reqs) // refuses tcpip-forward and every other global request
	var wg sync.WaitGroup
	for nc := range chans {
		if nc.ChannelType() != "direct-tcpip" {
			_ = nc.Reject(ssh.Prohibited, "only port forwarding to adb endpoints is allowed")
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.forward(ctx, log, serverID, nc)
		}()
	}
	wg.Wait()
	log.Info("ssh tunnel closed")
}

// directTCPIP is the payload of a direct-tcpip channel request (RFC 4254 section 7.2).
type directTCPIP struct {
	Host       string
	Port       uint32
	OriginHost string
	OriginPort uint32
}

func (g *Gateway) forward(ctx context.Context, log *slog.Logger, serverID string, nc ssh.NewChannel) {
	var d directTCPIP
	if err := ssh.Unmarshal(nc.ExtraData(), &d); err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, "malformed direct-tcpip request")
		return
	}
	addr, err := g.be.ADBEndpoint(ctx, serverID, d.Host, int(d.Port))
	if err != nil {
		log.Info("ssh forward refused", "destination", net.JoinHostPort(d.Host, strconv.Itoa(int(d.Port))), "err", err)
		_ = nc.Reject(ssh.Prohibited, "destination is not an adb endpoint of this server")
		return
	}
	upstream, err := g.dial(ctx, addr)
	if err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, "adb endpoint unreachable")
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		upstream.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(upstream, ch)
		if tc, ok := upstream.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		done <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(ch, upstream)
		_ = ch.CloseWrite()
		done <- struct{}{}
	}()
	select {
	case <-done:
		<-done
	case <-ctx.Done():
	}
	ch.Close()
	upstream.Close()
}

// LoadOrCreateHostKey reads the gateway's ed25519 host key from path (OpenSSH PEM), creating it
// with mode 0600 on first start so that clients see the same host key across restarts.
func LoadOrCreateHostKey(path string) (ssh.Signer, error) {
	if b, err := os.ReadFile(path); err == nil {
		s, err := ssh.ParsePrivateKey(b)
		if err != nil {
			return nil, fmt.Errorf("sshgw: host key %s: %w", path, err)
		}
		return s, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("sshgw: host key: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(priv, "opencph ssh gateway")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(path, pem.EncodeToMemory(block), 0o600); err != nil {
		return nil, fmt.Errorf("sshgw: write host key: %w", err)
	}
	return ssh.NewSignerFromKey(priv)
}
