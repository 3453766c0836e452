// Package job is the durable job engine. A job is a row inserted in the same transaction as the
// state change it completes, so it exists exactly when that change does; workers claim rows with a
// lease, run the kind's handler, and finish the row and the resource's final state in one
// transaction. A worker that dies loses nothing: its lease expires and another worker, in this
// process or another replica, runs the job again, so handlers must be safe to repeat.
package job

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/opencph/opencph/internal/store"
)

// MaxExecuteMsg is the reference's bound on a job's execute_msg (5.4.1).
const MaxExecuteMsg = 1024

// Outcome is what a handler reports. Err nil means success; otherwise Config.Classify turns it
// into the job's error_code and error_msg. Apply runs in the transaction that finishes the job and
// writes the resource's final state (for both success and failure).
type Outcome struct {
	Err        error
	ExecuteMsg string
	Apply      func(ctx context.Context, tx store.Store) error
}

// Handler runs one job of a kind. It must honour ctx: it is cancelled on shutdown and when the
// lease is lost.
type Handler func(ctx context.Context, j *store.Job) Outcome

// Config tunes the engine; zero fields take the defaults.
type Config struct {
	Owner       string        // this worker's identity in lease_owner; default a random id
	Workers     int           // jobs run at once by this process; default 32
	PerServer   int           // live leases per server across all workers; default 8
	Lease       time.Duration // how long a claim holds before another worker may take it; default 30s
	Poll        time.Duration // how often to look for work when not woken; default 250ms
	MaxAttempts int           // runs before a job is failed for good; default 5
	Retention   time.Duration // how long finished jobs are kept; default 7 days
	Now         func() time.Time
	// Classify gives a failed job's error_code and error_msg, and whether the failure is the
	// service's own fault (logged as an error). Required.
	Classify func(err error) (code, msg string, internal bool)
}

// Errors the engine itself fails jobs with, for Classify to map to codes.
var (
	ErrUnknownKind = errors.New("job: unknown kind")
	ErrGaveUp      = errors.New("job: gave up after repeated attempts")
)

// Engine claims and runs jobs.
type Engine struct {
	st       store.Store
	cfg      Config
	handlers map[string]Handler
	wake     chan struct{}
	wg       sync.WaitGroup
}

// New returns an engine over st. Register kinds before Start.
func New(st store.Store, cfg Config) *Engine {
	if cfg.Owner == "" {
		cfg.Owner = store.NewID()
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 32
	}
	if cfg.PerServer <= 0 {
		cfg.PerServer = 8
	}
	if cfg.Lease <= 0 {
		cfg.Lease = 30 * time.Second
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 250 * time.Millisecond
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 5
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 7 * 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Engine{st: st, cfg: cfg, handlers: map[string]Handler{}, wake: make(chan struct{}, 1)}
}

// Register sets the handler of a kind.
func (e *Engine) Register(kind string, h Handler) { e.handlers[kind] = h }

// Notify wakes the claim loop after an insert, so new work starts without waiting for the poll.
func (e *Engine) Notify() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// Start runs the claim loop and the cleaner until ctx is done; Wait then returns once every
// running job has stopped.
func (e *Engine) Start(ctx context.Context) {
	e.wg.Add(2)
	go func() { defer e.wg.Done(); e.claimLoop(ctx) }()
	go func() { defer e.wg.Done(); e.cleanLoop(ctx) }()
}

// Wait blocks until the loops and all running jobs have returned.
func (e *Engine) Wait() { e.wg.Wait() }

func (e *Engine) claimLoop(ctx context.Context) {
	slots := make(chan struct{}, e.cfg.Workers)
	ticker := time.NewTicker(e.cfg.Poll)
	defer ticker.Stop()
	for {
		free := e.cfg.Workers - len(slots)
		if free > 0 {
			jobs, err := e.st.JobClaim(ctx, &store.JobClaimParams{
				Owner: e.cfg.Owner, Limit: free, Lease: e.cfg.Lease,
				PerServer: e.cfg.PerServer, Now: e.cfg.Now(),
			})
			if err != nil && ctx.Err() == nil {
				slog.Error("claiming jobs", "err", err)
			}
			for i := range jobs {
				slots <- struct{}{}
				e.wg.Add(1)
				go func(j store.Job) {
					defer func() { <-slots; e.wg.Done(); e.Notify() }()
					e.run(ctx, &j)
				}(jobs[i])
			}
			if len(jobs) == free {
				continue // there may be more ready; claim again before sleeping
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-e.wake:
		case <-ticker.C:
		}
	}
}

// run executes one claimed job, keeping its lease alive while the handler works.
func (e *Engine) run(ctx context.Context, j *store.Job) {
	log := slog.With("job_id", j.ID, "kind", j.Kind, "attempt", j.Attempt)
	h, ok := e.handlers[j.Kind]
	var out Outcome
	switch {
	case !ok:
		out = Outcome{Err: fmt.Errorf("%w %q", ErrUnknownKind, j.Kind)}
	case j.Attempt > e.cfg.MaxAttempts:
		// Runs that kept dying with their worker: stop trying, and let the handler's failure path
		// set the resource's failure status.
		out = h(failedContext(ctx), j)
		out.Err = fmt.Errorf("%w (%d attempts)", ErrGaveUp, j.Attempt-1)
	default:
		runCtx, cancel := context.WithCancel(ctx)
		stop := e.keepLease(runCtx, cancel, j)
		out = h(runCtx, j)
		stop()
		cancel()
	}
	if ctx.Err() != nil {
		// Shutting down: leave the job leased; its lease expires and a worker runs it again.
		log.Info("job interrupted by shutdown")
		return
	}
	if err := e.finish(ctx, j, out); err != nil {
		log.Error("finishing job", "err", err)
	}
}

// keepLease extends the lease every third of its length until stopped; if the lease is lost the
// handler's context is cancelled so two workers never act on one job at once for long.
func (e *Engine) keepLease(ctx context.Context, cancel context.CancelFunc, j *store.Job) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	go func() {
		t := time.NewTicker(e.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case <-t.C:
				err := e.st.JobExtendLease(ctx, j.ID, e.cfg.Owner, e.cfg.Now().Add(e.cfg.Lease))
				if errors.Is(err, store.ErrConflict) {
					slog.Warn("job lease lost", "job_id", j.ID)
					cancel()
					return
				}
			}
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}

func (e *Engine) finish(ctx context.Context, j *store.Job, out Outcome) error {
	p := &store.JobFinishParams{
		ID: j.ID, Owner: e.cfg.Owner, Status: store.JobSuccess,
		ExecuteMsg: Truncate(out.ExecuteMsg, MaxExecuteMsg), Now: e.cfg.Now(),
	}
	if out.Err != nil {
		code, msg, internal := e.cfg.Classify(out.Err)
		p.Status, p.ErrorCode, p.ErrorMsg = store.JobFailed, code, msg
		if internal {
			slog.Error("job failed", "job_id", j.ID, "kind", j.Kind, "err", out.Err)
		}
	}
	return e.st.InTx(ctx, func(tx store.Store) error {
		if out.Apply != nil {
			if err := out.Apply(ctx, tx); err != nil {
				return fmt.Errorf("apply outcome: %w", err)
			}
		}
		return tx.JobFinish(ctx, p)
	})
}

func (e *Engine) cleanLoop(ctx context.Context) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		n, err := e.st.JobDeleteFinishedBefore(ctx, e.cfg.Now().Add(-e.cfg.Retention))
		if err != nil && ctx.Err() == nil {
			slog.Error("cleaning finished jobs", "err", err)
		} else if n > 0 {
			slog.Info("removed finished jobs", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// failedContext is an already-cancelled context: a handler given it goes straight to its failure
// path without touching the runtime.
func failedContext(parent context.Context) context.Context {
	ctx, cancel := context.WithCancel(parent)
	cancel()
	return ctx
}

// Truncate cuts s to at most n bytes without splitting a UTF-8 sequence.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
