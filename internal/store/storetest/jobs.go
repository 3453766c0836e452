package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
)

// sampleJob is a job accepted at begin, runnable at once.
func sampleJob(projectID, requestID string, begin time.Time) store.Job {
	return store.Job{ID: testID(), ProjectID: projectID, RequestID: requestID, Kind: "phone.restart",
		ServerID: testID(), PhoneID: testID(), Payload: []byte(`{"image_id":"x"}`), BeginTime: begin}
}

// claim is JobClaim with the test's defaults: a one-minute lease and no per-server bound.
func claim(t *testing.T, s store.Store, owner string, limit int, at time.Time) []store.Job {
	t.Helper()
	jobs, err := s.JobClaim(t.Context(), &store.JobClaimParams{Owner: owner, Limit: limit,
		Lease: time.Minute, Now: at})
	require.NoError(t, err)
	return jobs
}

func jobIDs(in []store.Job) []string {
	out := []string{}
	for _, j := range in {
		out = append(out, j.ID)
	}
	return out
}

func exerciseJobs(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("InsertGet", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		j := sampleJob("p1", "r1", baseTime)
		// Whatever the caller sets, a new job is running, unleased and unfinished.
		j.Status, j.Attempt, j.LeaseOwner, j.ErrorCode = store.JobFailed, 7, "w", "CPS.0001"
		j.EndTime, j.LeaseUntil = baseTime, baseTime
		require.NoError(t, s.JobInsert(ctx, &j))
		want := j
		want.Status, want.Attempt, want.LeaseOwner, want.ErrorCode = store.JobRunning, 0, "", ""
		want.EndTime, want.LeaseUntil, want.RunAfter = time.Time{}, time.Time{}, baseTime
		require.Equal(t, want, j, "insert reports the stored row")
		got, err := s.JobGet(ctx, "p1", j.ID)
		require.NoError(t, err)
		require.Equal(t, want, *got)
		require.True(t, got.EndTime.IsZero())

		_, err = s.JobGet(ctx, "p2", j.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		dup := sampleJob("p1", "r1", baseTime)
		dup.ID = j.ID
		require.ErrorIs(t, s.JobInsert(ctx, &dup), store.ErrConflict)

		bare := store.Job{ID: testID(), ProjectID: "p1", RequestID: "r2", Kind: "k"}
		require.NoError(t, s.JobInsert(ctx, &bare))
		require.False(t, bare.BeginTime.IsZero(), "BeginTime defaults to now")
		require.Equal(t, bare.BeginTime, bare.RunAfter, "RunAfter defaults to BeginTime")
		got, err = s.JobGet(ctx, "p1", bare.ID)
		require.NoError(t, err)
		require.Equal(t, bare, *got)
		require.Empty(t, got.Payload)
	})

	t.Run("List", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		var r1, r2 []store.Job
		for i := range 4 {
			j := sampleJob("p1", "r1", baseTime.Add(time.Duration(i)*time.Second))
			require.NoError(t, s.JobInsert(ctx, &j))
			r1 = append([]store.Job{j}, r1...)
			k := sampleJob("p1", "r2", baseTime.Add(time.Duration(i)*time.Second+time.Millisecond))
			require.NoError(t, s.JobInsert(ctx, &k))
			r2 = append([]store.Job{k}, r2...)
		}
		other := sampleJob("p2", "r1", baseTime)
		require.NoError(t, s.JobInsert(ctx, &other))

		got, total, err := s.JobList(ctx, &store.JobListParams{ProjectID: "p1", RequestIDs: []string{"r1"}})
		require.NoError(t, err)
		require.Equal(t, 4, total)
		require.Equal(t, r1, got, "newest first, other projects hidden")

		got, total, err = s.JobList(ctx, &store.JobListParams{ProjectID: "p1",
			RequestIDs: []string{"r1", "r2", "r9"}, Page: store.Page{Offset: 1, Limit: 3}})
		require.NoError(t, err)
		require.Equal(t, 8, total)
		require.Equal(t, jobIDs([]store.Job{r1[0], r2[1], r1[1]}), jobIDs(got))

		got, total, err = s.JobList(ctx, &store.JobListParams{ProjectID: "p2", RequestIDs: []string{"r2"}})
		require.NoError(t, err)
		require.Zero(t, total)
		require.Empty(t, got)

		_, total, err = s.JobList(ctx, &store.JobListParams{ProjectID: "p1"})
		require.NoError(t, err)
		require.Equal(t, 8, total, "no request filter lists the whole project")
	})

	t.Run("ClaimOrderAndRunAfter", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		late := sampleJob("p1", "r", baseTime)
		late.RunAfter = baseTime.Add(time.Hour)
		second := sampleJob("p1", "r", baseTime.Add(time.Second))
		first := sampleJob("p1", "r", baseTime)
		for _, j := range []*store.Job{&late, &second, &first} {
			require.NoError(t, s.JobInsert(ctx, j))
		}
		at := baseTime.Add(time.Minute)
		got := claim(t, s, "w1", 10, at)
		require.Equal(t, jobIDs([]store.Job{first, second}), jobIDs(got), "due jobs in order")
		for _, j := range got {
			require.Equal(t, "w1", j.LeaseOwner)
			require.Equal(t, at.Add(time.Minute), j.LeaseUntil)
			require.Equal(t, 1, j.Attempt)
			require.Equal(t, store.JobRunning, j.Status)
		}
		stored, err := s.JobGet(ctx, "p1", first.ID)
		require.NoError(t, err)
		require.Equal(t, got[0], *stored)

		require.Empty(t, claim(t, s, "w2", 10, at), "leased jobs are not claimed again")
		got = claim(t, s, "w2", 10, baseTime.Add(time.Hour))
		require.Len(t, got, 3, "the late job is due and the leases have expired")
		require.Equal(t, jobIDs([]store.Job{first, second, late}), jobIDs(got))
		require.Equal(t, []int{2, 2, 1}, []int{got[0].Attempt, got[1].Attempt, got[2].Attempt})
	})

	t.Run("ClaimLimit", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		for i := range 5 {
			j := sampleJob("p1", "r", baseTime.Add(time.Duration(i)*time.Second))
			require.NoError(t, s.JobInsert(ctx, &j))
		}
		at := baseTime.Add(time.Minute)
		require.Len(t, claim(t, s, "w", 2, at), 2)
		require.Len(t, claim(t, s, "w", 2, at), 2)
		require.Len(t, claim(t, s, "w", 2, at), 1)
		require.Empty(t, claim(t, s, "w", 2, at))
		require.Empty(t, claim(t, s, "w", 0, baseTime.Add(time.Hour)), "limit 0 claims nothing")
	})

	t.Run("ClaimPerServer", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		serverA, serverB := testID(), testID()
		var onA []store.Job
		for i := range 9 {
			j := sampleJob("p1", "r", baseTime.Add(time.Duration(i)*time.Second))
			switch i % 3 {
			case 0, 1:
				j.ServerID = serverA
			case 2:
				j.ServerID = serverB
			}
			if i == 8 {
				j.ServerID = ""
			}
			require.NoError(t, s.JobInsert(ctx, &j))
			if j.ServerID == serverA {
				onA = append(onA, j)
			}
		}
		at := baseTime.Add(time.Minute)
		bounded := func(owner string, limit int, at time.Time) []store.Job {
			got, err := s.JobClaim(ctx, &store.JobClaimParams{Owner: owner, Limit: limit,
				Lease: time.Minute, PerServer: 2, Now: at})
			require.NoError(t, err)
			return got
		}
		perServer := func(jobs []store.Job) map[string]int {
			n := map[string]int{}
			for _, j := range jobs {
				n[j.ServerID]++
			}
			return n
		}
		got := bounded("w1", 100, at)
		require.Equal(t, map[string]int{serverA: 2, serverB: 2, "": 1}, perServer(got),
			"at most two per server within one claim; unbounded without a server")
		require.Equal(t, jobIDs(onA[:2]), jobIDs(got[:2]), "a server's oldest jobs first")
		require.Empty(t, bounded("w2", 100, at), "the bound holds across calls")

		require.NoError(t, s.JobFinish(ctx, &store.JobFinishParams{ID: got[0].ID, Owner: "w1",
			Status: store.JobSuccess, Now: at}))
		got = bounded("w2", 100, at)
		require.Equal(t, map[string]int{serverA: 1}, perServer(got), "a finished job frees its slot")

		// Expired leases do not count; the next claim takes the bound again.
		got = bounded("w3", 100, at.Add(2*time.Minute))
		require.Equal(t, map[string]int{serverA: 2, serverB: 2, "": 1}, perServer(got))

		// Unbounded claims ignore the bound: all eight running jobs.
		require.Len(t, claim(t, s, "w4", 100, at.Add(5*time.Minute)), 8)
	})

	t.Run("ClaimPerServerConcurrent", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		servers := []string{testID(), testID(), testID()}
		for i := range 60 {
			j := sampleJob("p1", "r", baseTime.Add(time.Duration(i)*time.Millisecond))
			j.ServerID = servers[i%3]
			require.NoError(t, s.JobInsert(ctx, &j))
		}
		at := baseTime.Add(time.Minute)
		var mu sync.Mutex
		held := map[string]int{}
		var wg sync.WaitGroup
		for w := range 10 {
			wg.Go(func() {
				for range 3 {
					got, err := s.JobClaim(ctx, &store.JobClaimParams{Owner: fmt.Sprint("w", w),
						Limit: 2, Lease: time.Hour, PerServer: 2, Now: at})
					if !assertNoErr(t, err) {
						return
					}
					mu.Lock()
					for _, j := range got {
						held[j.ServerID]++
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		require.Equal(t, map[string]int{servers[0]: 2, servers[1]: 2, servers[2]: 2}, held)
	})

	t.Run("Finish", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		j := sampleJob("p1", "r", baseTime)
		require.NoError(t, s.JobInsert(ctx, &j))
		at := baseTime.Add(time.Minute)
		require.Len(t, claim(t, s, "w1", 1, at), 1)

		fin := store.JobFinishParams{ID: j.ID, Owner: "w2", Status: store.JobFailed,
			ErrorCode: "CPS.0205", ErrorMsg: "restart failed", ExecuteMsg: "adb: timeout",
			Now: at.Add(time.Second)}
		require.ErrorIs(t, s.JobFinish(ctx, &fin), store.ErrConflict, "not the lease holder")
		fin.Owner = "w1"
		require.NoError(t, s.JobFinish(ctx, &fin))
		got, err := s.JobGet(ctx, "p1", j.ID)
		require.NoError(t, err)
		require.Equal(t, store.JobFailed, got.Status)
		require.Equal(t, "CPS.0205", got.ErrorCode)
		require.Equal(t, "restart failed", got.ErrorMsg)
		require.Equal(t, "adb: timeout", got.ExecuteMsg)
		require.Equal(t, at.Add(time.Second), got.EndTime)
		require.Equal(t, baseTime, got.BeginTime)
		require.Empty(t, got.LeaseOwner, "finishing clears the lease")
		require.True(t, got.LeaseUntil.IsZero())
		require.Equal(t, 1, got.Attempt)

		fin.Status = store.JobSuccess
		require.ErrorIs(t, s.JobFinish(ctx, &fin), store.ErrConflict, "finished once only")
		require.Empty(t, claim(t, s, "w3", 10, at.Add(time.Hour)), "finished jobs are never claimed")
		require.ErrorIs(t, s.JobFinish(ctx, &store.JobFinishParams{ID: testID(), Owner: "w1",
			Status: store.JobSuccess}), store.ErrConflict)
	})

	t.Run("LostLease", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		j := sampleJob("p1", "r", baseTime)
		require.NoError(t, s.JobInsert(ctx, &j))
		at := baseTime.Add(time.Minute)
		require.Len(t, claim(t, s, "dead", 1, at), 1)
		got := claim(t, s, "alive", 1, at.Add(2*time.Minute))
		require.Len(t, got, 1, "an expired lease is taken over")
		require.Equal(t, 2, got[0].Attempt)
		require.ErrorIs(t, s.JobFinish(ctx, &store.JobFinishParams{ID: j.ID, Owner: "dead",
			Status: store.JobSuccess}), store.ErrConflict)
		require.ErrorIs(t, s.JobExtendLease(ctx, j.ID, "dead", at.Add(time.Hour)), store.ErrConflict)
		require.ErrorIs(t, s.JobRetry(ctx, &store.JobRetryParams{ID: j.ID, Owner: "dead",
			RunAfter: at}), store.ErrConflict)
		require.NoError(t, s.JobFinish(ctx, &store.JobFinishParams{ID: j.ID, Owner: "alive",
			Status: store.JobSuccess}))
	})

	t.Run("ExpiredButUntakenLeaseCanFinish", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		j := sampleJob("p1", "r", baseTime)
		require.NoError(t, s.JobInsert(ctx, &j))
		require.Len(t, claim(t, s, "slow", 1, baseTime), 1)
		require.NoError(t, s.JobFinish(ctx, &store.JobFinishParams{ID: j.ID, Owner: "slow",
			Status: store.JobSuccess, Now: baseTime.Add(time.Hour)}))
	})

	t.Run("Retry", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		j := sampleJob("p1", "r", baseTime)
		require.NoError(t, s.JobInsert(ctx, &j))
		require.Len(t, claim(t, s, "w1", 1, baseTime), 1)
		again := baseTime.Add(10 * time.Second)
		require.ErrorIs(t, s.JobRetry(ctx, &store.JobRetryParams{ID: j.ID, Owner: "w2",
			RunAfter: again}), store.ErrConflict)
		require.NoError(t, s.JobRetry(ctx, &store.JobRetryParams{ID: j.ID, Owner: "w1", RunAfter: again}))
		got, err := s.JobGet(ctx, "p1", j.ID)
		require.NoError(t, err)
		require.Empty(t, got.LeaseOwner)
		require.True(t, got.LeaseUntil.IsZero())
		require.Equal(t, again, got.RunAfter)
		require.Equal(t, store.JobRunning, got.Status)

		require.Empty(t, claim(t, s, "w2", 1, baseTime.Add(5*time.Second)), "not before RunAfter")
		got2 := claim(t, s, "w2", 1, again)
		require.Len(t, got2, 1)
		require.Equal(t, 2, got2[0].Attempt)
		require.ErrorIs(t, s.JobRetry(ctx, &store.JobRetryParams{ID: j.ID, Owner: "w1",
			RunAfter: again}), store.ErrConflict, "w1 no longer holds it")
	})

	t.Run("ExtendLease", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		j := sampleJob("p1", "r", baseTime)
		require.NoError(t, s.JobInsert(ctx, &j))
		require.Len(t, claim(t, s, "w1", 1, baseTime), 1)
		until := baseTime.Add(time.Hour)
		require.NoError(t, s.JobExtendLease(ctx, j.ID, "w1", until))
		got, err := s.JobGet(ctx, "p1", j.ID)
		require.NoError(t, err)
		require.Equal(t, until, got.LeaseUntil)
		require.Empty(t, claim(t, s, "w2", 1, baseTime.Add(30*time.Minute)), "the extended lease holds")
		require.ErrorIs(t, s.JobExtendLease(ctx, j.ID, "w2", until), store.ErrConflict)
		require.NoError(t, s.JobFinish(ctx, &store.JobFinishParams{ID: j.ID, Owner: "w1",
			Status: store.JobSuccess}))
		require.ErrorIs(t, s.JobExtendLease(ctx, j.ID, "w1", until), store.ErrConflict, "finished")
	})

	t.Run("DeleteFinishedBefore", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		for range 3 {
			j := sampleJob("p1", "r", baseTime)
			require.NoError(t, s.JobInsert(ctx, &j))
		}
		// Claim order among equal times is by id; put ids in that order.
		ids := jobIDs(claim(t, s, "w", 3, baseTime))
		require.Len(t, ids, 3)
		j := sampleJob("p1", "r", baseTime.Add(time.Hour))
		require.NoError(t, s.JobInsert(ctx, &j))
		ids = append(ids, j.ID)
		// ids[0] ended long ago, ids[1] recently, ids[2] is held, ids[3] was never claimed.
		for i, end := range []time.Time{baseTime.Add(time.Minute), baseTime.Add(time.Hour)} {
			require.NoError(t, s.JobFinish(ctx, &store.JobFinishParams{ID: ids[i], Owner: "w",
				Status: store.JobSuccess, Now: end}))
		}
		n, err := s.JobDeleteFinishedBefore(ctx, baseTime.Add(30*time.Minute))
		require.NoError(t, err)
		require.Equal(t, 1, n)
		_, err = s.JobGet(ctx, "p1", ids[0])
		require.ErrorIs(t, err, store.ErrNotFound)
		for _, id := range ids[1:] {
			_, err = s.JobGet(ctx, "p1", id)
			require.NoError(t, err)
		}
		n, err = s.JobDeleteFinishedBefore(ctx, baseTime.Add(24*time.Hour))
		require.NoError(t, err)
		require.Equal(t, 1, n, "running jobs are never deleted")
	})

	t.Run("RunningForPhone", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		j := sampleJob("p1", "r", baseTime)
		require.NoError(t, s.JobInsert(ctx, &j))
		running, err := s.JobRunningForPhone(ctx, "p1", j.PhoneID)
		require.NoError(t, err)
		require.True(t, running, "queued counts as running")
		running, err = s.JobRunningForPhone(ctx, "p2", j.PhoneID)
		require.NoError(t, err)
		require.False(t, running, "another project's phone")
		running, err = s.JobRunningForPhone(ctx, "p1", testID())
		require.NoError(t, err)
		require.False(t, running, "another phone")
		require.Len(t, claim(t, s, "w", 1, baseTime), 1)
		require.NoError(t, s.JobFinish(ctx, &store.JobFinishParams{ID: j.ID, Owner: "w",
			Status: store.JobFailed}))
		running, err = s.JobRunningForPhone(ctx, "p1", j.PhoneID)
		require.NoError(t, err)
		require.False(t, running, "finished jobs do not count")
	})

	t.Run("ConcurrentClaimersNeverShare", func(t *testing.T) {
		t.Parallel()
		s := newStore(t)
		ExerciseConcurrentClaim(t, []store.Store{s}, 200, 8)
	})
}

// ExerciseConcurrentClaim inserts jobs through the first store, then lets workers spread over
// stores claim, abandon some batches (as if they crashed), and finish the rest; after the
// abandoned leases expire, the remaining jobs are claimed and finished. It checks that no job is
// held by two workers at once, every job is finished exactly once, and a crashed worker's late
// finish is refused. Pass several stores opened on one database to cover separate connection
// pools or processes.
func ExerciseConcurrentClaim(t *testing.T, stores []store.Store, jobs, workers int) {
	ctx := t.Context()
	var all []string
	require.NoError(t, stores[0].InTx(ctx, func(tx store.Store) error {
		for i := range jobs {
			j := sampleJob("p1", "r", baseTime.Add(time.Duration(i)*time.Microsecond))
			if err := tx.JobInsert(ctx, &j); err != nil {
				return err
			}
			all = append(all, j.ID)
		}
		return nil
	}))

	type abandoned struct{ id, owner string }
	var mu sync.Mutex
	claimedBy := map[string]string{}
	finished := map[string]int{}
	var lost []abandoned

	round := func(at time.Time, crashy bool) {
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				s := stores[w%len(stores)]
				owner := fmt.Sprintf("w%d@%d", w, at.Unix())
				for batch := 0; ; batch++ {
					got, err := s.JobClaim(ctx, &store.JobClaimParams{Owner: owner, Limit: 3,
						Lease: time.Minute, Now: at})
					if !assertNoErr(t, err) || len(got) == 0 {
						return
					}
					crash := crashy && w%3 == 0 && batch%2 == 0
					for _, j := range got {
						mu.Lock()
						if prev, ok := claimedBy[j.ID]; ok {
							t.Errorf("job %s claimed by %s while %s holds it", j.ID, owner, prev)
						}
						claimedBy[j.ID] = owner
						if crash {
							lost = append(lost, abandoned{j.ID, owner})
						}
						mu.Unlock()
						if crash {
							continue
						}
						err := s.JobFinish(ctx, &store.JobFinishParams{ID: j.ID, Owner: owner,
							Status: store.JobSuccess, Now: at})
						if assertNoErr(t, err) {
							mu.Lock()
							finished[j.ID]++
							mu.Unlock()
						}
					}
				}
			})
		}
		wg.Wait()
	}

	start := baseTime.Add(time.Second) // every job is due
	round(start, true)
	require.Len(t, claimedBy, jobs, "every job was claimed once")
	require.NotEmpty(t, lost, "some workers crashed")
	require.Len(t, finished, jobs-len(lost))

	// The crashed workers' leases expire; the survivors take their jobs over.
	clear(claimedBy)
	round(start.Add(2*time.Minute), false)
	require.Len(t, claimedBy, len(lost), "exactly the abandoned jobs come back")
	for _, a := range lost {
		require.ErrorIs(t, stores[0].JobFinish(ctx, &store.JobFinishParams{ID: a.id, Owner: a.owner,
			Status: store.JobFailed}), store.ErrConflict, "a crashed worker cannot finish late")
	}
	require.Len(t, finished, jobs)
	for id, n := range finished {
		require.Equal(t, 1, n, "job %s finished %d times", id, n)
	}
	for _, id := range all {
		j, err := stores[0].JobGet(ctx, "p1", id)
		require.NoError(t, err)
		require.Equal(t, store.JobSuccess, j.Status)
	}
}
