package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
)

// sampleServer is a server with every field set, so that a round trip checks every column.
func sampleServer(projectID string, created time.Time) store.Server {
	id := testID()
	return store.Server{
		ID: id, ProjectID: projectID, Name: "server-" + id[:6],
		ServerModelName: "physical.rx1.xlarge", PhoneModelName: "rx1.cp.c15.d46.e1v1",
		ImageID: testID(), KeypairName: "kp", Status: store.ServerRunning,
		AvailabilityZone: "az1", VPCID: testID(), VPCCIDR: "192.168.0.0/16", SubnetID: testID(),
		SubnetCIDR: "192.168.1.0/24", NetworkVersion: "v2", EnterpriseProjectID: "0",
		OrderID: "CS0001", ProductID: "OFFI0001", ChargingMode: 1, HostID: testID(),
		BandwidthID: testID(),
		Ports: []store.Port{
			{Name: "adb", ListenPort: 5555, InternetAccessible: true},
			{Name: "app", ListenPort: 8080},
		},
		PhoneVolumeType: "SSD", PhoneVolumeSize: 64, ShareVolumeType: "SSD", ShareVolumeSize: 128,
		EncodeServerID: testID(), EncodeServerStatus: 1,
		CreatedAt: created, UpdatedAt: created.Add(time.Second),
	}
}

func exerciseServers(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := sampleServer("p1", baseTime)
		want := sv
		require.NoError(t, s.ServerInsert(ctx, &sv))
		require.Equal(t, want, sv, "an insert of normalised values leaves them as they are")
		got, err := s.ServerGet(ctx, "p1", sv.ID)
		require.NoError(t, err)
		require.Equal(t, want, *got)
		require.Equal(t, time.UTC, got.CreatedAt.Location())
	})

	t.Run("Defaults", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := store.Server{ID: testID(), ProjectID: "p1", Name: "bare", Ports: []store.Port{}}
		before := time.Now().Add(-time.Second)
		require.NoError(t, s.ServerInsert(ctx, &sv))
		require.WithinRange(t, sv.CreatedAt, before, time.Now().Add(time.Second))
		require.Equal(t, sv.CreatedAt, sv.UpdatedAt)
		got, err := s.ServerGet(ctx, "p1", sv.ID)
		require.NoError(t, err)
		require.Equal(t, sv, *got)
		require.Empty(t, got.Ports)
	})

	t.Run("TimesKeepMicroseconds", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		local := time.FixedZone("UTC+8", 8*3600)
		sv := sampleServer("p1", baseTime.Add(789*time.Nanosecond).In(local))
		require.NoError(t, s.ServerInsert(ctx, &sv))
		got, err := s.ServerGet(ctx, "p1", sv.ID)
		require.NoError(t, err)
		require.Equal(t, baseTime, got.CreatedAt)
		require.Equal(t, got.CreatedAt, sv.CreatedAt, "insert reports the stored time")
	})

	t.Run("ProjectScoped", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := sampleServer("p1", baseTime)
		require.NoError(t, s.ServerInsert(ctx, &sv))
		_, err := s.ServerGet(ctx, "p2", sv.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.ServerGet(ctx, "p1", testID())
		require.ErrorIs(t, err, store.ErrNotFound)
		name := "stolen"
		err = s.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: "p2", ID: sv.ID, Name: &name})
		require.ErrorIs(t, err, store.ErrNotFound)
		err = s.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: "p2", ID: sv.ID})
		require.ErrorIs(t, err, store.ErrNotFound)
		list, total, err := s.ServerList(ctx, &store.ServerListParams{ProjectID: "p2"})
		require.NoError(t, err)
		require.Empty(t, list)
		require.Zero(t, total)
		n, err := s.ServerCount(ctx, "p2")
		require.NoError(t, err)
		require.Zero(t, n)
	})

	t.Run("DuplicateIDConflicts", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := sampleServer("p1", baseTime)
		require.NoError(t, s.ServerInsert(ctx, &sv))
		dup := sampleServer("p2", baseTime)
		dup.ID = sv.ID
		require.ErrorIs(t, s.ServerInsert(ctx, &dup), store.ErrConflict)
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := sampleServer("p1", baseTime)
		require.NoError(t, s.ServerInsert(ctx, &sv))
		name, status, kp := "renamed", store.ServerShutdown, "kp2"
		require.NoError(t, s.ServerUpdate(ctx, &store.ServerUpdateParams{
			ProjectID: "p1", ID: sv.ID, Name: &name, Status: &status, KeypairName: &kp}))
		got, err := s.ServerGet(ctx, "p1", sv.ID)
		require.NoError(t, err)
		require.Equal(t, name, got.Name)
		require.Equal(t, status, got.Status)
		require.Equal(t, kp, got.KeypairName)
		require.True(t, got.UpdatedAt.After(sv.UpdatedAt), "update bumps UpdatedAt")
		got.Name, got.Status, got.KeypairName, got.UpdatedAt = sv.Name, sv.Status, sv.KeypairName, sv.UpdatedAt
		require.Equal(t, sv, *got, "update leaves the other fields alone")

		// Only the set fields change.
		status = store.ServerRunning
		require.NoError(t, s.ServerUpdate(ctx, &store.ServerUpdateParams{
			ProjectID: "p1", ID: sv.ID, Status: &status}))
		got, err = s.ServerGet(ctx, "p1", sv.ID)
		require.NoError(t, err)
		require.Equal(t, "renamed", got.Name)
		require.Equal(t, store.ServerRunning, got.Status)
		require.NoError(t, s.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: "p1", ID: sv.ID}))
	})

	t.Run("Count", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		for i := range 3 {
			sv := sampleServer("p1", baseTime.Add(time.Duration(i)*time.Second))
			require.NoError(t, s.ServerInsert(ctx, &sv))
		}
		other := sampleServer("p2", baseTime)
		require.NoError(t, s.ServerInsert(ctx, &other))
		n, err := s.ServerCount(ctx, "p1")
		require.NoError(t, err)
		require.Equal(t, 3, n)
	})

	t.Run("List", func(t *testing.T) { t.Parallel(); exerciseServerList(t, newStore) })
	t.Run("Ops", func(t *testing.T) { t.Parallel(); exerciseServerOps(t, newStore) })
}

// exerciseServerOps covers what the server operations (5.1.5–5.1.12, 5.2.2) rely on: updating
// every changeable field, finding a bandwidth's servers, and acting on all phones of a server.
func exerciseServerOps(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("UpdateChangeFields", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := sampleServer("p1", baseTime)
		require.NoError(t, s.ServerInsert(ctx, &sv))
		want := sv
		want.ServerModelName, want.PhoneModelName, want.ImageID = "physical.rx3.32xlarge.4", "rc3.se", testID()
		want.VPCID, want.SubnetID, want.EnterpriseProjectID = testID(), testID(), testID()
		want.OrderID, want.ProductID, want.BandwidthID = "CS0002", "OFFI0002", testID()
		want.Ports = []store.Port{{Name: "web", ListenPort: 20000, InternetAccessible: true}}
		want.PhoneVolumeType, want.PhoneVolumeSize = "GPSSD", 128
		want.ShareVolumeType, want.ShareVolumeSize = "GPSSD", 256
		want.EncodeServerStatus = 3
		require.NoError(t, s.ServerUpdate(ctx, &store.ServerUpdateParams{
			ProjectID: "p1", ID: sv.ID, ServerModelName: &want.ServerModelName,
			PhoneModelName: &want.PhoneModelName, ImageID: &want.ImageID, VPCID: &want.VPCID,
			SubnetID: &want.SubnetID, EnterpriseProjectID: &want.EnterpriseProjectID,
			OrderID: &want.OrderID, ProductID: &want.ProductID, BandwidthID: &want.BandwidthID,
			Ports: &want.Ports, PhoneVolumeType: &want.PhoneVolumeType,
			PhoneVolumeSize: &want.PhoneVolumeSize, ShareVolumeType: &want.ShareVolumeType,
			ShareVolumeSize: &want.ShareVolumeSize, EncodeServerStatus: &want.EncodeServerStatus,
		}))
		got, err := s.ServerGet(ctx, "p1", sv.ID)
		require.NoError(t, err)
		require.True(t, got.UpdatedAt.After(sv.UpdatedAt))
		want.UpdatedAt = got.UpdatedAt
		require.Equal(t, want, *got)

		none := []store.Port{}
		require.NoError(t, s.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: "p1", ID: sv.ID, Ports: &none}))
		got, err = s.ServerGet(ctx, "p1", sv.ID)
		require.NoError(t, err)
		require.Empty(t, got.Ports, "ports can be cleared")
	})

	t.Run("ListByBandwidth", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		shared := testID()
		var want []string
		for i := range 3 {
			sv := sampleServer("p1", baseTime.Add(time.Duration(i)*time.Second))
			if i < 2 {
				sv.BandwidthID = shared
				want = append(want, sv.ID)
			}
			require.NoError(t, s.ServerInsert(ctx, &sv))
		}
		other := sampleServer("p2", baseTime)
		other.BandwidthID = shared
		require.NoError(t, s.ServerInsert(ctx, &other))
		list, total, err := s.ServerList(ctx, &store.ServerListParams{ProjectID: "p1", BandwidthID: shared})
		require.NoError(t, err)
		require.Equal(t, 2, total)
		got := []string{}
		for _, sv := range list {
			got = append(got, sv.ID)
		}
		require.ElementsMatch(t, want, got)
	})

	t.Run("PhonesUpdateAndDelete", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		host := store.Host{ID: testID(), Driver: "sim", ServerModelName: "m1", CreatedAt: baseTime}
		require.NoError(t, s.HostsUpsert(ctx, &store.HostsUpsertParams{Hosts: []store.Host{host}}))
		srv, keep := testID(), testID()
		var mine []string
		for i, server := range []string{srv, srv, keep} {
			ph := store.Phone{ID: testID(), ProjectID: "p1", ServerID: server, Name: "ph",
				PhoneModelName: "old", Status: store.PhoneRunning,
				CreatedAt: baseTime.Add(time.Duration(i) * time.Second)}
			require.NoError(t, s.PhoneInsert(ctx, &ph))
			_, err := s.PortAllocate(ctx, &store.PortAllocateParams{HostID: host.ID, PhoneID: ph.ID,
				Name: "adb", Min: 20000, Max: 20010})
			require.NoError(t, err)
			if server == srv {
				mine = append(mine, ph.ID)
			}
		}
		model := "new"
		require.NoError(t, s.ServerPhonesUpdate(ctx, &store.ServerPhonesUpdateParams{
			ProjectID: "p2", ServerID: srv, PhoneModelName: &model}))
		require.NoError(t, s.ServerPhonesUpdate(ctx, &store.ServerPhonesUpdateParams{
			ProjectID: "p1", ServerID: srv, PhoneModelName: &model}))
		phones, _, err := s.PhoneList(ctx, &store.PhoneListParams{ProjectID: "p1"})
		require.NoError(t, err)
		for _, ph := range phones {
			if ph.ServerID == srv {
				require.Equal(t, "new", ph.PhoneModelName)
			} else {
				require.Equal(t, "old", ph.PhoneModelName, "another server's phones stay")
			}
		}

		n, err := s.ServerPhonesDelete(ctx, "p2", srv)
		require.NoError(t, err)
		require.Zero(t, n, "another project's server is out of reach")
		n, err = s.ServerPhonesDelete(ctx, "p1", srv)
		require.NoError(t, err)
		require.Equal(t, 2, n)
		phones, total, err := s.PhoneList(ctx, &store.PhoneListParams{ProjectID: "p1"})
		require.NoError(t, err)
		require.Equal(t, 1, total)
		require.Equal(t, keep, phones[0].ServerID)
		ports, err := s.PortListByPhones(ctx, mine)
		require.NoError(t, err)
		require.Empty(t, ports, "the removed phones' ports are free again")
		ports, err = s.PortListByPhones(ctx, []string{phones[0].ID})
		require.NoError(t, err)
		require.Len(t, ports, 1)
		n, err = s.ServerPhonesDelete(ctx, "p1", srv)
		require.NoError(t, err)
		require.Zero(t, n, "deleting again is a no-op")
	})

	t.Run("BandwidthDelete", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		b := sampleBandwidth("p1", baseTime)
		require.NoError(t, s.BandwidthUpsert(ctx, &b))
		require.NoError(t, s.BandwidthDelete(ctx, "p2", b.ID))
		_, err := s.BandwidthGet(ctx, "p1", b.ID)
		require.NoError(t, err, "another project cannot delete it")
		require.NoError(t, s.BandwidthDelete(ctx, "p1", b.ID))
		_, err = s.BandwidthGet(ctx, "p1", b.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		require.NoError(t, s.BandwidthDelete(ctx, "p1", b.ID), "deleting again succeeds")
	})
}

func exerciseServerList(t *testing.T, newStore func(t *testing.T) store.Store) {
	s, ctx := newStore(t), t.Context()
	// Five servers a minute apart, plus two sharing one instant to check the id tie-break.
	var all []store.Server
	names := []string{"alpha", "Alpha-2", "50%_off", "500off", "beta", "tie-a", "tie-b"}
	for i, name := range names {
		at := baseTime.Add(time.Duration(i) * time.Minute)
		if i == 6 {
			at = all[5].CreatedAt
		}
		sv := sampleServer("p1", at)
		sv.Name = name
		sv.Status = store.ServerRunning
		sv.NetworkVersion = "v1"
		sv.PhoneModelName = "model-a"
		if i%2 == 1 {
			sv.Status = store.ServerShutdown
			sv.NetworkVersion = "v2"
			sv.PhoneModelName = "model-b"
		}
		require.NoError(t, s.ServerInsert(ctx, &sv))
		all = append(all, sv)
	}
	other := sampleServer("p2", baseTime.Add(time.Hour))
	other.Name = "alpha"
	require.NoError(t, s.ServerInsert(ctx, &other))

	newest := newestServersFirst(all)
	filter := func(keep func(store.Server) bool) []store.Server {
		var out []store.Server
		for _, sv := range newest {
			if keep(sv) {
				out = append(out, sv)
			}
		}
		return out
	}
	ptr := func(v int) *int { return &v }
	at := func(i int) *time.Time { v := all[i].CreatedAt; return &v }

	tests := []struct {
		name   string
		params store.ServerListParams
		want   []store.Server
		total  int
	}{
		{name: "All", want: newest, total: 7},
		{name: "FirstPage", params: store.ServerListParams{Page: store.Page{Limit: 2}},
			want: newest[:2], total: 7},
		{name: "MiddlePage", params: store.ServerListParams{Page: store.Page{Offset: 2, Limit: 3}},
			want: newest[2:5], total: 7},
		{name: "OffsetOnly", params: store.ServerListParams{Page: store.Page{Offset: 5}},
			want: newest[5:], total: 7},
		{name: "PastEnd", params: store.ServerListParams{Page: store.Page{Offset: 10, Limit: 5}},
			want: nil, total: 7},
		{name: "NameCaseSensitive", params: store.ServerListParams{NameContains: "lpha"},
			want: filter(func(s store.Server) bool { return s.Name == "alpha" || s.Name == "Alpha-2" }), total: 2},
		{name: "NameCaseDiffers", params: store.ServerListParams{NameContains: "Alpha"},
			want: filter(func(s store.Server) bool { return s.Name == "Alpha-2" }), total: 1},
		{name: "NamePercentIsLiteral", params: store.ServerListParams{NameContains: "0%"},
			want: filter(func(s store.Server) bool { return s.Name == "50%_off" }), total: 1},
		{name: "NameUnderscoreIsLiteral", params: store.ServerListParams{NameContains: "_o"},
			want: filter(func(s store.Server) bool { return s.Name == "50%_off" }), total: 1},
		{name: "NameBackslash", params: store.ServerListParams{NameContains: `\`}, want: nil, total: 0},
		{name: "ServerID", params: store.ServerListParams{ServerID: all[2].ID},
			want: []store.Server{all[2]}, total: 1},
		{name: "NetworkVersion", params: store.ServerListParams{NetworkVersion: "v2"},
			want: filter(func(s store.Server) bool { return s.NetworkVersion == "v2" }), total: 3},
		{name: "PhoneModel", params: store.ServerListParams{PhoneModelName: "model-a"},
			want: filter(func(s store.Server) bool { return s.PhoneModelName == "model-a" }), total: 4},
		{name: "Status", params: store.ServerListParams{Status: ptr(store.ServerShutdown)},
			want: filter(func(s store.Server) bool { return s.Status == store.ServerShutdown }), total: 3},
		{name: "CreatedRangeInclusive",
			params: store.ServerListParams{CreatedSince: at(1), CreatedUntil: at(3)},
			want:   []store.Server{all[3], all[2], all[1]}, total: 3},
		{name: "CreatedSincePaged",
			params: store.ServerListParams{CreatedSince: at(4), Page: store.Page{Limit: 1}},
			want:   newest[:1], total: 3},
		{name: "Combined",
			params: store.ServerListParams{NameContains: "a", Status: ptr(store.ServerRunning)},
			want: filter(func(s store.Server) bool {
				return s.Status == store.ServerRunning && strings.Contains(s.Name, "a")
			}), total: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tc.params
			p.ProjectID = "p1"
			got, total, err := s.ServerList(ctx, &p)
			require.NoError(t, err)
			require.Equal(t, tc.total, total)
			require.Equal(t, serverIDs(tc.want), serverIDs(got))
			if len(tc.want) > 0 {
				require.Equal(t, tc.want, got)
			}
		})
	}
}

// newestServersFirst sorts a copy newest first, id descending among equal times.
func newestServersFirst(in []store.Server) []store.Server {
	out := append([]store.Server(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			a, b := out[i], out[j]
			if b.CreatedAt.After(a.CreatedAt) || (b.CreatedAt.Equal(a.CreatedAt) && b.ID > a.ID) {
				out[i], out[j] = b, a
			}
		}
	}
	return out
}

func serverIDs(in []store.Server) []string {
	out := []string{}
	for _, sv := range in {
		out = append(out, fmt.Sprintf("%s(%s)", sv.ID, sv.Name))
	}
	return out
}

// sampleBandwidth is a bandwidth with every field set.
func sampleBandwidth(projectID string, created time.Time) store.Bandwidth {
	id := testID()
	return store.Bandwidth{ID: id, ProjectID: projectID, Name: "bw-" + id[:6], Size: 100,
		ChargeMode: 1, ShareType: 0, CreatedAt: created, UpdatedAt: created}
}

func exerciseBandwidths(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("UpsertGet", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		b := sampleBandwidth("p1", baseTime)
		want := b
		require.NoError(t, s.BandwidthUpsert(ctx, &b))
		require.Equal(t, want, b)
		got, err := s.BandwidthGet(ctx, "p1", b.ID)
		require.NoError(t, err)
		require.Equal(t, want, *got)
		_, err = s.BandwidthGet(ctx, "p2", b.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("UpsertKeepsExisting", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		b := sampleBandwidth("p1", baseTime)
		require.NoError(t, s.BandwidthUpsert(ctx, &b))
		again := b
		again.Size, again.Name, again.CreatedAt = 5, "other", baseTime.Add(time.Hour)
		require.NoError(t, s.BandwidthUpsert(ctx, &again))
		require.Equal(t, b, again, "upsert of a known bandwidth reports the stored row")
		got, err := s.BandwidthGet(ctx, "p1", b.ID)
		require.NoError(t, err)
		require.Equal(t, b, *got)
	})

	t.Run("UpsertOtherProjectConflicts", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		b := sampleBandwidth("p1", baseTime)
		require.NoError(t, s.BandwidthUpsert(ctx, &b))
		theirs := sampleBandwidth("p2", baseTime)
		theirs.ID = b.ID
		require.ErrorIs(t, s.BandwidthUpsert(ctx, &theirs), store.ErrConflict)
		got, err := s.BandwidthGet(ctx, "p1", b.ID)
		require.NoError(t, err)
		require.Equal(t, b, *got)
	})

	t.Run("UpdateSize", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		b := sampleBandwidth("p1", baseTime)
		require.NoError(t, s.BandwidthUpsert(ctx, &b))
		require.NoError(t, s.BandwidthUpdateSize(ctx, "p1", b.ID, 300))
		got, err := s.BandwidthGet(ctx, "p1", b.ID)
		require.NoError(t, err)
		require.Equal(t, 300, got.Size)
		require.True(t, got.UpdatedAt.After(b.UpdatedAt))
		require.ErrorIs(t, s.BandwidthUpdateSize(ctx, "p2", b.ID, 1), store.ErrNotFound)
		require.ErrorIs(t, s.BandwidthUpdateSize(ctx, "p1", testID(), 1), store.ErrNotFound)
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		var ids []string
		for i := range 4 {
			b := sampleBandwidth("p1", baseTime.Add(time.Duration(i)*time.Minute))
			require.NoError(t, s.BandwidthUpsert(ctx, &b))
			ids = append([]string{b.ID}, ids...)
		}
		other := sampleBandwidth("p2", baseTime)
		require.NoError(t, s.BandwidthUpsert(ctx, &other))

		got, total, err := s.BandwidthList(ctx, &store.BandwidthListParams{ProjectID: "p1"})
		require.NoError(t, err)
		require.Equal(t, 4, total)
		require.Equal(t, ids, bandwidthIDs(got))

		got, total, err = s.BandwidthList(ctx, &store.BandwidthListParams{ProjectID: "p1",
			Page: store.Page{Offset: 1, Limit: 2}})
		require.NoError(t, err)
		require.Equal(t, 4, total)
		require.Equal(t, ids[1:3], bandwidthIDs(got))
	})
}

func bandwidthIDs(in []store.Bandwidth) []string {
	var out []string
	for _, b := range in {
		out = append(out, b.ID)
	}
	return out
}
