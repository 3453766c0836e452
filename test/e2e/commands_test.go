package e2e

import (
	"bytes"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	cphv1 "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/adb"
	"github.com/opencph/opencph/internal/apk/apktest"
)

// phoneADB connects to a phone's adb endpoint through its access entry, as a user does.
func phoneADB(t *testing.T, c *cphv1.CphClient, phoneID string) *adb.Conn {
	t.Helper()
	d := phoneDetail(t, c, phoneID)
	for _, a := range *d.AccessInfos {
		if *a.Type != "adb" {
			continue
		}
		addr := net.JoinHostPort(*a.ServerIp, strconv.Itoa(int(*a.AccessPort)))
		conn, err := adb.Dial(t.Context(), addr, adb.DialOptions{})
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	t.Fatalf("phone %s has no adb access entry", phoneID)
	return nil
}

// shellJobs runs an asynchronous shell command and waits for its jobs.
func shellJobs(t *testing.T, c *cphv1.CphClient, content string, phones ...string) []model.Job {
	t.Helper()
	resp, err := c.RunShellCommand(&model.RunShellCommandRequest{Body: &model.RunShellCommandRequestBody{
		Command: "shell", Content: content, PhoneIds: &phones}})
	require.NoError(t, err)
	return waitJobs(t, c, allAccepted(t, resp.RequestId, resp.Jobs, len(phones)), len(phones))
}

// The proof for the asynchronous commands: a shell command's output lands in its job's
// execute_msg, a failing one fails its job with the output, and an APK installed over adb is
// uninstalled through the API.
func TestCommandsWithSDK(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	ids := boughtPhones(t, c, "commands")

	jobs := shellJobs(t, c, "getprop ro.product.model", ids[0], ids[1])
	for _, j := range jobs {
		require.Equal(t, int32(2), *j.Status, "phone %s: %v", *j.PhoneId, j.ErrorMsg)
		require.Equal(t, *phoneDetail(t, c, *j.PhoneId).PhoneModelName+"\n", *j.ExecuteMsg)
	}
	jobs = shellJobs(t, c, "ls /sdcard", ids[0])
	require.Equal(t, int32(2), *jobs[0].Status)
	require.Contains(t, *jobs[0].ExecuteMsg, "Download")

	jobs = shellJobs(t, c, "ls /nonexistent", ids[0])
	require.Equal(t, int32(-1), *jobs[0].Status)
	require.Equal(t, "CPS.0191", *jobs[0].ErrorCode)
	require.Contains(t, *jobs[0].ExecuteMsg, "No such file or directory")

	conn := phoneADB(t, c, ids[2])
	require.NoError(t, conn.Push(t.Context(), bytes.NewReader(apktest.Hello), "/data/local/tmp/hello.apk", 0o644, time.Now()))
	out, _, exit, err := conn.Shell(t.Context(), "pm install /data/local/tmp/hello.apk")
	require.NoError(t, err)
	require.Equal(t, 0, exit, string(out))
	out, _, _, err = conn.Shell(t.Context(), "pm list packages")
	require.NoError(t, err)
	require.Contains(t, string(out), "package:"+apktest.HelloSpec.Package+"\n")

	un, err := c.UninstallApk(&model.UninstallApkRequest{Body: &model.UninstallApkRequestBody{
		Command: "uninstall", Content: apktest.HelloSpec.Package, PhoneIds: &[]string{ids[2]}}})
	require.NoError(t, err)
	jobs = waitJobs(t, c, allAccepted(t, un.RequestId, un.Jobs, 1), 1)
	require.Equal(t, int32(2), *jobs[0].Status, "%v", jobs[0].ErrorMsg)
	require.Equal(t, "Success\n", *jobs[0].ExecuteMsg)
	out, _, _, err = conn.Shell(t.Context(), "pm list packages")
	require.NoError(t, err)
	require.NotContains(t, string(out), apktest.HelloSpec.Package)
}

// Refusals of the commands path over raw HTTP: the reference's codes, and nothing queued.
func TestCommandsRefusals(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	ids := boughtPhones(t, c, "refusals")
	tok := in.token()
	path := "/v1/" + in.creds.ProjectID + "/cloud-phone/phones/commands"
	tests := []struct {
		name, body, code string
	}{
		{"shell operators", `{"command":"shell","content":"ls; reboot","phone_ids":["` + ids[0] + `"]}`, "CPS.0118"},
		{"backquote", "{\"command\":\"shell\",\"content\":\"echo `id`\",\"phone_ids\":[\"" + ids[0] + "\"]}", "CPS.0118"},
		{"content over 1024 bytes", `{"command":"shell","content":"echo ` + strings.Repeat("a", 1020) + `","phone_ids":["` + ids[0] + `"]}`, "CPS.0118"},
		{"unknown command", `{"command":"exec","content":"ls","phone_ids":["` + ids[0] + `"]}`, "CPS.0117"},
		{"push needs object storage", `{"command":"push","content":"obs://b/a.tar","phone_ids":["` + ids[0] + `"]}`, "CPS.0117"},
		{"not a package name", `{"command":"uninstall","content":"/data/app","phone_ids":["` + ids[0] + `"]}`, "CPS.0173"},
		{"no phones", `{"command":"shell","content":"ls"}`, "CPS.0009"},
	}
	for _, tc := range tests {
		resp := in.do(http.MethodPost, path, tok, strings.NewReader(tc.body))
		require.Equal(t, http.StatusBadRequest, resp.status, "%s: %s", tc.name, resp.body)
		m := resp.json(t)
		require.Equal(t, tc.code, m["error_code"], "%s: %s", tc.name, resp.body)
		require.Equal(t, resp.header.Get("X-Request-Id"), m["request_id"])
		list, err := c.ListJobs(&model.ListJobsRequest{RequestId: opsRef(resp.header.Get("X-Request-Id"))})
		require.NoError(t, err)
		require.Empty(t, *list.Jobs, tc.name)
	}

	_, err := c.RunSyncCommand(&model.RunSyncCommandRequest{Body: &model.RunSyncCommandRequestBody{
		Command: "shell", Content: "ls > /sdcard/x", PhoneIds: &[]string{ids[0]}}})
	requireImageCode(t, err, "CPS.0118")
}

// The proof for sync-commands: several phones answer in one call with their output, a
// phone that is not running fails alone, and the seventh call of a user in a minute is throttled
// in the API gateway's style.
func TestSyncCommandsWithSDK(t *testing.T) {
	t.Parallel()
	in := start(t, "")
	c := in.sdk()
	ids := boughtPhones(t, c, "sync")
	stop, err := c.StopCloudPhone(&model.StopCloudPhoneRequest{Body: &model.StopCloudPhoneRequestBody{PhoneIds: ids[3:4]}})
	require.NoError(t, err)
	if e := (*stop.Jobs)[0].ErrorCode; e != nil {
		t.Fatalf("%s %s", *e, *(*stop.Jobs)[0].ErrorMsg)
	}
	waitJobs(t, c, allAccepted(t, stop.RequestId, stop.Jobs, 1), 1)

	calls := 0
	runSync := func(content string, phones ...string) []model.RunSyncCommandJob {
		t.Helper()
		calls++
		resp, err := c.RunSyncCommand(&model.RunSyncCommandRequest{Body: &model.RunSyncCommandRequestBody{
			Command: "shell", Content: content, PhoneIds: &phones}})
		require.NoError(t, err)
		require.NotEmpty(t, *resp.RequestId)
		require.Len(t, *resp.Jobs, len(phones))
		return *resp.Jobs
	}
	jobs := runSync("getprop ro.product.model", ids[0], ids[1], ids[2], ids[3])
	for i, j := range jobs[:3] {
		require.Equal(t, ids[i], *j.PhoneId)
		require.Equal(t, int32(2), *j.Status, "phone %d: %v", i, j.ErrorMsg)
		require.NotEmpty(t, *j.JobId)
		require.Equal(t, *phoneDetail(t, c, ids[i]).PhoneModelName+"\n", *j.ExecuteMsg)
	}
	require.Equal(t, ids[3], *jobs[3].PhoneId)
	require.Equal(t, int32(-1), *jobs[3].Status)
	require.Equal(t, "CPS.0141", *jobs[3].ErrorCode, "a stopped phone fails alone")

	jobs = runSync("ls /nonexistent", ids[0])
	require.Equal(t, int32(-1), *jobs[0].Status)
	require.Equal(t, "CPS.0191", *jobs[0].ErrorCode)
	require.Equal(t, "Run command failed.", *jobs[0].ErrorMsg)
	require.Contains(t, *jobs[0].ExecuteMsg, "No such file or directory")

	for calls < 6 {
		runSync("ls /sdcard", ids[0])
	}
	resp := in.do(http.MethodPost, "/v1/"+in.creds.ProjectID+"/cloud-phone/phones/sync-commands", in.token(),
		strings.NewReader(`{"command":"shell","content":"ls","phone_ids":["`+ids[0]+`"]}`))
	require.Equal(t, http.StatusTooManyRequests, resp.status, "the seventh call in a minute: %s", resp.body)
	m := resp.json(t)
	require.Equal(t, "APIGW.0308", m["error_code"])
	require.Contains(t, m["error_msg"], "The throttling threshold has been reached")
}
