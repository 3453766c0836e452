package sqlite_test

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
	"github.com/opencph/opencph/internal/store/sqlite"
)

func benchID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var benchNow = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// seedJobs enqueues n runnable jobs spread over servers in one transaction.
func seedJobs(b *testing.B, s *sqlite.Store, n int, servers []string) {
	b.Helper()
	require.NoError(b, s.InTx(b.Context(), func(tx store.Store) error {
		for i := range n {
			j := store.Job{ID: benchID(), ProjectID: "p1", RequestID: "r", Kind: "phone.restart",
				ServerID: servers[i%len(servers)], PhoneID: benchID(), BeginTime: benchNow}
			if err := tx.JobInsert(b.Context(), &j); err != nil {
				return err
			}
		}
		return nil
	}))
}

// BenchmarkJobClaimFinish measures the queue's throughput: one op is one job claimed and
// finished by a worker. The backlog is refilled 1,000 jobs at a time (untimed), so each claim
// sees between 1 and 1,000 runnable jobs on 50 servers, as a busy replica would.
func BenchmarkJobClaimFinish(b *testing.B) {
	servers := make([]string, 50)
	for i := range servers {
		servers[i] = benchID()
	}
	for _, bc := range []struct {
		name             string
		batch, perServer int
	}{
		{"batch1", 1, 0},
		{"batch16", 16, 0},
		{"batch16_perServer4", 16, 4},
	} {
		b.Run(bc.name, func(b *testing.B) {
			s := openAt(b, filepath.Join(b.TempDir(), "cph.db"))
			ctx := b.Context()
			at := benchNow.Add(time.Second)
			var held []store.Job
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				if len(held) == 0 {
					got, err := s.JobClaim(ctx, &store.JobClaimParams{Owner: "w", Limit: bc.batch,
						Lease: time.Minute, PerServer: bc.perServer, Now: at})
					require.NoError(b, err)
					if len(got) == 0 {
						b.StopTimer()
						seedJobs(b, s, 1000, servers)
						b.StartTimer()
						got, err = s.JobClaim(ctx, &store.JobClaimParams{Owner: "w", Limit: bc.batch,
							Lease: time.Minute, PerServer: bc.perServer, Now: at})
						require.NoError(b, err)
					}
					held = got
				}
				require.NoError(b, s.JobFinish(ctx, &store.JobFinishParams{ID: held[0].ID, Owner: "w",
					Status: store.JobSuccess, Now: at}))
				held = held[1:]
			}
		})
	}
	b.Run("batch16_parallel", func(b *testing.B) {
		s := openAt(b, filepath.Join(b.TempDir(), "cph.db"))
		ctx := b.Context()
		at := benchNow.Add(time.Second)
		seedJobs(b, s, b.N+16*64, servers)
		b.ReportAllocs()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			owner := benchID()
			var held []store.Job
			for pb.Next() {
				if len(held) == 0 {
					got, err := s.JobClaim(ctx, &store.JobClaimParams{Owner: owner, Limit: 16,
						Lease: time.Minute, Now: at})
					if err != nil || len(got) == 0 {
						b.Errorf("claim: %d jobs, %v", len(got), err)
						return
					}
					held = got
				}
				if err := s.JobFinish(ctx, &store.JobFinishParams{ID: held[0].ID, Owner: owner,
					Status: store.JobSuccess, Now: at}); err != nil {
					b.Errorf("finish: %v", err)
					return
				}
				held = held[1:]
			}
		})
	})
}

// seedPhones stores n phones of one project, spread evenly over n/perServer servers, and
// returns their IDs and the servers.
func seedPhones(b *testing.B, n, perServer int) (*sqlite.Store, []string, []string) {
	b.Helper()
	s := openAt(b, filepath.Join(b.TempDir(), "cph.db"))
	ids := make([]string, n)
	servers := make([]string, n/perServer)
	for i := range servers {
		servers[i] = benchID()
	}
	require.NoError(b, s.InTx(b.Context(), func(tx store.Store) error {
		for i := range n {
			ids[i] = benchID()
			p := store.Phone{ID: ids[i], ProjectID: "p1", ServerID: servers[i%len(servers)],
				Name: fmt.Sprintf("phone-%06d", i), PhoneModelName: "rx1.cp.c15.d46.e1v1",
				ImageID: "img", Status: store.PhoneRunning, Type: 1, Property: `{"a":"b"}`,
				PhoneIP: "172.16.0.2", Index: i / len(servers),
				CreatedAt: benchNow.Add(time.Duration(i) * time.Millisecond)}
			if err := tx.PhoneInsert(b.Context(), &p); err != nil {
				return err
			}
		}
		return nil
	}))
	return s, ids, servers
}

// BenchmarkPhoneGet reads single phones by ID among 10,000, as every phone operation does.
func BenchmarkPhoneGet(b *testing.B) {
	s, ids, _ := seedPhones(b, 10_000, 100)
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_, err := s.PhoneGet(ctx, "p1", ids[i%len(ids)])
		if err != nil {
			b.Fatal(err)
		}
		i += 7919 // a prime stride, so reads hop around the table
	}
}

// BenchmarkPhoneListByServer lists all 100 phones of one server among 10,000 phones (with the
// total), as a server's detail page and batch operations do.
func BenchmarkPhoneListByServer(b *testing.B) {
	s, _, servers := seedPhones(b, 10_000, 100)
	ctx := b.Context()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		got, total, err := s.PhoneList(ctx, &store.PhoneListParams{ProjectID: "p1",
			ServerID: servers[i%len(servers)]})
		if err != nil || len(got) != 100 || total != 100 {
			b.Fatalf("got %d/%d phones, %v", len(got), total, err)
		}
		i++
	}
}

// BenchmarkPhoneListPage100k pages through a project of 100,000 phones, 100 per page: the
// console's list, where the total has to be counted on every call.
func BenchmarkPhoneListPage100k(b *testing.B) {
	s, _, _ := seedPhones(b, 100_000, 100)
	ctx := b.Context()
	for _, offset := range []int{0, 50_000} {
		b.Run(fmt.Sprintf("offset%d", offset), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				got, total, err := s.PhoneList(ctx, &store.PhoneListParams{ProjectID: "p1",
					Page: store.Page{Offset: offset, Limit: 100}})
				if err != nil || len(got) != 100 || total != 100_000 {
					b.Fatalf("got %d/%d phones, %v", len(got), total, err)
				}
			}
		})
	}
}
