package e2e

import (
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
	kpsv3 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kps/v3"
	kpsmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kps/v3/model"
	"github.com/stretchr/testify/require"
)

// admin runs `cph admin` against the instance and decodes its JSON answer.
func (in *instance) admin(out any, args ...string) {
	in.t.Helper()
	cmd := exec.Command(binary, append([]string{"admin", "--credentials",
		filepath.Join(in.dataDir, "admin-credentials.json")}, args...)...)
	b, err := cmd.Output()
	require.NoError(in.t, err, "cph admin %s: %s", strings.Join(args, " "), b)
	require.NoError(in.t, json.Unmarshal(b, out), "cph admin output: %s", b)
}

// tenant creates a second project with its own user and access key through `cph admin`.
func (in *instance) tenant(name string, allow string) (projectID, ak, sk string) {
	in.t.Helper()
	var p struct {
		Project struct{ ID string } `json:"project"`
	}
	in.admin(&p, "projects", "create", name)
	var u struct{}
	in.admin(&u, "users", "create", name+"-user", "--project", name, "--allow", allow)
	var k struct {
		Key struct {
			AccessKey string `json:"access_key"`
			SecretKey string `json:"secret_key"`
		} `json:"key"`
	}
	in.admin(&k, "keys", "create", "--user", name+"-user")
	return p.Project.ID, k.Key.AccessKey, k.Key.SecretKey
}

// One tenant never sees or touches another's servers, phones and jobs, and cannot tell whether
// another project exists.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	a := in.sdk()
	resp, jobs := buy(t, a, "tenant-a", 1)
	serverID := (*resp.ServerIds)[0]
	phones, err := a.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &serverID})
	require.NoError(t, err)
	phoneID := *(*phones.Phones)[0].PhoneId

	bProject, ak, sk := in.tenant("tenant-b", "cph:*")
	b := in.sdkAs(ak, sk, bProject)
	list, err := b.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{})
	require.NoError(t, err)
	require.Equal(t, int32(0), *list.Count)
	bp, err := b.ListCloudPhones(&model.ListCloudPhonesRequest{})
	require.NoError(t, err)
	require.Equal(t, int32(0), *bp.Count)

	_, err = b.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: serverID})
	require.ErrorContains(t, err, "CPS.0015")
	_, err = b.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: phoneID})
	require.ErrorContains(t, err, "CPS.0005")
	_, err = b.ShowJob(&model.ShowJobRequest{JobId: *jobs[0].JobId})
	require.ErrorContains(t, err, "CPS.0011")
	_, err = b.UpdateServerName(&model.UpdateServerNameRequest{ServerId: serverID, Body: &model.UpdateServerNameRequestBody{ServerName: "stolen"}})
	require.ErrorContains(t, err, "CPS.0015")
	rid := *resp.RequestId
	bj, err := b.ListJobs(&model.ListJobsRequest{RequestId: &rid})
	require.NoError(t, err)
	require.Empty(t, *bj.Jobs)

	// B's key used on A's project, and on a project that does not exist: the same refusal.
	intoA := in.sdkAs(ak, sk, in.creds.ProjectID)
	_, errA := intoA.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{})
	require.ErrorContains(t, errA, "CPS.0001")
	nowhere := in.sdkAs(ak, sk, strings.Repeat("0", 32))
	_, errN := nowhere.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{})
	require.ErrorContains(t, errN, "CPS.0001")

	d, err := a.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: serverID})
	require.NoError(t, err)
	require.Equal(t, "tenant-a-0001", *d.ServerName)
}

// A user whose policy allows reading only is refused every write with 403 CPS.0001.
func TestPolicyDeniesAction(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	project, ak, sk := in.tenant("readers", "cph:*:list,cph:*:get")
	c := in.sdkAs(ak, sk, project)
	_, err := c.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{})
	require.NoError(t, err)
	_, err = c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: purchaseBody("nope", 1)})
	require.ErrorContains(t, err, "CPS.0001")
}

// A keypair made through the KPS API (the official kps/v3 client) can be named in a purchase and
// shows on the server.
func TestKeypairPurchase(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	cred, err := basic.NewCredentialsBuilder().WithAk(in.creds.AccessKey).WithSk(in.creds.SecretKey).
		WithProjectId(in.creds.ProjectID).SafeBuild()
	require.NoError(t, err)
	hc, err := kpsv3.KpsClientBuilder().WithEndpoints([]string{in.endpoint}).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig()).SafeBuild()
	require.NoError(t, err)
	kps := kpsv3.NewKpsClient(hc)
	kp, err := kps.CreateKeypair(&kpsmodel.CreateKeypairRequest{Body: &kpsmodel.CreateKeypairRequestBody{
		Keypair: &kpsmodel.CreateKeypairAction{Name: "adb-key"},
	}})
	require.NoError(t, err)
	require.NotEmpty(t, *kp.Keypair.PrivateKey)

	body := purchaseBody("keyed", 1)
	name := "adb-key"
	body.KeypairName = &name
	c := in.sdk()
	resp, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: body})
	require.NoError(t, err)
	d, err := c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: (*resp.ServerIds)[0]})
	require.NoError(t, err)
	require.Equal(t, "adb-key", *d.KeypairName)
}

// The token flow of section 3.2: a password token authenticates API calls.
func TestTokenAuth(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	r := in.do("GET", "/v1/"+in.creds.ProjectID+"/cloud-phone/servers", in.token(), strings.NewReader(""))
	require.Equal(t, 200, r.status, "%s", r.body)
	m := r.json(t)
	require.Equal(t, r.header.Get("X-Request-Id"), m["request_id"])
	require.EqualValues(t, 0, m["count"])
}

func TestHealthAndMetrics(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	for _, path := range []string{"/healthz", "/readyz"} {
		r := in.do("GET", path, "", strings.NewReader(""))
		require.Equal(t, 200, r.status, path)
	}
	in.do("GET", "/v1/"+in.creds.ProjectID+"/cloud-phone/servers", in.token(), strings.NewReader(""))
	r := in.do("GET", "/metrics", "", strings.NewReader(""))
	require.Equal(t, 200, r.status)
	require.Contains(t, string(r.body), `cph_http_requests_total{method="GET",route="/v1/{project_id}/cloud-phone/servers",status="200"}`)
}
