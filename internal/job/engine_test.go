package job_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/store"
	"github.com/opencph/opencph/internal/store/sqlite"
)

var errCoded = errors.New("coded failure")

func classify(err error) (string, string, bool) {
	switch {
	case errors.Is(err, job.ErrGaveUp):
		return "CPS.0054", "Handle job timeout.", false
	case errors.Is(err, errCoded):
		return "CPS.0092", "Create server failed.", false
	}
	return "CPS.0003", "Service internal error.", true
}

func setup(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), t.TempDir()+"/cph.db")
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	return st
}

func insert(t *testing.T, st store.Store, kind, serverID string) string {
	return insertAt(t, st, kind, serverID, time.Now())
}

func insertAt(t *testing.T, st store.Store, kind, serverID string, at time.Time) string {
	t.Helper()
	j := &store.Job{ID: store.NewID(), ProjectID: "p", RequestID: "r", Kind: kind, ServerID: serverID,
		Status: store.JobRunning, BeginTime: at, RunAfter: at}
	require.NoError(t, st.JobInsert(context.Background(), j))
	return j.ID
}

func start(t *testing.T, st store.Store, cfg job.Config, kinds map[string]job.Handler) (*job.Engine, context.CancelFunc) {
	t.Helper()
	cfg.Classify = classify
	if cfg.Poll == 0 {
		cfg.Poll = 10 * time.Millisecond
	}
	e := job.New(st, cfg)
	for k, h := range kinds {
		e.Register(k, h)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.Start(ctx)
	t.Cleanup(func() { cancel(); e.Wait() })
	return e, cancel
}

func waitDone(t *testing.T, st store.Store, id string) *store.Job {
	t.Helper()
	var j *store.Job
	require.Eventually(t, func() bool {
		var err error
		j, err = st.JobGet(context.Background(), "p", id)
		require.NoError(t, err)
		return j.Status != store.JobRunning
	}, 10*time.Second, 5*time.Millisecond)
	return j
}

func TestOutcomes(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 1000) // 2000 bytes: must be cut on a rune boundary
	tests := []struct {
		name     string
		out      job.Outcome
		status   int
		code     string
		msgBytes int
	}{
		{"success", job.Outcome{ExecuteMsg: "done"}, store.JobSuccess, "", 4},
		{"coded failure", job.Outcome{Err: errCoded}, store.JobFailed, "CPS.0092", 0},
		{"internal failure", job.Outcome{Err: errors.New("boom")}, store.JobFailed, "CPS.0003", 0},
		{"execute_msg cut at 1024 bytes", job.Outcome{ExecuteMsg: long}, store.JobSuccess, "", 1024},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := setup(t)
			var applied atomic.Bool
			out := tt.out
			out.Apply = func(ctx context.Context, tx store.Store) error { applied.Store(true); return nil }
			start(t, st, job.Config{}, map[string]job.Handler{"k": func(context.Context, *store.Job) job.Outcome { return out }})
			j := waitDone(t, st, insert(t, st, "k", "s1"))
			require.Equal(t, tt.status, j.Status)
			require.Equal(t, tt.code, j.ErrorCode)
			require.Len(t, j.ExecuteMsg, tt.msgBytes)
			require.False(t, j.EndTime.IsZero())
			require.True(t, applied.Load(), "Apply runs in the finishing transaction")
		})
	}
}

func TestUnknownKindFails(t *testing.T) {
	t.Parallel()
	st := setup(t)
	start(t, st, job.Config{}, nil)
	j := waitDone(t, st, insert(t, st, "nope", "s1"))
	require.Equal(t, store.JobFailed, j.Status)
	require.Equal(t, "CPS.0003", j.ErrorCode)
}

// A job whose worker died (its lease was taken and never finished) runs again once the lease
// expires.
func TestExpiredLeaseIsResumed(t *testing.T) {
	t.Parallel()
	st := setup(t)
	id := insert(t, st, "k", "s1")
	claimed, err := st.JobClaim(context.Background(), &store.JobClaimParams{
		Owner: "dead-worker", Limit: 1, Lease: 50 * time.Millisecond, Now: time.Now(),
	})
	require.NoError(t, err)
	require.Len(t, claimed, 1)
	var runs atomic.Int32
	start(t, st, job.Config{}, map[string]job.Handler{"k": func(context.Context, *store.Job) job.Outcome {
		runs.Add(1)
		return job.Outcome{}
	}})
	j := waitDone(t, st, id)
	require.Equal(t, store.JobSuccess, j.Status)
	require.Equal(t, int32(1), runs.Load())
}

// A job that keeps losing its worker is failed for good, through the handler's failure path.
func TestGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	st := setup(t)
	id := insertAt(t, st, "k", "s1", time.Now().Add(-3*time.Hour))
	for i := 2; i > 0; i-- {
		// Two workers that claimed in the past and died: both leases have long expired.
		_, err := st.JobClaim(context.Background(), &store.JobClaimParams{
			Owner: "dead", Limit: 1, Lease: time.Second, Now: time.Now().Add(-time.Duration(i) * time.Hour),
		})
		require.NoError(t, err)
	}
	var sawCancelled atomic.Bool
	start(t, st, job.Config{MaxAttempts: 2}, map[string]job.Handler{"k": func(ctx context.Context, _ *store.Job) job.Outcome {
		sawCancelled.Store(ctx.Err() != nil)
		return job.Outcome{}
	}})
	j := waitDone(t, st, id)
	require.Equal(t, store.JobFailed, j.Status)
	require.Equal(t, "CPS.0054", j.ErrorCode)
	require.True(t, sawCancelled.Load(), "the give-up run gets a cancelled context")
}

// Jobs of one server never run more than PerServer at once, and another server's jobs still run
// while that server is saturated.
func TestPerServerBound(t *testing.T) {
	t.Parallel()
	st := setup(t)
	release := make(chan struct{})
	var running, peak atomic.Int32
	otherDone := make(chan struct{})
	start(t, st, job.Config{PerServer: 2, Workers: 8}, map[string]job.Handler{
		"busy": func(ctx context.Context, _ *store.Job) job.Outcome {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			<-release
			running.Add(-1)
			return job.Outcome{}
		},
		"other": func(context.Context, *store.Job) job.Outcome { close(otherDone); return job.Outcome{} },
	})
	var ids []string
	for i := 0; i < 6; i++ {
		ids = append(ids, insert(t, st, "busy", "s1"))
	}
	require.Eventually(t, func() bool { return running.Load() == 2 }, 5*time.Second, 5*time.Millisecond)
	insert(t, st, "other", "s2")
	select {
	case <-otherDone:
	case <-time.After(5 * time.Second):
		t.Fatal("a job of another server was starved")
	}
	close(release)
	for _, id := range ids {
		require.Equal(t, store.JobSuccess, waitDone(t, st, id).Status)
	}
	require.LessOrEqual(t, peak.Load(), int32(2))
}

// A job interrupted by shutdown stays running and is finished by the next engine.
func TestShutdownLeavesJobForNextWorker(t *testing.T) {
	t.Parallel()
	st := setup(t)
	started := make(chan struct{})
	e, cancel := start(t, st, job.Config{Lease: 100 * time.Millisecond}, map[string]job.Handler{"k": func(ctx context.Context, _ *store.Job) job.Outcome {
		close(started)
		<-ctx.Done()
		return job.Outcome{Err: ctx.Err()}
	}})
	id := insert(t, st, "k", "s1")
	<-started
	cancel()
	e.Wait()
	j, err := st.JobGet(context.Background(), "p", id)
	require.NoError(t, err)
	require.Equal(t, store.JobRunning, j.Status)

	start(t, st, job.Config{}, map[string]job.Handler{"k": func(context.Context, *store.Job) job.Outcome { return job.Outcome{} }})
	require.Equal(t, store.JobSuccess, waitDone(t, st, id).Status)
}
