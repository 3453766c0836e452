package e2e

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	cphv1 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
	"github.com/stretchr/testify/require"
)

// purchaseBody is the reference's 5.1.4 example: one kg1 server of 20 phones.
func purchaseBody(name string, count int32) *model.CreateNet2CloudPhoneServerRequestBody {
	size := int32(300)
	return &model.CreateNet2CloudPhoneServerRequestBody{
		ServerName:      name,
		ServerModelName: "physical.kg1.4xlarge.cp",
		PhoneModelName:  "kg1.cp.c20.d64SSD.e1v1",
		ImageId:         "20060220200717f201120a2300000e91",
		Count:           count,
		Ports: &[]model.Port{
			{Name: "myServer1", ListenPort: 20000, InternetAccessible: "false"},
			{Name: "myServer2", ListenPort: 20001, InternetAccessible: "true"},
		},
		ExtendParam: &model.CreateNet2CloudPhoneServerRequestBodyExtendParam{ChargingMode: 0, PeriodType: 2, PeriodNum: 1},
		TenantVpcId: "fca063f6-b942-42a8-9004-e5545f58d6a2",
		Nics:        []model.Nic{{SubnetId: "f1cbfc37-eb42-4357-a0ec-9e4f11950908"}},
		PublicIp:    &model.CreateNet2CloudPhoneServerRequestBodyPublicIp{Eip: &model.CreateNet2CloudPhoneServerRequestBodyPublicIpEip{Type: "5_bgp"}},
		BandWidth: &model.CreateNet2CloudPhoneServerRequestBodyBandWidth{
			BandWidthShareType: 0, BandWidthSize: &size, BandWidthChargeMode: 1,
		},
	}
}

// buy purchases servers through the SDK and waits until every provisioning job has ended.
func buy(t *testing.T, c *cphv1.CphClient, name string, count int32) (*model.CreateNet2CloudPhoneServerResponse, []model.Job) {
	t.Helper()
	resp, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: purchaseBody(name, count)})
	require.NoError(t, err)
	require.Len(t, *resp.ServerIds, int(count))
	return resp, waitJobs(t, c, *resp.RequestId, int(count))
}

// waitJobs polls GET jobs for a request until n jobs exist and none is running.
func waitJobs(t *testing.T, c *cphv1.CphClient, requestID string, n int) []model.Job {
	t.Helper()
	var jobs []model.Job
	require.Eventually(t, func() bool {
		resp, err := c.ListJobs(&model.ListJobsRequest{RequestId: &requestID})
		require.NoError(t, err)
		jobs = *resp.Jobs
		if len(jobs) != n {
			return false
		}
		for _, j := range jobs {
			if *j.Status == 1 {
				return false
			}
		}
		return true
	}, 60*time.Second, 20*time.Millisecond)
	return jobs
}

func TestPurchaseAndReadWithSDK(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()

	models, err := c.ListCloudPhoneServerModels(&model.ListCloudPhoneServerModelsRequest{})
	require.NoError(t, err)
	require.NotEmpty(t, *models.ServerModels)
	phoneModels, err := c.ListCloudPhoneModels(&model.ListCloudPhoneModelsRequest{})
	require.NoError(t, err)
	require.NotEmpty(t, *phoneModels.PhoneModels)
	images, err := c.ListCloudPhoneImages(&model.ListCloudPhoneImagesRequest{})
	require.NoError(t, err)
	require.NotEmpty(t, *images.PhoneImages)

	resp, jobs := buy(t, c, "cph-e2e", 2)
	require.Regexp(t, `^[0-9a-f]{32}$`, *resp.RequestId)
	require.NotEmpty(t, *resp.OrderId)
	require.NotEmpty(t, *resp.ProductId)
	for _, j := range jobs {
		require.Equal(t, int32(2), *j.Status, "job %s: %v %v", *j.JobId, j.ErrorCode, j.ErrorMsg)
	}

	list, err := c.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{})
	require.NoError(t, err)
	require.Equal(t, int32(2), *list.Count)
	names := []string{*(*list.Servers)[0].ServerName, *(*list.Servers)[1].ServerName}
	require.ElementsMatch(t, []string{"cph-e2e-0001", "cph-e2e-0002"}, names)

	serverID := (*resp.ServerIds)[0]
	detail, err := c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: serverID})
	require.NoError(t, err)
	require.Equal(t, int32(5), *detail.Status)
	require.Len(t, *detail.BandWidths, 1)
	require.Equal(t, int32(300), *(*detail.BandWidths)[0].BandWidthSize)
	require.NotEmpty(t, *detail.Addresses)

	phones, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &serverID})
	require.NoError(t, err)
	require.Equal(t, int32(20), *phones.Count)
	for _, p := range *phones.Phones {
		require.Equal(t, int32(2), *p.Status)
		require.Len(t, *p.Imei, 15)
	}

	phoneID := *(*phones.Phones)[0].PhoneId
	pd, err := c.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: phoneID})
	require.NoError(t, err)
	types := map[string]model.PhoneAccessInfo{}
	for _, a := range *pd.AccessInfos {
		types[*a.Type] = a
	}
	require.Contains(t, types, "adb")
	require.Equal(t, int32(5555), *types["adb"].ListenPort)
	require.NotZero(t, *types["adb"].AccessPort)
	require.NotEmpty(t, *types["adb"].PhoneIp, "the runtime's phone address is recorded")
	require.Equal(t, "", *types["myServer1"].PublicIp, "a port not open to the Internet has no public IP")
	require.NotEmpty(t, *types["myServer2"].PublicIp)

	newName := "renamed_server"
	_, err = c.UpdateServerName(&model.UpdateServerNameRequest{ServerId: serverID, Body: &model.UpdateServerNameRequestBody{ServerName: newName}})
	require.NoError(t, err)
	detail, err = c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: serverID})
	require.NoError(t, err)
	require.Equal(t, newName, *detail.ServerName)

	_, err = c.UpdatePhoneName(&model.UpdatePhoneNameRequest{PhoneId: phoneID, Body: &model.UpdatePhoneNameRequestBody{PhoneName: "my-phone"}})
	require.NoError(t, err)
	pd, err = c.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: phoneID})
	require.NoError(t, err)
	require.Equal(t, "my-phone", *pd.PhoneName)

	bws, err := c.ShowBandwidthDetail(&model.ShowBandwidthDetailRequest{})
	require.NoError(t, err)
	require.Len(t, *bws.BandWidths, 2)

	enc, err := c.ListEncodeServers(&model.ListEncodeServersRequest{ServerId: &serverID})
	require.NoError(t, err)
	require.Len(t, *enc.EncodeServers, 1)

	job, err := c.ShowJob(&model.ShowJobRequest{JobId: *jobs[0].JobId})
	require.NoError(t, err)
	require.Equal(t, int32(2), *job.Status)
}

func TestPurchaseValidationCreatesNothing(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	body := purchaseBody("bad name!", 1)
	_, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: body})
	require.ErrorContains(t, err, "CPS.0087")

	body = purchaseBody("ok", 11)
	_, err = c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: body})
	require.ErrorContains(t, err, "CPS.0024")

	kp := "no-such-keypair"
	body = purchaseBody("ok", 1)
	body.KeypairName = &kp
	_, err = c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: body})
	require.ErrorContains(t, err, "CPS.0067")

	list, err := c.ListCloudPhoneServers(&model.ListCloudPhoneServersRequest{})
	require.NoError(t, err)
	require.Equal(t, int32(0), *list.Count)
}

// The sim fleet has 10 hosts of each model by default; asking for more than are free is
// CPS.0066 and takes none of them.
func TestCapacityExhausted(t *testing.T) {
	t.Parallel()
	in := start(t, "", "--sim-hosts-per-model", "2")
	c := in.sdk()
	_, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: purchaseBody("big", 3)})
	require.ErrorContains(t, err, "CPS.0066")
	buy(t, c, "fits", 2)
}

func TestErrorFormat(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	tok := in.token()
	base := "/v1/" + in.creds.ProjectID + "/cloud-phone"
	tests := []struct {
		name, method, path, token, body string
		status                          int
		code                            string
	}{
		{"no credentials", "GET", base + "/servers", "", "", 401, "APIGW.0301"},
		{"bad token", "GET", base + "/servers", "not-a-token", "", 401, "APIGW.0301"},
		{"unknown route", "GET", base + "/nothing-here", tok, "", 404, "APIGW.0101"},
		{"wrong method", "DELETE", base + "/jobs", tok, "", 405, "APIGW.0101"},
		{"malformed JSON", "POST", "/v2/" + in.creds.ProjectID + "/cloud-phone/servers", tok, "{", 400, "APIGW.0201"},
		{"wrong type", "PUT", base + "/servers/" + strings.Repeat("a", 32), tok, `{"server_name":5}`, 400, "APIGW.0201"},
		{"limit too large", "GET", base + "/servers?limit=101", tok, "", 400, "CPS.0002"},
		{"negative offset", "GET", base + "/phones?offset=-1", tok, "", 400, "CPS.0002"},
		{"phones limit 200 is fine", "GET", base + "/phones?limit=200", tok, "", 200, ""},
		{"phones limit 201", "GET", base + "/phones?limit=201", tok, "", 400, "CPS.0002"},
		{"bad status", "GET", base + "/phones?status=42", tok, "", 400, "CPS.0010"},
		{"unknown server", "GET", base + "/servers/" + strings.Repeat("b", 32), tok, "", 404, "CPS.0015"},
		{"unknown phone", "GET", base + "/phones/" + strings.Repeat("c", 32), tok, "", 404, "CPS.0005"},
		{"unknown job", "GET", base + "/jobs/" + strings.Repeat("d", 32), tok, "", 404, "CPS.0011"},
		{"jobs without request id", "GET", base + "/jobs", tok, "", 400, "CPS.0049"},
		{"too many request ids", "GET", base + "/jobs?request_ids=" + strings.Repeat("a,", 21) + "a", tok, "", 400, "CPS.0161"},
		{"another project", "GET", "/v1/" + strings.Repeat("e", 32) + "/cloud-phone/servers", tok, "", 403, "CPS.0001"},
		{"GET with JSON content type", "GET", base + "/servers", tok, "", 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body *strings.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			} else {
				body = strings.NewReader("")
			}
			r := in.do(tt.method, tt.path, tt.token, body)
			require.Equal(t, tt.status, r.status, "body: %s", r.body)
			rid := r.header.Get("X-Request-Id")
			require.Regexp(t, `^[0-9a-f]{32}$`, rid)
			if tt.code == "" {
				return
			}
			m := r.json(t)
			require.Equal(t, tt.code, m["error_code"])
			require.NotEmpty(t, m["error_msg"])
			require.Equal(t, rid, m["request_id"])
		})
	}
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	big := strings.NewReader(`{"server_name":"` + strings.Repeat("x", 13<<20) + `"}`)
	r := in.do("POST", "/v2/"+in.creds.ProjectID+"/cloud-phone/servers", in.token(), big)
	require.Equal(t, http.StatusRequestEntityTooLarge, r.status)
}

// Everything a server holds survives a restart on the same data directory, credentials included.
func TestRestartKeepsState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := start(t, dir)
	resp, _ := buy(t, in.sdk(), "durable", 1)
	in.stop(syscall.SIGTERM)

	again := start(t, dir)
	want := in.creds
	want.Endpoint = again.endpoint // the file follows the address the server listens on now
	require.Equal(t, want, again.creds)
	d, err := again.sdk().ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: (*resp.ServerIds)[0]})
	require.NoError(t, err)
	require.Equal(t, int32(5), *d.Status)
}
