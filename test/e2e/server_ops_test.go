package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/auth/basic"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/core/config"
	cphv1 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
	kpsv3 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kps/v3"
	kpsmodel "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/kps/v3/model"
	"github.com/stretchr/testify/require"
)

// unknownServer is a well-formed id no server has.
const unknownServer = "0000000000000000000000000000dead"

// serverPhones lists a server's phones as the SDK reads them.
func serverPhones(t *testing.T, c *cphv1.CphClient, serverID string) []model.Phone {
	t.Helper()
	resp, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &serverID})
	require.NoError(t, err)
	return *resp.Phones
}

func phoneStatuses(phones []model.Phone) map[int32]int {
	out := map[int32]int{}
	for _, p := range phones {
		out[*p.Status]++
	}
	return out
}

func serverDetail(t *testing.T, c *cphv1.CphClient, id string) *model.ShowCloudPhoneServerDetailResponse {
	t.Helper()
	d, err := c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: id})
	require.NoError(t, err)
	return d
}

// A server restart, seen through the SDK with a boot time: the server reports 13 and its phones
// 4 until every phone is back, then 5 and 2; unknown and malformed ids in the same batch get
// their own error entries while the server restarts.
func TestServerRestartWithSDK(t *testing.T) {
	t.Parallel()
	in := start(t, "", "--sim-boot-time", "2s")
	c := in.sdk()
	bought, _ := buy(t, c, "restart", 1)
	id := (*bought.ServerIds)[0]

	resp, err := c.RestartCloudPhoneServer(&model.RestartCloudPhoneServerRequest{
		Body: &model.RestartCloudPhoneServerRequestBody{ServerIds: []string{id, unknownServer, "bad"}},
	})
	require.NoError(t, err)
	jobs := *resp.Jobs
	require.Len(t, jobs, 3)
	require.Equal(t, id, *jobs[0].ServerId)
	require.NotEmpty(t, *jobs[0].JobId)
	require.Nil(t, jobs[0].ErrorCode)
	require.Equal(t, unknownServer, *jobs[1].ServerId)
	require.Equal(t, "CPS.0015", *jobs[1].ErrorCode)
	require.Nil(t, jobs[1].JobId)
	require.Equal(t, "CPS.0097", *jobs[2].ErrorCode)

	require.Equal(t, int32(13), *serverDetail(t, c, id).Status)
	require.Equal(t, map[int32]int{4: 20}, phoneStatuses(serverPhones(t, c, id)))

	done := waitJobs(t, c, *resp.RequestId, 1)
	require.Equal(t, int32(2), *done[0].Status)
	require.Equal(t, *jobs[0].JobId, *done[0].JobId)
	require.Equal(t, id, *done[0].ServerId)
	require.Equal(t, int32(5), *serverDetail(t, c, id).Status)
	require.Equal(t, map[int32]int{2: 20}, phoneStatuses(serverPhones(t, c, id)))
}

// The whole-request errors of a server batch-restart, over raw HTTP.
func TestServerRestartErrors(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	tok := in.token()
	path := "/v1/" + in.creds.ProjectID + "/cloud-phone/servers/batch-restart"
	ids := make([]string, 101)
	for i := range ids {
		ids[i] = fmt.Sprintf("%q", unknownServer)
	}
	for body, code := range map[string]string{
		`{"server_ids": []}`: "CPS.0095",
		`{}`:                 "CPS.0095",
		`{"server_ids": [` + strings.Join(ids, ",") + `]}`: "CPS.0096",
	} {
		r := in.do("POST", path, tok, strings.NewReader(body))
		require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
		require.Equal(t, code, r.json(t)["error_code"])
	}
}

// A switch through the SDK: same id, name and zone; new phones from the new image; the old phones
// gone with their data.
func TestChangeServerWithSDK(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	bought, _ := buy(t, c, "switch", 1)
	id := (*bought.ServerIds)[0]
	before := serverDetail(t, c, id)
	old := serverPhones(t, c, id)

	size := int32(300)
	resp, err := c.ChangeCloudPhoneServer(&model.ChangeCloudPhoneServerRequest{ServerId: id, Body: &model.ChangeCloudPhoneServerRequestBody{
		PhoneModelName: "kg1.cp.c20.d64SSD.e1v1",
		ImageId:        "20230915202310201b11a0c1600000a1",
		Ports:          &[]model.Port{{Name: "web", ListenPort: 20080, InternetAccessible: "true"}},
		TenantVpcId:    "fca063f6-b942-42a8-9004-e5545f58d6a2",
		Nics:           []model.Nic{{SubnetId: "f1cbfc37-eb42-4357-a0ec-9e4f11950908"}},
		PublicIp:       &model.ChangeCloudPhoneServerRequestBodyPublicIp{Eip: &model.CreateNet2CloudPhoneServerRequestBodyPublicIpEip{Type: "5_bgp"}},
		BandWidth:      &model.ChangeCloudPhoneServerRequestBodyBandWidth{BandWidthShareType: 0, BandWidthSize: &size, BandWidthChargeMode: 1},
	}})
	require.NoError(t, err)
	require.Equal(t, id, *resp.ServerId)
	require.NotEmpty(t, *resp.JobId)
	done := waitJobs(t, c, *resp.RequestId, 1)
	require.Equal(t, int32(2), *done[0].Status)
	require.Equal(t, *resp.JobId, *done[0].JobId)

	after := serverDetail(t, c, id)
	require.Equal(t, int32(5), *after.Status)
	require.Equal(t, *before.ServerName, *after.ServerName)
	require.Equal(t, *before.AvailabilityZone, *after.AvailabilityZone)
	require.Equal(t, *before.Metadata.OrderId, *after.Metadata.OrderId)
	phones := serverPhones(t, c, id)
	require.Len(t, phones, 20)
	oldIDs := map[string]bool{}
	for _, p := range old {
		oldIDs[*p.PhoneId] = true
	}
	for _, p := range phones {
		require.False(t, oldIDs[*p.PhoneId], "phones are re-created")
		require.Equal(t, "20230915202310201b11a0c1600000a1", *p.ImageId)
		require.Equal(t, int32(2), *p.Status)
	}
	d, err := c.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: *phones[0].PhoneId})
	require.NoError(t, err)
	var types []string
	for _, a := range *d.AccessInfos {
		types = append(types, *a.Type)
	}
	require.Equal(t, []string{"adb", "web"}, types, "the new ports are forwarded")
	_, err = c.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: *old[0].PhoneId})
	require.ErrorContains(t, err, "CPS.0005")

	// Errors over raw HTTP: an unknown server, a phone model of another server model.
	tok := in.token()
	body := `{"phone_model_name":"kg1.cp.c20.d64SSD.e1v1","image_id":"20230915202310201b11a0c1600000a1",
		"tenant_vpc_id":"fca063f6-b942-42a8-9004-e5545f58d6a2","nics":[{"subnet_id":"f1cbfc37-eb42-4357-a0ec-9e4f11950908"}],
		"public_ip":{"eip":{"type":"5_bgp"}},"band_width":{"band_width_share_type":0,"band_width_size":300,"band_width_charge_mode":1}}`
	r := in.do("POST", "/v2/"+in.creds.ProjectID+"/cloud-phone/servers/"+unknownServer+"/change", tok, strings.NewReader(body))
	require.Equal(t, http.StatusNotFound, r.status, "%s", r.body)
	require.Equal(t, "CPS.0015", r.json(t)["error_code"])
	r = in.do("POST", "/v2/"+in.creds.ProjectID+"/cloud-phone/servers/"+id+"/change", tok,
		strings.NewReader(strings.Replace(body, "kg1.cp.c20.d64SSD.e1v1", "rc2.se", 1)))
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	require.Equal(t, "CPS.0028", r.json(t)["error_code"])
}

// A model change through the SDK answers with the new order; the server shows its new models
// and its phones restart into the new phone model.
func TestChangeServerModelWithSDK(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	body := purchaseBody("model", 1)
	body.ServerModelName, body.PhoneModelName = "physical.rx2.32xlarge.4", "rc2.pro_max"
	body.PhoneDataVolume = &model.CreateNet2CloudPhoneServerRequestBodyPhoneDataVolume{VolumeType: "SSD", Size: 64}
	bought, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: body})
	require.NoError(t, err)
	waitJobs(t, c, *bought.RequestId, 1)
	id := (*bought.ServerIds)[0]
	phones := serverPhones(t, c, id)

	pay := int32(1)
	resp, err := c.ChangeCloudPhoneServerModel(&model.ChangeCloudPhoneServerModelRequest{Body: &model.ChangeCloudPhoneServerModelRequestBody{
		ServerId: id, ServerModelName: "physical.rx3.32xlarge.4", PhoneModelName: "rc3.pro_max",
		ExtendParam: &model.ChangeCloudPhoneServerModelRequestBodyExtendParam{IsAutoPay: &pay},
	}})
	require.NoError(t, err)
	require.NotEmpty(t, *resp.OrderId)
	require.NotEmpty(t, *resp.ProductId)
	require.NotEqual(t, *bought.OrderId, *resp.OrderId)
	d := serverDetail(t, c, id)
	require.Equal(t, "physical.rx3.32xlarge.4", *d.ServerModelName)
	require.Equal(t, "rc3.pro_max", *d.PhoneModelName)
	require.Equal(t, *resp.OrderId, *d.Metadata.OrderId)

	done := waitJobs(t, c, *resp.RequestId, 1)
	require.Equal(t, int32(2), *done[0].Status)
	require.Equal(t, int32(5), *serverDetail(t, c, id).Status)
	after := serverPhones(t, c, id)
	require.Len(t, after, len(phones))
	for i, p := range after {
		require.Equal(t, *phones[i].PhoneId, *p.PhoneId, "the phones stay")
		require.Equal(t, "rc3.pro_max", *p.PhoneModelName)
		require.Equal(t, int32(2), *p.Status)
	}

	r := in.do("POST", "/v1/"+in.creds.ProjectID+"/cloud-phone/servers/change-server-model", in.token(),
		strings.NewReader(`{"server_id":"`+id+`","server_model_name":"physical.rx1.xlarge","phone_model_name":"rc1.se"}`))
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	require.Equal(t, "CPS.0247", r.json(t)["error_code"])
}

// Open-access with a keypair made through the KPS API: the server takes it through a job; an
// unknown keypair and an unknown server are refused in their own entries. PUT servers/open-access
// and the rename's PUT servers/{server_id} are told apart.
func TestOpenAccessWithSDK(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	cred, err := basic.NewCredentialsBuilder().WithAk(in.creds.AccessKey).WithSk(in.creds.SecretKey).
		WithProjectId(in.creds.ProjectID).SafeBuild()
	require.NoError(t, err)
	hc, err := kpsv3.KpsClientBuilder().WithEndpoints([]string{in.endpoint}).WithCredential(cred).
		WithHttpConfig(config.DefaultHttpConfig()).SafeBuild()
	require.NoError(t, err)
	_, err = kpsv3.NewKpsClient(hc).CreateKeypair(&kpsmodel.CreateKeypairRequest{Body: &kpsmodel.CreateKeypairRequestBody{
		Keypair: &kpsmodel.CreateKeypairAction{Name: "ops-key"},
	}})
	require.NoError(t, err)

	c := in.sdk()
	bought, _ := buy(t, c, "access", 1)
	id := (*bought.ServerIds)[0]
	resp, err := c.UpdateKeypair(&model.UpdateKeypairRequest{Body: &model.UpdateKeypairRequestBody{Servers: []model.ServerKeypair{
		{ServerId: id, KeypairName: "ops-key"},
		{ServerId: id, KeypairName: "no-such-key"},
		{ServerId: unknownServer, KeypairName: "ops-key"},
	}}})
	require.NoError(t, err)
	jobs := *resp.Jobs
	require.Len(t, jobs, 3)
	require.NotEmpty(t, *jobs[0].JobId)
	require.Equal(t, "CPS.0067", *jobs[1].ErrorCode)
	require.Equal(t, "CPS.0015", *jobs[2].ErrorCode)
	done := waitJobs(t, c, *resp.RequestId, 1)
	require.Equal(t, int32(2), *done[0].Status)
	require.Equal(t, "ops-key", *serverDetail(t, c, id).KeypairName)

	name := "renamed"
	_, err = c.UpdateServerName(&model.UpdateServerNameRequest{ServerId: id, Body: &model.UpdateServerNameRequestBody{ServerName: name}})
	require.NoError(t, err)
	require.Equal(t, name, *serverDetail(t, c, id).ServerName)
}

// An encode server restart through the SDK ends with the encode server running; an unknown one
// in the same batch is its own entry.
func TestRestartEncodeServerWithSDK(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	bought, _ := buy(t, c, "encode", 1)
	id := (*bought.ServerIds)[0]
	list, err := c.ListEncodeServers(&model.ListEncodeServersRequest{ServerId: &id})
	require.NoError(t, err)
	require.Len(t, *list.EncodeServers, 1)
	enc := *(*list.EncodeServers)[0].EncodeServerId

	resp, err := c.RestartEncodeServer(&model.RestartEncodeServerRequest{Body: &model.RestartEncodeServerRequestBody{
		EncodeServerIds: []string{enc, unknownServer},
	}})
	require.NoError(t, err)
	jobs := *resp.Jobs
	require.Len(t, jobs, 2)
	require.Equal(t, enc, *jobs[0].EncodeServerId)
	require.NotEmpty(t, *jobs[0].JobId)
	require.Equal(t, "CPS.0123", *jobs[1].ErrorCode)
	done := waitJobs(t, c, *resp.RequestId, 1)
	require.Equal(t, int32(2), *done[0].Status)
	require.Equal(t, id, *done[0].ServerId)
	list, err = c.ListEncodeServers(&model.ListEncodeServersRequest{ServerId: &id})
	require.NoError(t, err)
	require.Equal(t, int32(1), *(*list.EncodeServers)[0].Status)

	r := in.do("POST", "/v1/"+in.creds.ProjectID+"/cloud-phone/encode-servers/batch-restart", in.token(),
		strings.NewReader(`{"encode_server_ids": []}`))
	require.Equal(t, http.StatusBadRequest, r.status, "%s", r.body)
	require.Equal(t, "CPS.0122", r.json(t)["error_code"])
}
