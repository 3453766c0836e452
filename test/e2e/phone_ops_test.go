package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	cphv1 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
	"github.com/stretchr/testify/require"
)

// imageAOSP11 is a public image for the same phone models as purchaseBody's image;
// imageCloudGame is one for cloud game models only.
const (
	imageAOSP11    = "20230915202310201b11a0c1600000a1"
	imageCloudGame = "20230915202310201b11a0c1600000b2"
)

// boughtPhones buys one server and returns its phones' ids.
func boughtPhones(t *testing.T, c *cphv1.CphClient, name string) []string {
	t.Helper()
	resp, _ := buy(t, c, name, 1)
	sid := (*resp.ServerIds)[0]
	list, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &sid})
	require.NoError(t, err)
	var ids []string
	for _, p := range *list.Phones {
		ids = append(ids, *p.PhoneId)
	}
	require.Len(t, ids, 20)
	return ids
}

func phoneDetail(t *testing.T, c *cphv1.CphClient, id string) *model.ShowCloudPhoneDetailResponse {
	t.Helper()
	d, err := c.ShowCloudPhoneDetail(&model.ShowCloudPhoneDetailRequest{PhoneId: id})
	require.NoError(t, err)
	return d
}

// allAccepted checks that every entry got a job and returns the request id.
func allAccepted(t *testing.T, rid *string, jobs *[]model.PhoneJob, n int) string {
	t.Helper()
	require.Len(t, *jobs, n)
	for _, j := range *jobs {
		require.Nil(t, j.ErrorCode, "phone %s: %v", *j.PhoneId, j.ErrorMsg)
		require.NotEmpty(t, *j.JobId)
	}
	return *rid
}

func sdkPhones(ids ...string) []model.PhoneProperty {
	out := make([]model.PhoneProperty, len(ids))
	for i, id := range ids {
		out[i] = model.PhoneProperty{PhoneId: id}
	}
	return out
}

func opsRef(s string) *string { return &s }

// Stop, restart (which starts a stopped phone, with a new image and properties) and reset take
// phones along the status paths of 5.3.1, and each job ends with status 2.
func TestPhoneStopRestartResetWithSDK(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	ids := boughtPhones(t, c, "ops")

	stop, err := c.StopCloudPhone(&model.StopCloudPhoneRequest{Body: &model.StopCloudPhoneRequestBody{PhoneIds: ids[:2]}})
	require.NoError(t, err)
	for _, j := range waitJobs(t, c, allAccepted(t, stop.RequestId, stop.Jobs, 2), 2) {
		require.Equal(t, int32(2), *j.Status)
		require.NotEmpty(t, *j.EndTime)
	}
	require.Equal(t, int32(8), *phoneDetail(t, c, ids[0]).Status)

	again, err := c.StopCloudPhone(&model.StopCloudPhoneRequest{Body: &model.StopCloudPhoneRequestBody{PhoneIds: ids[:1]}})
	require.NoError(t, err)
	require.Equal(t, "CPS.0141", *(*again.Jobs)[0].ErrorCode, "a stopped phone cannot stop")

	phones := sdkPhones(ids[0])
	phones[0].Property = opsRef(`{"sys.prop.writephonenum":"13666666666","com.cph.mainkeys":1}`)
	restart, err := c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{
		ImageId: opsRef(imageAOSP11), Phones: phones}})
	require.NoError(t, err)
	jobs := waitJobs(t, c, allAccepted(t, restart.RequestId, restart.Jobs, 1), 1)
	require.Equal(t, int32(2), *jobs[0].Status)
	require.Equal(t, ids[0], *jobs[0].PhoneId)
	d := phoneDetail(t, c, ids[0])
	require.Equal(t, int32(2), *d.Status, "restart starts a stopped phone")
	require.Equal(t, imageAOSP11, *d.ImageId)
	require.Equal(t, `{"com.cph.mainkeys":"1","sys.prop.write_phonenum":"13666666666"}`, *d.Property)

	phones = sdkPhones(ids[1])
	phones[0].Property = opsRef(`{"persist.sys.locale":"en-US"}`)
	reset, err := c.ResetCloudPhone(&model.ResetCloudPhoneRequest{Body: &model.ResetCloudPhoneRequestBody{Phones: phones}})
	require.NoError(t, err)
	jobs = waitJobs(t, c, allAccepted(t, reset.RequestId, reset.Jobs, 1), 1)
	require.Equal(t, int32(2), *jobs[0].Status)
	d = phoneDetail(t, c, ids[1])
	require.Equal(t, int32(2), *d.Status)
	require.Equal(t, `{"persist.sys.locale":"en-US"}`, *d.Property)
}

// Unknown and malformed phone ids get their own error entries and the rest of the batch runs.
func TestPhoneBatchMixesValidAndUnknownPhones(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	ids := boughtPhones(t, c, "mixed")
	unknown := strings.Repeat("a", 32)
	resp, err := c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{
		Phones: sdkPhones(ids[0], unknown, "not-a-phone-id", ids[1])}})
	require.NoError(t, err)
	got := *resp.Jobs
	require.Len(t, got, 4)
	require.NotEmpty(t, *got[0].JobId)
	require.Equal(t, unknown, *got[1].PhoneId)
	require.Equal(t, "CPS.0005", *got[1].ErrorCode)
	require.Equal(t, "CPS.0004", *got[2].ErrorCode)
	require.NotEmpty(t, *got[2].ErrorMsg)
	require.NotEmpty(t, *got[3].JobId)
	for _, j := range waitJobs(t, c, *resp.RequestId, 2) {
		require.Equal(t, int32(2), *j.Status)
	}

	stop, err := c.StopCloudPhone(&model.StopCloudPhoneRequest{Body: &model.StopCloudPhoneRequestBody{
		PhoneIds: []string{unknown, ids[2]}}})
	require.NoError(t, err)
	require.Equal(t, "CPS.0005", *(*stop.Jobs)[0].ErrorCode)
	require.NotEmpty(t, *(*stop.Jobs)[1].JobId)
	waitJobs(t, c, *stop.RequestId, 1)
	require.Equal(t, int32(8), *phoneDetail(t, c, ids[2]).Status)
}

// Every failure status of 5.3.1 is reached through the simulator's fault knobs; the job fails
// with CPS.0260, and a restart brings each phone back.
func TestPhoneOpFailureStatuses(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cph.yaml")
	faults := "sim:\n  faults:\n"
	for _, op := range []string{"stop", "restart", "reset"} {
		faults += fmt.Sprintf("    - op: %s\n      error: %s broke\n      times: 1\n", op, op)
	}
	require.NoError(t, os.WriteFile(cfg, []byte(faults), 0o600))
	in := start(t, filepath.Join(dir, "data"), "--config", cfg)
	c := in.sdk()
	ids := boughtPhones(t, c, "faulty")

	stop, err := c.StopCloudPhone(&model.StopCloudPhoneRequest{Body: &model.StopCloudPhoneRequestBody{PhoneIds: ids[:1]}})
	require.NoError(t, err)
	restart, err := c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{Phones: sdkPhones(ids[1])}})
	require.NoError(t, err)
	reset, err := c.ResetCloudPhone(&model.ResetCloudPhoneRequest{Body: &model.ResetCloudPhoneRequestBody{Phones: sdkPhones(ids[2])}})
	require.NoError(t, err)
	for i, rid := range []*string{stop.RequestId, restart.RequestId, reset.RequestId} {
		j := waitJobs(t, c, *rid, 1)[0]
		require.Equal(t, int32(-1), *j.Status)
		require.Equal(t, "CPS.0260", *j.ErrorCode)
		require.Equal(t, "Sub job execute failed.", *j.ErrorMsg)
		require.Contains(t, *j.ExecuteMsg, "broke")
		require.Equal(t, ids[i], *j.PhoneId)
	}
	for i, want := range []int32{-9, -6, -5} {
		require.Equal(t, want, *phoneDetail(t, c, ids[i]).Status)
	}

	again, err := c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{Phones: sdkPhones(ids[:3]...)}})
	require.NoError(t, err)
	for _, j := range waitJobs(t, c, allAccepted(t, again.RequestId, again.Jobs, 3), 3) {
		require.Equal(t, int32(2), *j.Status)
	}
	for _, id := range ids[:3] {
		require.Equal(t, int32(2), *phoneDetail(t, c, id).Status)
	}
}

// Property updates, traffic routes and volume expansions show in the phone's detail.
func TestPhonePropertyTrafficVolumeWithSDK(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	ids := boughtPhones(t, c, "settings")

	upd, err := c.UpdateCloudPhoneProperty(&model.UpdateCloudPhonePropertyRequest{Body: &model.UpdateCloudPhonePropertyRequestBody{
		Phones: []model.PropertyToUpdate{{PhoneId: ids[0],
			Property: `{"sys.prop.writephonenum":"13666666666","sys.prop.writeimsi":"460021624617113","sys.prop.writewifissid":"test_wifi"}`}}}})
	require.NoError(t, err)
	j := waitJobs(t, c, allAccepted(t, upd.RequestId, upd.Jobs, 1), 1)[0]
	require.Equal(t, int32(2), *j.Status)
	d := phoneDetail(t, c, ids[0])
	require.Equal(t, int32(2), *d.Status)
	var props map[string]string
	require.NoError(t, json.Unmarshal([]byte(*d.Property), &props))
	require.Equal(t, map[string]string{"sys.prop.write_phonenum": "13666666666",
		"sys.prop.write_imsi": "460021624617113", "sys.prop.write_wifissid": "test_wifi"}, props)

	_, err = c.UpdateCloudPhoneProperty(&model.UpdateCloudPhonePropertyRequest{Body: &model.UpdateCloudPhonePropertyRequestBody{
		Phones: []model.PropertyToUpdate{{PhoneId: ids[0], Property: `{"ro.product.name":"monbox"}`}}}})
	require.ErrorContains(t, err, "CPS.0163", "a deprecated property")

	traffic, err := c.ImportTraffic(&model.ImportTrafficRequest{Body: &model.ImportTrafficRequestBody{
		TrafficType: "routing", PhoneIds: ids[:2]}})
	require.NoError(t, err)
	waitJobs(t, c, allAccepted(t, traffic.RequestId, traffic.Jobs, 2), 2)
	require.Equal(t, "routing", *phoneDetail(t, c, ids[1]).TrafficType)

	require.Equal(t, int32(64), *phoneDetail(t, c, ids[0]).PhoneDataVolume.VolumeSize)
	expand, err := c.ExpandPhoneDataVolumeSize(&model.ExpandPhoneDataVolumeSizeRequest{Body: &model.ExpandPhoneDataVolumeSizeRequestBody{
		Phones: []model.PhoneDataVolumeSize{{PhoneId: ids[0], NewSize: 128}, {PhoneId: ids[1], NewSize: 32}}}})
	require.NoError(t, err)
	got := *expand.Jobs
	require.NotEmpty(t, *got[0].JobId)
	require.Equal(t, "CPS.0347", *got[1].ErrorCode, "a volume does not shrink")
	require.Equal(t, int32(2), *waitJobs(t, c, *expand.RequestId, 1)[0].Status)
	require.Equal(t, int32(128), *phoneDetail(t, c, ids[0]).PhoneDataVolume.VolumeSize)
	require.Equal(t, int32(64), *phoneDetail(t, c, ids[1]).PhoneDataVolume.VolumeSize)
}

// Malformed requests answer 400 with the reference's code and queue nothing.
func TestPhoneOpErrors(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	ids := boughtPhones(t, in.sdk(), "errors")
	tok := in.token()
	base := "/v1/" + in.creds.ProjectID + "/cloud-phone"
	idList := func(n int) string {
		q := make([]string, n)
		for i := range q {
			q[i] = `"` + ids[i%len(ids)] + `"`
		}
		return "[" + strings.Join(q, ",") + "]"
	}
	sizes := make([]string, 151)
	for i := range sizes {
		sizes[i] = fmt.Sprintf(`{"phone_id":%q,"new_size":100}`, ids[i%len(ids)])
	}
	tests := []struct {
		name, path, body, code, msg string
	}{
		{"restart without phones", "/phones/batch-restart", `{"phones":[]}`, "CPS.0081", ""},
		{"restart unknown image", "/phones/batch-restart", `{"image_id":"` + strings.Repeat("b", 32) + `","phones":[{"phone_id":"` + ids[0] + `"}]}`, "CPS.0030", ""},
		{"restart property not an object", "/phones/batch-restart", `{"phones":[{"phone_id":"` + ids[0] + `","property":"[]"}]}`, "CPS.0078", ""},
		{"reset unknown property", "/phones/batch-reset", `{"phones":[{"phone_id":"` + ids[0] + `","property":"{\"ro.foo\":\"1\"}"}]}`, "CPS.0163", "Parameter: property ro.foo not supported."},
		{"reset bad value", "/phones/batch-reset", `{"phones":[{"phone_id":"` + ids[0] + `","property":"{\"ro.install.auto\":\"2\"}"}]}`, "CPS.0164", "Parameter: Invalid property ro.install.auto."},
		{"stop without phone_ids", "/phones/batch-stop", `{"phone_ids":[]}`, "CPS.0009", ""},
		{"stop 201 phones", "/phones/batch-stop", `{"phone_ids":` + idList(201) + `}`, "CPS.0209", ""},
		{"update-property bad imsi", "/phones/batch-update-property", `{"phones":[{"phone_id":"` + ids[0] + `","property":"{\"sys.prop.writeimsi\":\"abc\"}"}]}`, "CPS.0075", ""},
		{"traffic unknown type", "/phones-traffic", `{"traffic_type":"tunnel","phone_ids":` + idList(1) + `}`, "CPS.0207", ""},
		{"traffic 101 phones", "/phones-traffic", `{"traffic_type":"direct","phone_ids":` + idList(101) + `}`, "CPS.0209", ""},
		{"expand beyond 32768 GiB", "/phones/expand-volume", `{"phones":[{"phone_id":"` + ids[0] + `","new_size":32769}]}`, "CPS.0347", ""},
		{"expand 151 phones", "/phones/expand-volume", `{"phones":[` + strings.Join(sizes, ",") + `]}`, "CPS.0356", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := in.do("POST", base+tt.path, tok, strings.NewReader(tt.body))
			require.Equal(t, 400, r.status, "body: %s", r.body)
			m := r.json(t)
			require.Equal(t, tt.code, m["error_code"])
			if tt.msg != "" {
				require.Equal(t, tt.msg, m["error_msg"])
			}
			jobs := in.do("GET", base+"/jobs?request_id="+r.header.Get("X-Request-Id"), tok, strings.NewReader(""))
			require.Equal(t, 200, jobs.status)
			require.Empty(t, jobs.json(t)["jobs"])
		})
	}

	r := in.do("POST", base+"/phones/batch-reset", tok, strings.NewReader(
		`{"image_id":"`+imageCloudGame+`","phones":[{"phone_id":"`+ids[0]+`"}]}`))
	require.Equal(t, 200, r.status, "body: %s", r.body)
	entry := r.json(t)["jobs"].([]any)[0].(map[string]any)
	require.Equal(t, "CPS.0222", entry["error_code"], "a cloud game image on a cloud phone")
}

// A second operation on a phone is refused with CPS.0349 while the first runs, whether the first
// changed the phone's status (restart) or not (a property update).
func TestPhoneOpsAreExclusive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cph.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("sim:\n  faults:\n    - op: restart\n      hang: true\n"), 0o600))
	in := start(t, filepath.Join(dir, "data"), "--config", cfg)
	c := in.sdk()
	ids := boughtPhones(t, c, "exclusive")

	restart, err := c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{Phones: sdkPhones(ids[0])}})
	require.NoError(t, err)
	allAccepted(t, restart.RequestId, restart.Jobs, 1)
	require.Equal(t, int32(4), *phoneDetail(t, c, ids[0]).Status)

	upd, err := c.UpdateCloudPhoneProperty(&model.UpdateCloudPhonePropertyRequest{Body: &model.UpdateCloudPhonePropertyRequestBody{
		Phones: []model.PropertyToUpdate{{PhoneId: ids[0], Property: `{}`}, {PhoneId: ids[1], Property: `{"ro.install.auto":"1"}`}}}})
	require.NoError(t, err)
	require.Equal(t, "CPS.0349", *(*upd.Jobs)[0].ErrorCode, "the phone is restarting")
	require.NotEmpty(t, *(*upd.Jobs)[1].JobId)

	stop, err := c.StopCloudPhone(&model.StopCloudPhoneRequest{Body: &model.StopCloudPhoneRequestBody{PhoneIds: ids[:2]}})
	require.NoError(t, err)
	for _, j := range *stop.Jobs {
		require.Equal(t, "CPS.0349", *j.ErrorCode, "phone %s", *j.PhoneId)
	}
	traffic, err := c.ImportTraffic(&model.ImportTrafficRequest{Body: &model.ImportTrafficRequestBody{TrafficType: "routing", PhoneIds: ids[1:2]}})
	require.NoError(t, err)
	require.Equal(t, "CPS.0349", *(*traffic.Jobs)[0].ErrorCode, "a property update runs though the status is 2")
	require.Equal(t, int32(2), *phoneDetail(t, c, ids[1]).Status)
	require.Equal(t, "direct", *phoneDetail(t, c, ids[1]).TrafficType)
}

// A batch restart survives kill -9: started again on the same data directory, the server takes
// the jobs up once their leases expire, every job ends and no phone stays restarting.
func TestPhoneRestartSurvivesCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first := start(t, dir)
	ids := boughtPhones(t, first.sdk(), "crash")
	first.stop(syscall.SIGTERM)

	slow := start(t, dir, "--sim-boot-time", "5s", "--jobs-lease", "2s")
	resp, err := slow.sdk().RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{Phones: sdkPhones(ids...)}})
	require.NoError(t, err)
	rid := allAccepted(t, resp.RequestId, resp.Jobs, len(ids))
	slow.stop(syscall.SIGKILL)

	again := start(t, dir, "--jobs-lease", "2s")
	c := again.sdk()
	for _, j := range waitJobs(t, c, rid, len(ids)) {
		require.Equal(t, int32(2), *j.Status, "job of phone %s: %v", *j.PhoneId, j.ErrorMsg)
	}
	for _, id := range ids {
		require.Equal(t, int32(2), *phoneDetail(t, c, id).Status)
	}
}
