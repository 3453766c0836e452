package cph

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// The generations of the default catalogue: the Kunpeng models (kg1, rx2, rx3) are one, the
// Hi1616 rx1 another, and a cloud game model is never a cloud phone model's generation.
func TestSameGeneration(t *testing.T) {
	t.Parallel()
	cat := DefaultCatalog()
	model := func(name string) api.ServerModel {
		m, ok := cat.ServerModel(name)
		require.True(t, ok, name)
		return m
	}
	for _, tc := range []struct {
		from, to string
		same     bool
	}{
		{sopsRX2, sopsRX3, true},
		{sopsKG, sopsRX2, true},
		{sopsRX2, sopsRX1, false},
		{sopsKG, "physical.kg1.4xlarge.cg", false},
		{sopsRX1, "physical.rx1.xlarge.cg", false},
	} {
		require.Equal(t, tc.same, sameGeneration(model(tc.from), model(tc.to)), "%s -> %s", tc.from, tc.to)
	}
}

// A model change answers with a new order at once; the phones keep their ids and data and
// restart with the new phone model, and the server keeps its host.
func TestChangeServerModel(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	srv := f.buy(t, purchase20(t))[0]
	before := f.phones(t, srv.ID)
	require.NoError(t, f.sim.WriteDataFile(ctx, before[0].ID, "kept.txt", []byte("data")))
	host, err := f.st.HostGetByServer(ctx, srv.ID)
	require.NoError(t, err)

	f.pause()
	resp, err := f.svc.ChangeServerModel(ctx, sopsProject, "model", &api.ChangeServerModelRequest{
		ServerID: srv.ID, ServerModelName: sopsRX3, PhoneModelName: "rc3.pro_max",
		ExtendParam: &api.ChangeServerModelExtend{IsAutoPay: ptr(1)},
	})
	require.NoError(t, err)
	require.Equal(t, "model", resp.RequestID)
	require.Regexp(t, `^CS\d{10}[0-9A-Z]{5}$`, resp.OrderID)
	require.NotEqual(t, srv.OrderID, resp.OrderID)
	require.Regexp(t, `^OFFI\d{18}$`, resp.ProductID)
	mid := f.server(t, srv.ID)
	require.Equal(t, sopsRX3, mid.ServerModelName, "the order changes with the answer")
	require.Equal(t, "rc3.pro_max", mid.PhoneModelName)
	require.Equal(t, resp.OrderID, mid.OrderID)
	require.Equal(t, resp.ProductID, mid.ProductID)
	require.Equal(t, store.ServerStarting, mid.Status)
	require.Equal(t, map[int]int{store.PhoneRestarting: 20}, statuses(f.phones(t, srv.ID)))

	f.resume()
	jobs := f.waitRequest(t, "model")
	require.Len(t, jobs, 1)
	require.Equal(t, store.JobSuccess, jobs[0].Status)
	require.Equal(t, srv.ID, jobs[0].ServerID)
	require.Equal(t, store.ServerRunning, f.server(t, srv.ID).Status)
	after := f.phones(t, srv.ID)
	require.Len(t, after, 20)
	for i, ph := range after {
		require.Equal(t, before[i].ID, ph.ID, "the phones stay")
		require.Equal(t, "rc3.pro_max", ph.PhoneModelName)
		require.Equal(t, store.PhoneRunning, ph.Status)
	}
	b, err := f.sim.ReadDataFile(ctx, before[0].ID, "kept.txt")
	require.NoError(t, err)
	require.Equal(t, "data", string(b), "a model change keeps the phones' data")
	h, err := f.st.HostGetByServer(ctx, srv.ID)
	require.NoError(t, err)
	require.Equal(t, host.ID, h.ID, "the server changes in place")
}

// Every rule of a model change, one row each; a refused change changes nothing.
func TestChangeServerModelRules(t *testing.T) {
	t.Parallel()
	f := setupServerOps(t)
	ctx := t.Context()
	srv := f.buy(t, purchase20(t))[0]
	f.pause()
	valid := func() *api.ChangeServerModelRequest {
		return &api.ChangeServerModelRequest{ServerID: srv.ID, ServerModelName: sopsRX3, PhoneModelName: "rc3.pro_max"}
	}
	for _, tc := range []struct {
		name    string
		mut     func(r *api.ChangeServerModelRequest)
		project string
		status  *int
		busy    bool
		code    Code
	}{
		{name: "ServerIDEmpty", mut: func(r *api.ChangeServerModelRequest) { r.ServerID = "" }, code: CPS0097},
		{name: "ServerIDMalformed", mut: func(r *api.ChangeServerModelRequest) { r.ServerID = "server-1" }, code: CPS0097},
		{name: "UnknownServer", mut: func(r *api.ChangeServerModelRequest) { r.ServerID = store.NewID() }, code: CPS0015},
		{name: "AnotherProjectsServer", project: sopsOther, code: CPS0015},
		{name: "ServerModelEmpty", mut: func(r *api.ChangeServerModelRequest) { r.ServerModelName = "" }, code: CPS0088},
		{name: "ServerModelUnknown", mut: func(r *api.ChangeServerModelRequest) { r.ServerModelName = "physical.rx9" }, code: CPS0246},
		{name: "PhoneModelEmpty", mut: func(r *api.ChangeServerModelRequest) { r.PhoneModelName = "" }, code: CPS0027},
		{name: "PhoneModelOfAnotherServerModel", mut: func(r *api.ChangeServerModelRequest) { r.PhoneModelName = "rc2.pro_max" }, code: CPS0028},
		{name: "IsAutoPayInvalid", mut: func(r *api.ChangeServerModelRequest) {
			r.ExtendParam = &api.ChangeServerModelExtend{IsAutoPay: ptr(2)}
		}, code: CPS0060},
		{name: "NothingChanges", mut: func(r *api.ChangeServerModelRequest) {
			r.ServerModelName, r.PhoneModelName = sopsRX2, "rc2.pro_max"
		}, code: CPS0250},
		{name: "AnotherGeneration", mut: func(r *api.ChangeServerModelRequest) {
			r.ServerModelName, r.PhoneModelName = sopsRX1, "rc1.se"
		}, code: CPS0247},
		{name: "AnotherPhoneCount", mut: func(r *api.ChangeServerModelRequest) { r.PhoneModelName = "rc3.plus" }, code: CPS0157},
		{name: "SameModelAnotherPhoneCount", mut: func(r *api.ChangeServerModelRequest) {
			r.ServerModelName, r.PhoneModelName = sopsRX2, "rc2.max"
		}, code: CPS0157},
		{name: "AnotherVolumeLayout", mut: func(r *api.ChangeServerModelRequest) {
			r.ServerModelName, r.PhoneModelName = sopsKG, "kg1.cp.c20.d64SSD.e1v1"
		}, code: CPS0157},
		{name: "ServerAbnormal", status: ptr(store.ServerAbnormal), code: CPS0245},
		{name: "ServerRestarting", status: ptr(store.ServerStarting), code: CPS0245},
		{name: "PhoneInAnotherOperation", busy: true, code: CPS0349},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := valid()
			if tc.mut != nil {
				tc.mut(req)
			}
			project := sopsProject
			if tc.project != "" {
				project = tc.project
			}
			if tc.status != nil {
				f.setServerStatus(t, srv.ID, *tc.status)
				defer f.setServerStatus(t, srv.ID, store.ServerRunning)
			}
			busy := f.phones(t, srv.ID)[1].ID
			if tc.busy {
				f.setPhoneStatus(t, busy, store.PhoneResetting)
				defer f.setPhoneStatus(t, busy, store.PhoneRunning)
			}
			beforeSrv, beforePhones := f.server(t, srv.ID), f.phones(t, srv.ID)
			_, err := f.svc.ChangeServerModel(ctx, project, "r", req)
			requireOpCode(t, tc.code, err)
			require.Equal(t, beforeSrv, f.server(t, srv.ID), "a refused change changes nothing")
			require.Equal(t, beforePhones, f.phones(t, srv.ID))
		})
	}
	jobs, err := f.svc.ListJobs(ctx, sopsProject, []string{"r"}, store.Page{})
	require.NoError(t, err)
	require.Empty(t, jobs)
}
