package e2e

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
	"github.com/stretchr/testify/require"
)

func TestBatchConnection(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cph.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("sim:\n  faults:\n    - op: create\n      error: no boot\n      times: 1\n"), 0o600))
	in := start(t, filepath.Join(dir, "data"), "--config", cfg)
	c := in.sdk()
	resp, _ := buy(t, c, "conn", 1)
	id := (*resp.ServerIds)[0]
	phones, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &id})
	require.NoError(t, err)
	var running, failed []string
	for _, p := range *phones.Phones {
		if *p.Status == 2 {
			running = append(running, *p.PhoneId)
		} else {
			failed = append(failed, *p.PhoneId)
		}
	}
	require.Len(t, failed, 1)

	unknown := strings.Repeat("a", 32)
	ids := []string{running[0], running[1], failed[0], unknown, "not-an-id"}
	out, err := c.BatchShowPhoneConnectInfos(&model.BatchShowPhoneConnectInfosRequest{Body: &model.ConnectionRequestBody{
		PhoneIds: ids, ClientType: model.GetConnectionRequestBodyClientTypeEnum().ANDROID,
	}})
	require.NoError(t, err)
	require.Len(t, *out.ConnectInfos, 2)
	sessions := map[string]bool{}
	for _, ci := range *out.ConnectInfos {
		a := ci.AccessInfo
		require.NotZero(t, *a.AccessPort)
		require.NotEmpty(t, *a.IntranetIp)
		require.Regexp(t, `^[0-9a-f]{64}$`, *a.Ticket)
		_, err := strconv.ParseInt(*a.Timestamp, 10, 64)
		require.NoError(t, err)
		sessions[*a.SessionId] = true
	}
	require.Len(t, sessions, 2, "every connection gets its own session")
	codes := map[string]string{}
	for _, e := range *out.Errors {
		codes[*e.PhoneId] = *e.ErrorCode
	}
	require.Equal(t, map[string]string{failed[0]: "CPS.0018", unknown: "CPS.0005", "not-an-id": "CPS.0004"}, codes)

	tooMany := make([]string, 11)
	for i := range tooMany {
		tooMany[i] = running[0]
	}
	_, err = c.BatchShowPhoneConnectInfos(&model.BatchShowPhoneConnectInfosRequest{Body: &model.ConnectionRequestBody{
		PhoneIds: tooMany, ClientType: model.GetConnectionRequestBodyClientTypeEnum().IOS,
	}})
	require.ErrorContains(t, err, "CPS.0359")

	r := in.do("POST", "/v1/"+in.creds.ProjectID+"/cloud-phone/phones/batch-connection", in.token(),
		strings.NewReader(`{"phone_ids":["`+running[0]+`"],"client_type":"PLAYSTATION"}`))
	require.Equal(t, 400, r.status)
	require.Equal(t, "CPS.0358", r.json(t)["error_code"])
}
