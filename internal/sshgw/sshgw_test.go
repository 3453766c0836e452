package sshgw_test

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/ssh"

	"github.com/opencph/opencph/internal/sshgw"
)

// fakeBackend knows one server with one key and one phone whose adb endpoint is addr.
type fakeBackend struct {
	serverID string
	key      string
	entry    string // host:port a client asks for
	addr     string // where it leads
}

func (b *fakeBackend) ServerKey(_ context.Context, id string) (string, error) {
	if id != b.serverID {
		return "", errors.New("no such server")
	}
	return b.key, nil
}

func (b *fakeBackend) ADBEndpoint(_ context.Context, id, host string, port int) (string, error) {
	if id == b.serverID && net.JoinHostPort(host, strconv.Itoa(port)) == b.entry {
		return b.addr, nil
	}
	return "", errors.New("not an adb endpoint")
}

type env struct {
	gwAddr  string
	be      *fakeBackend
	signer  ssh.Signer
	keyFile string
}

// setup starts an echo server standing in for a phone's adbd and a gateway in front of it.
func setup(t *testing.T) *env {
	t.Helper()
	echo, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { echo.Close() })
	go func() {
		for {
			c, err := echo.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()

	_, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	signer, err := ssh.NewSignerFromKey(priv)
	require.NoError(t, err)
	block, err := ssh.MarshalPrivateKey(priv, "")
	require.NoError(t, err)
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "id_ed25519")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(block), 0o600))

	host, err := sshgw.LoadOrCreateHostKey(filepath.Join(dir, "host_key"))
	require.NoError(t, err)
	be := &fakeBackend{serverID: "server1", key: string(ssh.MarshalAuthorizedKey(signer.PublicKey())), entry: "127.0.1.1:20000", addr: echo.Addr().String()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sshgw.New(host, be).Serve(ctx, ln) }()
	t.Cleanup(func() { cancel(); require.NoError(t, <-done) })
	return &env{gwAddr: ln.Addr().String(), be: be, signer: signer, keyFile: keyFile}
}

func (e *env) client(t *testing.T, user string, signer ssh.Signer) (*ssh.Client, error) {
	t.Helper()
	return ssh.Dial("tcp", e.gwAddr, &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
	})
}

func roundTrip(t *testing.T, c net.Conn) {
	t.Helper()
	_, err := c.Write([]byte("ping\n"))
	require.NoError(t, err)
	line, err := bufio.NewReader(c).ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "ping\n", line)
}

func TestGatewayRules(t *testing.T) {
	t.Parallel()
	e := setup(t)
	_, other, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	wrongKey, err := ssh.NewSignerFromKey(other)
	require.NoError(t, err)

	t.Run("the server's keypair forwards to its adb endpoint", func(t *testing.T) {
		c, err := e.client(t, "server1", e.signer)
		require.NoError(t, err)
		defer c.Close()
		conn, err := c.Dial("tcp", "127.0.1.1:20000")
		require.NoError(t, err)
		defer conn.Close()
		roundTrip(t, conn)
	})
	t.Run("another key is refused", func(t *testing.T) {
		_, err := e.client(t, "server1", wrongKey)
		require.ErrorContains(t, err, "unable to authenticate")
	})
	t.Run("an unknown server is refused", func(t *testing.T) {
		_, err := e.client(t, "server2", e.signer)
		require.ErrorContains(t, err, "unable to authenticate")
	})
	t.Run("a destination that is not an adb endpoint is refused", func(t *testing.T) {
		c, err := e.client(t, "server1", e.signer)
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Dial("tcp", "127.0.0.1:22")
		require.ErrorContains(t, err, "administratively prohibited")
	})
	t.Run("no shell", func(t *testing.T) {
		c, err := e.client(t, "server1", e.signer)
		require.NoError(t, err)
		defer c.Close()
		_, err = c.NewSession()
		require.ErrorContains(t, err, "administratively prohibited")
	})
	t.Run("no remote forwarding", func(t *testing.T) {
		c, err := e.client(t, "server1", e.signer)
		require.NoError(t, err)
		defer c.Close()
		_, err = c.Listen("tcp", "127.0.0.1:0")
		require.Error(t, err)
	})
}

// The real OpenSSH client opens a local forward through the gateway.
func TestOpenSSHClient(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("ssh"); err != nil {
		t.Skip("the OpenSSH client is not installed")
	}
	e := setup(t)
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	local := probe.Addr().(*net.TCPAddr).Port
	probe.Close()
	_, gwPort, _ := net.SplitHostPort(e.gwAddr)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := exec.CommandContext(ctx, "ssh", "-N", "-i", e.keyFile, "-p", gwPort,
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
		"-o", "ExitOnForwardFailure=yes", "-o", "IdentitiesOnly=yes",
		"-L", fmt.Sprintf("127.0.0.1:%d:127.0.1.1:20000", local), "server1@127.0.0.1")
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir())
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })

	var conn net.Conn
	require.Eventually(t, func() bool {
		conn, err = net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", local))
		if err != nil {
			return false
		}
		_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := conn.Write([]byte("ping\n")); err != nil {
			conn.Close()
			return false
		}
		line, err := bufio.NewReader(conn).ReadString('\n')
		conn.Close()
		return err == nil && line == "ping\n"
	}, 20*time.Second, 100*time.Millisecond)
}

func TestHostKeyPersists(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "host_key")
	a, err := sshgw.LoadOrCreateHostKey(path)
	require.NoError(t, err)
	b, err := sshgw.LoadOrCreateHostKey(path)
	require.NoError(t, err)
	require.Equal(t, a.PublicKey().Marshal(), b.PublicKey().Marshal())
	st, err := os.Stat(path)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}
