package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
)

// samplePhone is a phone with every field set.
func samplePhone(projectID, serverID string, created time.Time) store.Phone {
	id := testID()
	return store.Phone{
		ID: id, ProjectID: projectID, ServerID: serverID, Name: "phone-" + id[:6],
		PhoneModelName: "rx1.cp.c15.d46.e1v1", ImageID: testID(), Status: store.PhoneRunning,
		Type: 1, IMEI: "860000000000001", TrafficType: "dedicated", VolumeMode: 1,
		VolumeType: "SSD", VolumeSize: 32, Property: `{"ro.product.brand":"Huawei"}`,
		PhoneIP: "172.16.0.2", Index: 3, CreatedAt: created, UpdatedAt: created.Add(time.Second),
	}
}

func exercisePhones(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		p := samplePhone("p1", testID(), baseTime)
		want := p
		require.NoError(t, s.PhoneInsert(ctx, &p))
		require.Equal(t, want, p)
		got, err := s.PhoneGet(ctx, "p1", p.ID)
		require.NoError(t, err)
		require.Equal(t, want, *got)

		bare := store.Phone{ID: testID(), ProjectID: "p1", ServerID: testID(), Name: "bare"}
		require.NoError(t, s.PhoneInsert(ctx, &bare))
		require.False(t, bare.CreatedAt.IsZero())
		got, err = s.PhoneGet(ctx, "p1", bare.ID)
		require.NoError(t, err)
		require.Equal(t, bare, *got)
	})

	t.Run("ProjectScoped", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		p := samplePhone("p1", testID(), baseTime)
		require.NoError(t, s.PhoneInsert(ctx, &p))
		_, err := s.PhoneGet(ctx, "p2", p.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		status := store.PhoneStopped
		err = s.PhoneUpdate(ctx, &store.PhoneUpdateParams{ProjectID: "p2", ID: p.ID, Status: &status})
		require.ErrorIs(t, err, store.ErrNotFound)
		got, err := s.PhoneGet(ctx, "p1", p.ID)
		require.NoError(t, err)
		require.Equal(t, store.PhoneRunning, got.Status)
		list, total, err := s.PhoneList(ctx, &store.PhoneListParams{ProjectID: "p2", ServerID: p.ServerID})
		require.NoError(t, err)
		require.Empty(t, list)
		require.Zero(t, total)
	})

	t.Run("DuplicateIDConflicts", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		p := samplePhone("p1", testID(), baseTime)
		require.NoError(t, s.PhoneInsert(ctx, &p))
		dup := samplePhone("p1", testID(), baseTime)
		dup.ID = p.ID
		require.ErrorIs(t, s.PhoneInsert(ctx, &dup), store.ErrConflict)
	})

	t.Run("Update", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		p := samplePhone("p1", testID(), baseTime)
		require.NoError(t, s.PhoneInsert(ctx, &p))
		name, status, image, prop, ip := "renamed", store.PhoneResetting, testID(), `{"a":"b"}`, "172.16.9.9"
		require.NoError(t, s.PhoneUpdate(ctx, &store.PhoneUpdateParams{ProjectID: "p1", ID: p.ID,
			Name: &name, Status: &status, ImageID: &image, Property: &prop, PhoneIP: &ip}))
		got, err := s.PhoneGet(ctx, "p1", p.ID)
		require.NoError(t, err)
		require.True(t, got.UpdatedAt.After(p.UpdatedAt))
		want := p
		want.Name, want.Status, want.ImageID, want.Property, want.UpdatedAt = name, status, image, prop, got.UpdatedAt
		want.PhoneIP = ip
		require.Equal(t, want, *got)

		status = store.PhoneResetFailed
		require.NoError(t, s.PhoneUpdate(ctx, &store.PhoneUpdateParams{ProjectID: "p1", ID: p.ID,
			Status: &status}))
		got, err = s.PhoneGet(ctx, "p1", p.ID)
		require.NoError(t, err)
		require.Equal(t, store.PhoneResetFailed, got.Status)
		require.Equal(t, "renamed", got.Name, "unset fields keep their value")
		require.ErrorIs(t, s.PhoneUpdate(ctx, &store.PhoneUpdateParams{ProjectID: "p1", ID: testID(),
			Status: &status}), store.ErrNotFound)
	})

	t.Run("UpdateTrafficAndVolume", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		p := samplePhone("p1", testID(), baseTime)
		require.NoError(t, s.PhoneInsert(ctx, &p))
		traffic, size := "routing", 128
		require.NoError(t, s.PhoneUpdate(ctx, &store.PhoneUpdateParams{ProjectID: "p1", ID: p.ID,
			TrafficType: &traffic, VolumeSize: &size}))
		got, err := s.PhoneGet(ctx, "p1", p.ID)
		require.NoError(t, err)
		want := p
		want.TrafficType, want.VolumeSize, want.UpdatedAt = traffic, size, got.UpdatedAt
		require.Equal(t, want, *got)
	})

	t.Run("List", func(t *testing.T) { t.Parallel(); exercisePhoneList(t, newStore) })
}

func exercisePhoneList(t *testing.T, newStore func(t *testing.T) store.Store) {
	s, ctx := newStore(t), t.Context()
	serverA, serverB := testID(), testID()
	// Twelve phones on two servers, created in batches of three sharing one instant, as a
	// batch purchase does; the id breaks the ties.
	var all []store.Phone
	for i := range 12 {
		server := serverA
		if i%2 == 1 {
			server = serverB
		}
		p := samplePhone("p1", server, baseTime.Add(time.Duration(i/3)*time.Minute))
		p.Name = []string{"web_1", "web-1", "Web1"}[i%3] + "-" + p.ID[:4]
		p.Status = []int{store.PhoneRunning, store.PhoneStopped}[i%4/2]
		p.Type = i % 3
		require.NoError(t, s.PhoneInsert(ctx, &p))
		all = append(all, p)
	}
	other := samplePhone("p2", serverA, baseTime.Add(time.Hour))
	require.NoError(t, s.PhoneInsert(ctx, &other))

	newest := append([]store.Phone(nil), all...)
	for i := range newest {
		for j := i + 1; j < len(newest); j++ {
			a, b := newest[i], newest[j]
			if b.CreatedAt.After(a.CreatedAt) || (b.CreatedAt.Equal(a.CreatedAt) && b.ID > a.ID) {
				newest[i], newest[j] = b, a
			}
		}
	}
	filter := func(keep func(store.Phone) bool) []store.Phone {
		var out []store.Phone
		for _, p := range newest {
			if keep(p) {
				out = append(out, p)
			}
		}
		return out
	}
	ptr := func(v int) *int { return &v }
	onA := filter(func(p store.Phone) bool { return p.ServerID == serverA })

	tests := []struct {
		name   string
		params store.PhoneListParams
		want   []store.Phone
		total  int
	}{
		{name: "All", want: newest, total: 12},
		{name: "Paged", params: store.PhoneListParams{Page: store.Page{Offset: 4, Limit: 5}},
			want: newest[4:9], total: 12},
		{name: "Server", params: store.PhoneListParams{ServerID: serverA}, want: onA, total: 6},
		{name: "ServerPaged",
			params: store.PhoneListParams{ServerID: serverA, Page: store.Page{Offset: 1, Limit: 2}},
			want:   onA[1:3], total: 6},
		{name: "Status", params: store.PhoneListParams{Status: ptr(store.PhoneStopped)},
			want: filter(func(p store.Phone) bool { return p.Status == store.PhoneStopped }), total: 6},
		{name: "Type", params: store.PhoneListParams{Type: ptr(2)},
			want: filter(func(p store.Phone) bool { return p.Type == 2 }), total: 4},
		{name: "NameUnderscoreIsLiteral", params: store.PhoneListParams{NameContains: "b_"},
			want: filter(func(p store.Phone) bool { return p.Name[:4] == "web_" }), total: 4},
		{name: "NameCaseSensitive", params: store.PhoneListParams{NameContains: "Web"},
			want: filter(func(p store.Phone) bool { return p.Name[:4] == "Web1" }), total: 4},
		{name: "NoMatch", params: store.PhoneListParams{NameContains: "%"}, want: nil, total: 0},
		{name: "Combined",
			params: store.PhoneListParams{ServerID: serverB, Status: ptr(store.PhoneRunning), Type: ptr(1)},
			want: filter(func(p store.Phone) bool {
				return p.ServerID == serverB && p.Status == store.PhoneRunning && p.Type == 1
			})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p := tc.params
			p.ProjectID = "p1"
			got, total, err := s.PhoneList(ctx, &p)
			require.NoError(t, err)
			if tc.total == 0 {
				tc.total = len(tc.want)
			}
			require.Equal(t, tc.total, total)
			require.Equal(t, phoneIDs(tc.want), phoneIDs(got))
			if len(tc.want) > 0 {
				require.Equal(t, tc.want, got)
			}
		})
	}
}

func phoneIDs(in []store.Phone) []string {
	out := []string{}
	for _, p := range in {
		out = append(out, p.ID+"("+p.Name+")")
	}
	return out
}
