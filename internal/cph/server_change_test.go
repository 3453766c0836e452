package cph

import (
	"encoding/json"
	"errors"
	"io/fs"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/runtime/sim"
	"github.com/opencph/opencph/internal/store"
)

// example516 is the request example of 5.1.6 (its stray comma fixed), with the AOSP 11 image of
// the same label in place of the purchase's, so that the switch visibly changes the image.
const example516 = `{
  "phone_model_name": "kg1.cp.c20.d64SSD.e1v1",
  "image_id": "20230915202310201b11a0c1600000a1",
  "keypair_name": "adb-key",
  "ports": [ {"name": "myServer1", "listen_port": 20000, "internet_accessible": "false"},
             {"name": "myServer2", "listen_port": 20001, "internet_accessible": "true"},
             {"name": "myServer3", "listen_port": 20002, "internet_accessible": "true"} ],
  "extend_param": {"enterprise_project_id": "0"},
  "tenant_vpc_id": "fca063f6-b942-42a8-9004-e5545f58d6a2",
  "nics": [ {"subnet_id": "f1cbfc37-eb42-4357-a0ec-9e4f11950908"} ],
  "public_ip": {"eip": {"type": "5_bgp"}},
  "band_width": {"band_width_share_type": 0, "band_width_size": 300, "band_width_charge_mode": 1}
}`

func changeBody(t *testing.T) *api.ChangeServerRequest {
	t.Helper()
	var req api.ChangeServerRequest
	require.NoError(t, json.Unmarshal([]byte(example516), &req))
	return &req
}

// A switch keeps the server's id, name, zone, host and order, removes its phones with their data
// and creates new ones from the new image, with new ids, IMEIs and ports.
func TestChangeServer(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	srv := f.buy(t, purchase(t))[0]
	old := f.phones(t, srv.ID)
	require.NoError(t, f.sim.WriteDataFile(ctx, old[0].ID, "gone.txt", []byte("data")))
	host, err := f.st.HostGetByServer(ctx, srv.ID)
	require.NoError(t, err)

	f.pause()
	resp, err := f.svc.ChangeServer(ctx, sopsProject, "switch", srv.ID, changeBody(t))
	require.NoError(t, err)
	require.Equal(t, srv.ID, resp.ServerID)
	require.Equal(t, "switch", resp.RequestID)
	require.NotEmpty(t, resp.JobID)
	mid := f.server(t, srv.ID)
	require.Equal(t, store.ServerChanging, mid.Status, "a switched server is being created again")
	phones := f.phones(t, srv.ID)
	require.Equal(t, map[int]int{store.PhoneCreating: 20}, statuses(phones))
	_, err = f.svc.GetPhone(ctx, sopsProject, old[0].ID)
	requireOpCode(t, CPS0005, err)
	// A restart asked meanwhile is told why it cannot run.
	jobs, err := f.svc.RestartServers(ctx, sopsProject, "r", []string{srv.ID})
	require.NoError(t, err)
	require.Equal(t, "CPS.1105", jobs[0].ErrorCode)

	f.resume()
	j := f.waitJob(t, resp.JobID)
	require.Equal(t, store.JobSuccess, j.Status, "%+v", j)
	got := f.server(t, srv.ID)
	require.Equal(t, store.ServerRunning, got.Status)
	require.Equal(t, srv.Name, got.Name)
	require.Equal(t, srv.AvailabilityZone, got.AvailabilityZone)
	require.Equal(t, srv.OrderID, got.OrderID, "the billing stays")
	require.Equal(t, "20230915202310201b11a0c1600000a1", got.ImageID)
	require.Equal(t, sopsKeypair, got.KeypairName)
	require.Len(t, got.Ports, 3)
	h, err := f.st.HostGetByServer(ctx, srv.ID)
	require.NoError(t, err)
	require.Equal(t, host.ID, h.ID)

	phones = f.phones(t, srv.ID)
	require.Equal(t, map[int]int{store.PhoneRunning: 20}, statuses(phones))
	oldIDs, oldIMEIs := map[string]bool{}, map[string]bool{}
	for _, ph := range old {
		oldIDs[ph.ID], oldIMEIs[ph.IMEI] = true, true
	}
	ids := make([]string, len(phones))
	for i, ph := range phones {
		require.False(t, oldIDs[ph.ID], "phones are re-created with new ids")
		require.False(t, oldIMEIs[ph.IMEI])
		require.Equal(t, "20230915202310201b11a0c1600000a1", ph.ImageID)
		ids[i] = ph.ID
		_, err := f.sim.ReadDataFile(ctx, ph.ID, "gone.txt")
		require.ErrorIs(t, err, fs.ErrNotExist, "no data is kept")
	}
	for _, ph := range old {
		_, err := f.sim.Phone(ctx, ph.ID)
		require.ErrorIs(t, err, runtime.ErrNotFound, "the old phones are gone from the runtime")
	}
	ports, err := f.st.PortListByPhones(ctx, ids)
	require.NoError(t, err)
	require.Len(t, ports, 20*4, "adb and three application ports for every new phone")
	oldPorts, err := f.st.PortListByPhones(ctx, []string{old[0].ID})
	require.NoError(t, err)
	require.Empty(t, oldPorts)

	_, err = f.st.BandwidthGet(ctx, sopsProject, srv.BandwidthID)
	require.ErrorIs(t, err, store.ErrNotFound, "the old dedicated bandwidth went with the old server")
	bw, err := f.st.BandwidthGet(ctx, sopsProject, got.BandwidthID)
	require.NoError(t, err)
	require.Equal(t, 300, bw.Size)
}

// Every rule of a switch, one row each; a refused switch changes nothing.
func TestChangeServerRules(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	srv := f.buy(t, purchase(t))[0]
	f.pause()
	otherProjectsBW := store.NewID()
	require.NoError(t, f.st.BandwidthUpsert(ctx, &store.Bandwidth{ID: otherProjectsBW, ProjectID: sopsOther, ShareType: BandwidthShared}))

	for _, tc := range []struct {
		name   string
		mut    func(r *api.ChangeServerRequest)
		status *int // the server's status for the row; nil keeps it running
		busy   bool
		id     string
		code   Code
	}{
		{name: "PhoneModelEmpty", mut: func(r *api.ChangeServerRequest) { r.PhoneModelName = "" }, code: CPS0027},
		{name: "PhoneModelOfAnotherServerModel", mut: func(r *api.ChangeServerRequest) { r.PhoneModelName = "rc2.se" }, code: CPS0028},
		{name: "ImageEmpty", mut: func(r *api.ChangeServerRequest) { r.ImageID = "" }, code: CPS0029},
		{name: "ImageUnknown", mut: func(r *api.ChangeServerRequest) { r.ImageID = store.NewID() }, code: CPS0030},
		{name: "ImageOfAnotherLabel", mut: func(r *api.ChangeServerRequest) { r.ImageID = "20032120200330a20b000eae5b8c01e6" }, code: CPS0222},
		{name: "KeypairTooLong", mut: func(r *api.ChangeServerRequest) { r.KeypairName = ptr(string(make([]byte, 65))) }, code: CPS0067},
		{name: "KeypairUnknown", mut: func(r *api.ChangeServerRequest) { r.KeypairName = ptr("nope") }, code: CPS0067},
		{name: "PortNameReserved", mut: func(r *api.ChangeServerRequest) { r.Ports[0].Name = "adb" }, code: CPS0038},
		{name: "ListenPortOutOfRange", mut: func(r *api.ChangeServerRequest) { r.Ports[0].ListenPort = 9999 }, code: CPS0040},
		{name: "EnterpriseProjectMalformed", mut: func(r *api.ChangeServerRequest) { r.ExtendParam.EnterpriseProjectID = "x" }, code: CPS0316},
		{name: "VPCMalformed", mut: func(r *api.ChangeServerRequest) { r.TenantVpcID = "vpc" }, code: CPS0223},
		{name: "NoNics", mut: func(r *api.ChangeServerRequest) { r.Nics = nil }, code: CPS0226},
		{name: "PublicIPMissing", mut: func(r *api.ChangeServerRequest) { r.PublicIP = nil }, code: CPS0238},
		{name: "PhoneCountPerIPTooLarge", mut: func(r *api.ChangeServerRequest) { r.PhoneCountPerIP = ptr(21) }, code: CPS0226},
		{name: "VolumeTooSmall", mut: func(r *api.ChangeServerRequest) {
			r.PhoneDataVolume = &api.PhoneDataVolume{VolumeType: "SSD", Size: 5}
		}, code: CPS0347},
		{name: "BandwidthMissing", mut: func(r *api.ChangeServerRequest) { r.BandWidth = nil }, code: CPS0031},
		{name: "BandwidthSizeOffStep", mut: func(r *api.ChangeServerRequest) { r.BandWidth.BandWidthSize = ptr(301) }, code: CPS0036},
		{name: "SharedBandwidthOfAnotherProject", mut: func(r *api.ChangeServerRequest) {
			r.BandWidth = &api.BandWidth{BandWidthID: otherProjectsBW, BandWidthChargeMode: ptr(0), BandWidthShareType: ptr(BandwidthShared)}
		}, code: CPS0033},
		{name: "AnotherAvailabilityZone", mut: func(r *api.ChangeServerRequest) { r.AvailabilityZone = ptr("test-1b") }, code: CPS0211},
		{name: "UnknownServer", id: store.NewID(), code: CPS0015},
		{name: "ServerBeingCreated", status: ptr(store.ServerCreating), code: CPS1102},
		{name: "ServerRestarting", status: ptr(store.ServerStarting), code: CPS1102},
		{name: "ServerFrozen", status: ptr(store.ServerFrozen), code: CPS1102},
		{name: "PhoneInAnotherOperation", busy: true, code: CPS0349},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := changeBody(t)
			if tc.mut != nil {
				tc.mut(req)
			}
			if tc.status != nil {
				f.setServerStatus(t, srv.ID, *tc.status)
				defer f.setServerStatus(t, srv.ID, store.ServerRunning)
			}
			busy := f.phones(t, srv.ID)[2].ID
			if tc.busy {
				f.setPhoneStatus(t, busy, store.PhoneStopping)
				defer f.setPhoneStatus(t, busy, store.PhoneRunning)
			}
			id := srv.ID
			if tc.id != "" {
				id = tc.id
			}
			beforeSrv, beforePhones := f.server(t, srv.ID), f.phones(t, srv.ID)
			_, err := f.svc.ChangeServer(ctx, sopsProject, "r", id, req)
			requireOpCode(t, tc.code, err)
			require.Equal(t, beforeSrv, f.server(t, srv.ID), "a refused switch changes nothing")
			require.Equal(t, beforePhones, f.phones(t, srv.ID))
		})
	}
	t.Run("AnotherProjectsServer", func(t *testing.T) {
		_, err := f.svc.ChangeServer(ctx, sopsOther, "r", srv.ID, changeBody(t))
		requireOpCode(t, CPS0015, err)
	})
	jobs, err := f.svc.ListJobs(ctx, sopsProject, []string{"r"}, store.Page{})
	require.NoError(t, err)
	require.Empty(t, jobs, "no refused switch queued a job")
}

// A switch onto a shared bandwidth keeps nothing of the old dedicated one, and an abnormal server
// may be switched: that is one way to replace a broken one.
func TestChangeServerToSharedBandwidth(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	srv := f.buy(t, purchase(t))[0]
	f.setServerStatus(t, srv.ID, store.ServerAbnormal)
	shared := store.NewID()
	req := changeBody(t)
	req.Ports = nil
	req.BandWidth = &api.BandWidth{BandWidthID: shared, BandWidthChargeMode: ptr(0), BandWidthShareType: ptr(BandwidthShared)}
	resp, err := f.svc.ChangeServer(ctx, sopsProject, "shared", srv.ID, req)
	require.NoError(t, err)
	require.Equal(t, store.JobSuccess, f.waitJob(t, resp.JobID).Status)
	got := f.server(t, srv.ID)
	require.Equal(t, shared, got.BandwidthID)
	require.Empty(t, got.Ports, "the request's ports replace the old ones")
	_, err = f.st.BandwidthGet(ctx, sopsProject, srv.BandwidthID)
	require.ErrorIs(t, err, store.ErrNotFound)
	bws, err := f.svc.ListBandwidths(ctx, sopsProject, store.Page{})
	require.NoError(t, err)
	require.Len(t, bws, 1)
}

// An old phone the runtime cannot remove stops the switch: the new phones fail (-8) and the
// server is abnormal, with the job failed; restarting the server then creates the new phones.
func TestChangeServerRemoveFails(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	srv := f.buy(t, purchase(t))[0]
	old := f.phones(t, srv.ID)
	f.sim.SetFault(sim.OpRemove, sim.Fault{Err: errors.New("busy"), PhoneID: old[4].ID, Times: 1})

	resp, err := f.svc.ChangeServer(ctx, sopsProject, "switch", srv.ID, changeBody(t))
	require.NoError(t, err)
	j := f.waitJob(t, resp.JobID)
	require.Equal(t, store.JobFailed, j.Status)
	require.Equal(t, "CPS.0092", j.ErrorCode)
	require.Equal(t, store.ServerAbnormal, f.server(t, srv.ID).Status)
	require.Equal(t, map[int]int{store.PhoneCreateFailed: 20}, statuses(f.phones(t, srv.ID)))

	jobs, err := f.svc.RestartServers(ctx, sopsProject, "heal", []string{srv.ID})
	require.NoError(t, err)
	require.Equal(t, store.JobSuccess, f.waitJob(t, jobs[0].JobID).Status)
	require.Equal(t, store.ServerRunning, f.server(t, srv.ID).Status)
}

// A switch job whose worker died part-way runs again to the same end.
func TestChangeServerJobRepeats(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	srv := f.buy(t, purchase(t))[0]
	f.pause()
	resp, err := f.svc.ChangeServer(ctx, sopsProject, "switch", srv.ID, changeBody(t))
	require.NoError(t, err)
	j, err := f.st.JobGet(ctx, sopsProject, resp.JobID)
	require.NoError(t, err)
	require.NoError(t, f.svc.runServerChange(ctx, j).Err, "the run whose finish was lost")
	f.resume()
	require.Equal(t, store.JobSuccess, f.waitJob(t, resp.JobID).Status)
	require.Equal(t, store.ServerRunning, f.server(t, srv.ID).Status)
	require.Equal(t, map[int]int{store.PhoneRunning: 20}, statuses(f.phones(t, srv.ID)))
}
