// Package e2e drives a real `cph serve` process over HTTP, with the official Huawei Cloud SDK as
// the client and raw HTTP for the error paths.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	cphv1 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/stretchr/testify/require"
)

// binary is the cph binary built once for the whole package.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cph-e2e")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "cph")
	build := exec.Command("go", "build", "-race", "-o", binary, "../../cmd/cph")
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building cph:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// credentials is admin-credentials.json.
type credentials struct {
	Endpoint    string `json:"endpoint"`
	Region      string `json:"region"`
	DomainName  string `json:"domain_name"`
	ProjectName string `json:"project_name"`
	ProjectID   string `json:"project_id"`
	UserName    string `json:"user_name"`
	Password    string `json:"password"`
	AccessKey   string `json:"access_key"`
	SecretKey   string `json:"secret_key"`
}

// instance is one running `cph serve`.
type instance struct {
	t        *testing.T
	dataDir  string
	endpoint string
	creds    credentials
	cmd      *exec.Cmd
	exited   chan struct{}
	mu       sync.Mutex
	log      bytes.Buffer
	sshAddr  string // the SSH gateway's address, when started with --ssh-listen
}

// loopbackPrefixes gives each data directory's control plane a block of loopback addresses of its
// own (--sim-loopback-prefix), the same across its restarts, so that the simulated phones of
// instances running in parallel never contend for one adb port. The blocks start at 127.100:
// the sim driver's own tests use those below.
var (
	loopbackMu       sync.Mutex
	loopbackPrefixes = map[string]string{}
)

func loopbackPrefix(dataDir string) string {
	loopbackMu.Lock()
	defer loopbackMu.Unlock()
	p, ok := loopbackPrefixes[dataDir]
	if !ok {
		p = fmt.Sprintf("127.%d", 100+len(loopbackPrefixes)%155)
		loopbackPrefixes[dataDir] = p
	}
	return p
}

// start runs `cph serve` on a free loopback port with dataDir ("" for a fresh one) and waits
// until it serves.
func start(t *testing.T, dataDir string, args ...string) *instance {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	in := &instance{t: t, dataDir: dataDir, exited: make(chan struct{})}
	in.cmd = exec.Command(binary, append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir,
		"--sim-loopback-prefix", loopbackPrefix(dataDir)}, args...)...)
	stderr, err := in.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, in.cmd.Start())
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Bytes()
			in.mu.Lock()
			in.log.Write(line)
			in.log.WriteByte('\n')
			in.mu.Unlock()
			var rec struct {
				Msg      string `json:"msg"`
				Endpoint string `json:"endpoint"`
				Address  string `json:"address"`
			}
			if json.Unmarshal(line, &rec) != nil {
				continue
			}
			switch rec.Msg {
			case "ssh gateway serving": // logged before "cph serving", so start returns with it
				in.mu.Lock()
				in.sshAddr = rec.Address
				in.mu.Unlock()
			case "cph serving":
				ready <- rec.Endpoint
			}
		}
		_ = in.cmd.Wait()
		close(in.exited)
	}()
	select {
	case in.endpoint = <-ready:
	case <-in.exited:
		t.Fatalf("cph serve exited before serving:\n%s", in.logs())
	case <-time.After(60 * time.Second):
		t.Fatalf("cph serve did not start:\n%s", in.logs())
	}
	t.Cleanup(func() {
		in.stop(syscall.SIGKILL)
		if t.Failed() {
			t.Logf("cph serve log:\n%s", in.logs())
		}
	})
	b, err := os.ReadFile(filepath.Join(dataDir, "admin-credentials.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &in.creds))
	return in
}

func (in *instance) logs() string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.log.String()
}

// stop signals the process and waits for it to exit.
func (in *instance) stop(sig syscall.Signal) {
	select {
	case <-in.exited:
		return
	default:
	}
	_ = in.cmd.Process.Signal(sig)
	select {
	case <-in.exited:
	case <-time.After(30 * time.Second):
		_ = in.cmd.Process.Kill()
		<-in.exited
	}
}

// sdk is the official CPH client, signing with the admin's AK/SK.
func (in *instance) sdk() *cphv1.CphClient {
	return in.sdkAs(in.creds.AccessKey, in.creds.SecretKey, in.creds.ProjectID)
}

func (in *instance) sdkAs(ak, sk, projectID string) *cphv1.CphClient {
	in.t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(ak).WithSk(sk).WithProjectId(projectID).SafeBuild()
	require.NoError(in.t, err)
	hc, err := cphv1.CphClientBuilder().WithEndpoints([]string{in.endpoint}).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig().WithTimeout(30 * time.Second)).SafeBuild()
	require.NoError(in.t, err)
	return cphv1.NewCphClient(hc)
}

// token gets an IAM token for the admin user, scoped to its project.
func (in *instance) token() string {
	in.t.Helper()
	body := fmt.Sprintf(`{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":%q,"password":%q,"domain":{"name":%q}}}},"scope":{"project":{"name":%q}}}}`,
		in.creds.UserName, in.creds.Password, in.creds.DomainName, in.creds.ProjectName)
	resp, err := http.Post(in.endpoint+"/v3/auth/tokens", "application/json", strings.NewReader(body))
	require.NoError(in.t, err)
	defer resp.Body.Close()
	require.Equal(in.t, http.StatusCreated, resp.StatusCode)
	tok := resp.Header.Get("X-Subject-Token")
	require.NotEmpty(in.t, tok)
	return tok
}

// rawResponse is an answer read whole.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

func (r rawResponse) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

// do sends a raw request with an X-Auth-Token (empty token: none) to a path under the endpoint.
func (in *instance) do(method, path, token string, body io.Reader) rawResponse {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, in.endpoint+path, body)
	require.NoError(in.t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("X-Auth-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(in.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(in.t, err)
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}
