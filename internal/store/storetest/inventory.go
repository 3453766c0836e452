package storetest

import (
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
)

func sampleHost(model string, created time.Time) store.Host {
	return store.Host{ID: testID(), Driver: "sim", ServerModelName: model, ServerIP: "10.0.0.1",
		PublicIP: "203.0.113.1", CreatedAt: created}
}

func exerciseInventory(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("AllocateOldestFreeOfModel", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		newer := sampleHost("m1", baseTime.Add(time.Minute))
		older := sampleHost("m1", baseTime)
		otherModel := sampleHost("m2", baseTime.Add(-time.Hour))
		// Two hosts of one instant: the smaller id goes first.
		tieA, tieB := sampleHost("m3", baseTime), sampleHost("m3", baseTime)
		if tieB.ID < tieA.ID {
			tieA, tieB = tieB, tieA
		}
		require.NoError(t, s.HostsUpsert(ctx, &store.HostsUpsertParams{
			Hosts: []store.Host{newer, older, otherModel, tieB, tieA}}))

		sv1, sv2, sv3 := testID(), testID(), testID()
		h, err := s.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: "m1", ServerID: sv1})
		require.NoError(t, err)
		want := older
		want.ServerID = sv1
		require.Equal(t, want, *h)
		h, err = s.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: "m1", ServerID: sv2})
		require.NoError(t, err)
		require.Equal(t, newer.ID, h.ID)
		_, err = s.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: "m1", ServerID: sv3})
		require.ErrorIs(t, err, store.ErrNotFound, "no free host of the model")
		_, err = s.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: "nope", ServerID: sv3})
		require.ErrorIs(t, err, store.ErrNotFound)

		h, err = s.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: "m3", ServerID: sv3})
		require.NoError(t, err)
		require.Equal(t, tieA.ID, h.ID)

		got, err := s.HostGetByServer(ctx, sv1)
		require.NoError(t, err)
		require.Equal(t, want, *got)
		_, err = s.HostGetByServer(ctx, testID())
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("ServerHoldsOneHost", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		a, b := sampleHost("m1", baseTime), sampleHost("m1", baseTime.Add(time.Second))
		require.NoError(t, s.HostsUpsert(ctx, &store.HostsUpsertParams{Hosts: []store.Host{a, b}}))
		sv := testID()
		_, err := s.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: "m1", ServerID: sv})
		require.NoError(t, err)
		_, err = s.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: "m1", ServerID: sv})
		require.ErrorIs(t, err, store.ErrConflict)
	})

	t.Run("UpsertKeepsAllocation", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		h := sampleHost("m1", baseTime)
		require.NoError(t, s.HostsUpsert(ctx, &store.HostsUpsertParams{Hosts: []store.Host{h}}))
		sv := testID()
		_, err := s.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: "m1", ServerID: sv})
		require.NoError(t, err)

		moved := h
		moved.ServerIP, moved.PublicIP = "10.0.0.9", "203.0.113.9"
		moved.CreatedAt = baseTime.Add(time.Hour)
		fresh := sampleHost("m1", baseTime.Add(time.Minute))
		require.NoError(t, s.HostsUpsert(ctx, &store.HostsUpsertParams{Hosts: []store.Host{moved, fresh}}))
		got, err := s.HostGetByServer(ctx, sv)
		require.NoError(t, err)
		want := h
		want.ServerIP, want.PublicIP, want.ServerID = "10.0.0.9", "203.0.113.9", sv
		require.Equal(t, want, *got, "addresses refresh, allocation and creation time stay")

		h2, err := s.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: "m1", ServerID: testID()})
		require.NoError(t, err)
		require.Equal(t, fresh.ID, h2.ID, "the new host was inserted free")
	})

	t.Run("ReleaseFreesHostAndPorts", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		h := sampleHost("m1", baseTime)
		require.NoError(t, s.HostsUpsert(ctx, &store.HostsUpsertParams{Hosts: []store.Host{h}}))
		sv := testID()
		_, err := s.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: "m1", ServerID: sv})
		require.NoError(t, err)
		phone := testID()
		a, err := s.PortAllocate(ctx, &store.PortAllocateParams{HostID: h.ID, PhoneID: phone,
			Name: "adb", Min: 30000, Max: 30010})
		require.NoError(t, err)
		require.Equal(t, 30000, a.Port)

		require.NoError(t, s.HostRelease(ctx, &store.HostReleaseParams{ServerID: sv}))
		_, err = s.HostGetByServer(ctx, sv)
		require.ErrorIs(t, err, store.ErrNotFound)
		ports, err := s.PortListByPhones(ctx, []string{phone})
		require.NoError(t, err)
		require.Empty(t, ports, "the host's ports go with the server")
		require.NoError(t, s.HostRelease(ctx, &store.HostReleaseParams{ServerID: sv}),
			"release is safe to repeat")

		sv2 := testID()
		got, err := s.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: "m1", ServerID: sv2})
		require.NoError(t, err)
		require.Equal(t, h.ID, got.ID)
		a, err = s.PortAllocate(ctx, &store.PortAllocateParams{HostID: h.ID, PhoneID: testID(),
			Name: "adb", Min: 30000, Max: 30010})
		require.NoError(t, err)
		require.Equal(t, 30000, a.Port)
	})

	t.Run("ConcurrentAllocateTakesEachHostOnce", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		var hosts []store.Host
		for i := range 5 {
			hosts = append(hosts, sampleHost("m1", baseTime.Add(time.Duration(i)*time.Second)))
		}
		require.NoError(t, s.HostsUpsert(ctx, &store.HostsUpsertParams{Hosts: hosts}))
		var mu sync.Mutex
		taken := map[string]string{}
		var notFound int
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				sv := testID()
				h, err := s.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: "m1", ServerID: sv})
				mu.Lock()
				defer mu.Unlock()
				if errors.Is(err, store.ErrNotFound) {
					notFound++
					return
				}
				if !assertNoErr(t, err) {
					return
				}
				if prev, ok := taken[h.ID]; ok {
					t.Errorf("host %s taken by %s and %s", h.ID, prev, sv)
				}
				taken[h.ID] = sv
			})
		}
		wg.Wait()
		require.Len(t, taken, 5)
		require.Equal(t, 7, notFound)
	})

	t.Run("PortLowestFree", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		host, otherHost := testID(), testID()
		alloc := func(hostID string, lo, hi int) (int, error) {
			a, err := s.PortAllocate(ctx, &store.PortAllocateParams{HostID: hostID, PhoneID: testID(),
				Name: "adb", Min: lo, Max: hi})
			if err != nil {
				return 0, err
			}
			require.Equal(t, hostID, a.HostID)
			return a.Port, nil
		}
		p, err := alloc(host, 40000, 40000)
		require.NoError(t, err)
		require.Equal(t, 40000, p)
		p, err = alloc(host, 40002, 40002)
		require.NoError(t, err)
		require.Equal(t, 40002, p)
		// The gap at 40001 is filled before the range continues.
		for _, want := range []int{40001, 40003, 40004} {
			p, err = alloc(host, 40000, 40004)
			require.NoError(t, err)
			require.Equal(t, want, p)
		}
		_, err = alloc(host, 40000, 40004)
		require.ErrorIs(t, err, store.ErrConflict, "range exhausted")
		_, err = alloc(host, 40005, 40004)
		require.ErrorIs(t, err, store.ErrConflict, "empty range")
		// Ports below Min do not count, and hosts are independent.
		p, err = alloc(host, 40003, 40010)
		require.NoError(t, err)
		require.Equal(t, 40005, p)
		p, err = alloc(otherHost, 40000, 40004)
		require.NoError(t, err)
		require.Equal(t, 40000, p)
	})

	t.Run("PortConcurrentNeverTwice", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		host := testID()
		var mu sync.Mutex
		seen := map[int]bool{}
		var conflicts int
		var wg sync.WaitGroup
		for range 24 {
			wg.Go(func() {
				a, err := s.PortAllocate(ctx, &store.PortAllocateParams{HostID: host, PhoneID: testID(),
					Name: "adb", Min: 50000, Max: 50015})
				mu.Lock()
				defer mu.Unlock()
				if errors.Is(err, store.ErrConflict) {
					conflicts++
					return
				}
				if !assertNoErr(t, err) {
					return
				}
				if seen[a.Port] {
					t.Errorf("port %d handed out twice", a.Port)
				}
				seen[a.Port] = true
			})
		}
		wg.Wait()
		require.Len(t, seen, 16)
		require.Equal(t, 8, conflicts)
	})

	t.Run("PortListByPhones", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		host := testID()
		phones := []string{testID(), testID(), testID()}
		var want []store.PortAllocation
		for i, ph := range phones {
			for _, name := range []string{"adb", "app"} {
				a, err := s.PortAllocate(ctx, &store.PortAllocateParams{HostID: host, PhoneID: ph,
					Name: name, Min: 60000, Max: 60100})
				require.NoError(t, err)
				if i < 2 {
					want = append(want, *a)
				}
			}
		}
		got, err := s.PortListByPhones(ctx, []string{phones[1], phones[0], testID()})
		require.NoError(t, err)
		sort.Slice(want, func(i, j int) bool {
			if want[i].PhoneID != want[j].PhoneID {
				return want[i].PhoneID < want[j].PhoneID
			}
			return want[i].Port < want[j].Port
		})
		require.Equal(t, want, got, "ordered by phone, then port")
		got, err = s.PortListByPhones(ctx, nil)
		require.NoError(t, err)
		require.Empty(t, got)
	})
}

// assertNoErr reports err from a goroutine without FailNow, which must not run off the test
// goroutine.
func assertNoErr(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Errorf("unexpected error: %v", err)
		return false
	}
	return true
}
