package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
	kpsv3 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kps/v3"
	kpsmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kps/v3/model"
	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/apk/apktest"
)

// adbClient drives Debian's adb binary with its own server port and HOME (so its own
// ~/.android/adbkey), so that the test neither collides with others nor touches the user's adb.
type adbClient struct {
	bin, port, home string
	env             []string
}

func newADBClient(t *testing.T) *adbClient {
	t.Helper()
	bin, err := exec.LookPath("adb")
	if err != nil {
		t.Skip("the adb binary is not installed (apt-get install adb; .ci/run installs it)")
	}
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "HOME=") || strings.HasPrefix(kv, "ANDROID_") || strings.HasPrefix(kv, "ADB_") {
			continue
		}
		env = append(env, kv)
	}
	port := strconv.Itoa(freeLocalPort(t))
	a := &adbClient{bin: bin, port: port, home: home, env: append(env, "HOME="+home, "ANDROID_ADB_SERVER_PORT="+port, "TMPDIR="+home)}
	t.Cleanup(func() { a.run(t, "kill-server") })
	return a
}

// run runs adb with args and returns its stdout, stderr and exit status.
func (a *adbClient) run(t *testing.T, args ...string) (stdout, stderr string, exit int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, a.bin, append([]string{"-P", a.port}, args...)...)
	cmd.Env, cmd.Dir, cmd.WaitDelay = a.env, a.home, 5*time.Second
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		exit = ee.ExitCode()
	case err != nil:
		t.Fatalf("adb %v: %v (stderr %q)", args, err, errOut.String())
	}
	return out.String(), errOut.String(), exit
}

// ok runs adb and requires it to succeed.
func (a *adbClient) ok(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, exit := a.run(t, args...)
	require.Zero(t, exit, "adb %v: %s%s", args, stdout, stderr)
	return stdout
}

// connect attaches the device at addr and waits until adb lists it as a device; a tunnel that
// is still opening refuses the first attempts, so each round connects again.
func (a *adbClient) connect(t *testing.T, addr string) {
	t.Helper()
	require.Eventually(t, func() bool {
		a.run(t, "connect", addr)
		out, _, _ := a.run(t, "devices")
		return strings.Contains(out, addr+"\tdevice\n")
	}, 60*time.Second, 200*time.Millisecond, "adb never listed %s as a device", addr)
}

// freeLocalPort returns a loopback port nothing listens on right now.
func freeLocalPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// The proof for user access: a phone bought through the API is a device the real adb
// reaches on its access entry — shell, a 10 MiB push and pull, install and uninstall of a real
// APK — and through the SSH gateway with the real OpenSSH client and the keypair's private key.
func TestRealADBReachesPhone(t *testing.T) {
	t.Parallel()
	a := newADBClient(t)
	in := start(t, "", "--ssh-listen", "127.0.0.1:0")
	require.NotEmpty(t, in.sshAddr, "cph serve logs the SSH gateway's address")
	privateKey := createKeypair(t, in, "adb-e2e")
	c := in.sdk()
	body := purchaseBody("adb", 1)
	name := "adb-e2e"
	body.KeypairName = &name
	resp, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: body})
	require.NoError(t, err)
	jobs := waitJobs(t, c, *resp.RequestId, 1)
	require.Equal(t, int32(2), *jobs[0].Status, "%v", jobs[0].ErrorMsg)
	serverID := (*resp.ServerIds)[0]
	phones, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &serverID})
	require.NoError(t, err)
	phone := phoneDetail(t, c, *(*phones.Phones)[0].PhoneId)
	var entry string
	for _, ai := range *phone.AccessInfos {
		if *ai.Type == "adb" {
			entry = net.JoinHostPort(*ai.ServerIp, strconv.Itoa(int(*ai.AccessPort)))
		}
	}
	require.NotEmpty(t, entry, "the phone has an adb access entry")

	t.Run("adb on the access entry", func(t *testing.T) {
		a.connect(t, entry)
		require.Equal(t, *phone.PhoneModelName+"\n", a.ok(t, "-s", entry, "shell", "getprop", "ro.product.model"))

		data := make([]byte, 10<<20)
		_, err := rand.Read(data)
		require.NoError(t, err)
		local := filepath.Join(a.home, "big.bin")
		require.NoError(t, os.WriteFile(local, data, 0o600))
		a.ok(t, "-s", entry, "push", local, "/sdcard/Download/big.bin")
		pulled := filepath.Join(a.home, "pulled.bin")
		a.ok(t, "-s", entry, "pull", "/sdcard/Download/big.bin", pulled)
		got, err := os.ReadFile(pulled)
		require.NoError(t, err)
		require.True(t, bytes.Equal(data, got), "a 10 MiB file comes back unchanged")

		apk := filepath.Join(a.home, "hello.apk")
		require.NoError(t, os.WriteFile(apk, apktest.Hello, 0o600))
		require.Contains(t, a.ok(t, "-s", entry, "install", apk), "Success")
		pkg := "package:" + apktest.HelloSpec.Package + "\n"
		require.Contains(t, a.ok(t, "-s", entry, "shell", "pm", "list", "packages"), pkg)
		require.Contains(t, a.ok(t, "-s", entry, "uninstall", apktest.HelloSpec.Package), "Success")
		require.NotContains(t, a.ok(t, "-s", entry, "shell", "pm", "list", "packages"), pkg)
	})

	t.Run("adb through the SSH gateway", func(t *testing.T) {
		if _, err := exec.LookPath("ssh"); err != nil {
			t.Skip("the OpenSSH client is not installed (apt-get install openssh-client)")
		}
		keyFile := filepath.Join(t.TempDir(), "id_rsa")
		require.NoError(t, os.WriteFile(keyFile, []byte(privateKey), 0o600))
		_, gwPort, err := net.SplitHostPort(in.sshAddr)
		require.NoError(t, err)
		local := freeLocalPort(t)
		ctx, cancel := context.WithCancel(context.Background())
		ssh := exec.CommandContext(ctx, "ssh", "-N", "-i", keyFile, "-p", gwPort,
			"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
			"-o", "ExitOnForwardFailure=yes", "-o", "IdentitiesOnly=yes",
			"-L", fmt.Sprintf("127.0.0.1:%d:%s", local, entry), serverID+"@127.0.0.1")
		ssh.Env = append(os.Environ(), "HOME="+t.TempDir())
		var sshErr bytes.Buffer
		ssh.Stderr = &sshErr
		require.NoError(t, ssh.Start())
		t.Cleanup(func() {
			cancel()
			_ = ssh.Wait()
			if t.Failed() {
				t.Logf("ssh stderr:\n%s", sshErr.String())
			}
		})

		tunnel := fmt.Sprintf("127.0.0.1:%d", local)
		a.connect(t, tunnel)
		require.Equal(t, "ok\n", a.ok(t, "-s", tunnel, "shell", "echo", "ok"))
	})
}

// createKeypair creates a keypair through the KPS API, as a user does, and returns its private
// key.
func createKeypair(t *testing.T, in *instance, name string) string {
	t.Helper()
	cred, err := basic.NewCredentialsBuilder().WithAk(in.creds.AccessKey).WithSk(in.creds.SecretKey).
		WithProjectId(in.creds.ProjectID).SafeBuild()
	require.NoError(t, err)
	hc, err := kpsv3.KpsClientBuilder().WithEndpoints([]string{in.endpoint}).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig()).SafeBuild()
	require.NoError(t, err)
	kp, err := kpsv3.NewKpsClient(hc).CreateKeypair(&kpsmodel.CreateKeypairRequest{Body: &kpsmodel.CreateKeypairRequestBody{
		Keypair: &kpsmodel.CreateKeypairAction{Name: name},
	}})
	require.NoError(t, err)
	require.NotEmpty(t, *kp.Keypair.PrivateKey)
	return *kp.Keypair.PrivateKey
}
