package e2e

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
	"github.com/stretchr/testify/require"
)

// With a boot time, a bought server is seen creating (status 0, phones 1) and then running.
func TestProvisioningStatuses(t *testing.T) {
	t.Parallel()
	in := start(t, "", "--sim-boot-time", "1s")
	c := in.sdk()
	resp, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: purchaseBody("slow", 1)})
	require.NoError(t, err)
	id := (*resp.ServerIds)[0]
	d, err := c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: id})
	require.NoError(t, err)
	require.Equal(t, int32(0), *d.Status)
	creating := int32(1)
	phones, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &id, Status: &creating})
	require.NoError(t, err)
	require.Equal(t, int32(20), *phones.Count)

	jobs := waitJobs(t, c, *resp.RequestId, 1)
	require.Equal(t, int32(2), *jobs[0].Status)
	require.Equal(t, id, *jobs[0].ServerId)
	require.NotEmpty(t, *jobs[0].EndTime)
	d, err = c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: id})
	require.NoError(t, err)
	require.Equal(t, int32(5), *d.Status)
}

// A phone that fails to start leaves its server abnormal (2), itself create-failed (-8) and the
// job failed (-1) with CPS.0092; the other phones run.
func TestProvisioningFailure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cph.yaml")
	require.NoError(t, os.WriteFile(cfg, []byte("sim:\n  faults:\n    - op: create\n      error: disk full\n      times: 1\n"), 0o600))
	in := start(t, filepath.Join(dir, "data"), "--config", cfg)
	c := in.sdk()
	resp, err := c.CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: purchaseBody("faulty", 1)})
	require.NoError(t, err)
	jobs := waitJobs(t, c, *resp.RequestId, 1)
	require.Equal(t, int32(-1), *jobs[0].Status)
	require.Equal(t, "CPS.0092", *jobs[0].ErrorCode)

	id := (*resp.ServerIds)[0]
	d, err := c.ShowCloudPhoneServerDetail(&model.ShowCloudPhoneServerDetailRequest{ServerId: id})
	require.NoError(t, err)
	require.Equal(t, int32(2), *d.Status)
	failed := int32(-8)
	phones, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &id, Status: &failed})
	require.NoError(t, err)
	require.Equal(t, int32(1), *phones.Count)
	running := int32(2)
	phones, err = c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &id, Status: &running})
	require.NoError(t, err)
	require.Equal(t, int32(19), *phones.Count)
}

// A crash in the middle of provisioning loses nothing: after kill -9 and a restart on the same
// data directory the job is taken up again and ends, and no phone stays in a transitional status.
func TestProvisioningSurvivesCrash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	in := start(t, dir, "--sim-boot-time", "2s", "--jobs-lease", "2s")
	resp, err := in.sdk().CreateNet2CloudPhoneServer(&model.CreateNet2CloudPhoneServerRequest{Body: purchaseBody("crash", 2)})
	require.NoError(t, err)
	in.stop(syscall.SIGKILL)

	again := start(t, dir, "--jobs-lease", "2s")
	c := again.sdk()
	jobs := waitJobs(t, c, *resp.RequestId, 2)
	for _, j := range jobs {
		require.Equal(t, int32(2), *j.Status)
	}
	for _, id := range *resp.ServerIds {
		phones, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{ServerId: &id})
		require.NoError(t, err)
		for _, p := range *phones.Phones {
			require.Equal(t, int32(2), *p.Status)
		}
	}
}
