package sim_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/runtime/sim"
)

// opCase drives one operation against a phone prepared so that the operation has work to do.
type opCase struct {
	op sim.Op
	// prepare brings phone id into the state the operation starts from; create prepares nothing.
	prepare func(t *testing.T, d *sim.Driver, spec runtime.PhoneSpec)
	call    func(ctx context.Context, d *sim.Driver, spec runtime.PhoneSpec) error
	// onFail is the state a failed call leaves the phone in; "" means the phone does not exist.
	onFail runtime.State
	// onSuccess is the state after a successful call; "" means the phone is gone.
	onSuccess runtime.State
}

func create(t *testing.T, d *sim.Driver, spec runtime.PhoneSpec) {
	t.Helper()
	_, err := d.CreatePhone(t.Context(), spec)
	require.NoError(t, err)
}

var opCases = []opCase{
	{
		op:      sim.OpCreate,
		prepare: func(*testing.T, *sim.Driver, runtime.PhoneSpec) {},
		call: func(ctx context.Context, d *sim.Driver, s runtime.PhoneSpec) error {
			_, err := d.CreatePhone(ctx, s)
			return err
		},
		onFail:    runtime.StateFailed,
		onSuccess: runtime.StateRunning,
	},
	{
		op: sim.OpStart,
		prepare: func(t *testing.T, d *sim.Driver, s runtime.PhoneSpec) {
			create(t, d, s)
			require.NoError(t, d.StopPhone(t.Context(), s.ID))
		},
		call:      func(ctx context.Context, d *sim.Driver, s runtime.PhoneSpec) error { return d.StartPhone(ctx, s.ID) },
		onFail:    runtime.StateFailed,
		onSuccess: runtime.StateRunning,
	},
	{
		op:        sim.OpStop,
		prepare:   create,
		call:      func(ctx context.Context, d *sim.Driver, s runtime.PhoneSpec) error { return d.StopPhone(ctx, s.ID) },
		onFail:    runtime.StateRunning,
		onSuccess: runtime.StateStopped,
	},
	{
		op:        sim.OpRestart,
		prepare:   create,
		call:      func(ctx context.Context, d *sim.Driver, s runtime.PhoneSpec) error { return d.RestartPhone(ctx, s) },
		onFail:    runtime.StateFailed,
		onSuccess: runtime.StateRunning,
	},
	{
		op:        sim.OpReset,
		prepare:   create,
		call:      func(ctx context.Context, d *sim.Driver, s runtime.PhoneSpec) error { return d.ResetPhone(ctx, s) },
		onFail:    runtime.StateFailed,
		onSuccess: runtime.StateRunning,
	},
	{
		op:        sim.OpRemove,
		prepare:   create,
		call:      func(ctx context.Context, d *sim.Driver, s runtime.PhoneSpec) error { return d.RemovePhone(ctx, s.ID) },
		onFail:    runtime.StateRunning,
		onSuccess: "",
	},
}

// requireOutcome checks the phone's state, or that it does not exist when want is "".
func requireOutcome(t *testing.T, d *sim.Driver, id string, want runtime.State) {
	t.Helper()
	info, err := d.Phone(t.Context(), id)
	if want == "" {
		require.ErrorIs(t, err, runtime.ErrNotFound)
		return
	}
	require.NoError(t, err)
	require.Equal(t, want, info.State)
}

// setupFault returns a driver and a prepared phone for c.
func setupFault(t *testing.T, c opCase) (*sim.Driver, runtime.PhoneSpec) {
	t.Helper()
	d := newDriver(t, newConfig(t))
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	c.prepare(t, d, spec)
	return d, spec
}

func TestFaultError(t *testing.T) {
	t.Parallel()
	for _, c := range opCases {
		t.Run(string(c.op), func(t *testing.T) {
			t.Parallel()
			d, spec := setupFault(t, c)
			boom := errors.New("boom")
			d.SetFault(c.op, sim.Fault{Err: boom})
			err := c.call(t.Context(), d, spec)
			require.ErrorIs(t, err, boom)
			require.ErrorContains(t, err, string(c.op))
			requireOutcome(t, d, spec.ID, c.onFail)

			d.ClearFaults()
			require.NoError(t, c.call(t.Context(), d, spec), "repeating the step recovers")
			requireOutcome(t, d, spec.ID, c.onSuccess)
		})
	}
}

func TestFaultDelay(t *testing.T) {
	t.Parallel()
	const delay = 20 * time.Millisecond
	for _, c := range opCases {
		t.Run(string(c.op), func(t *testing.T) {
			t.Parallel()
			d, spec := setupFault(t, c)
			d.SetFault(c.op, sim.Fault{Delay: delay})
			begin := time.Now()
			require.NoError(t, c.call(t.Context(), d, spec))
			require.GreaterOrEqual(t, time.Since(begin), delay)
			requireOutcome(t, d, spec.ID, c.onSuccess)
		})
	}
}

func TestFaultDelayThenError(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	d.SetFault(sim.OpCreate, sim.Fault{Delay: 10 * time.Millisecond, Err: sim.ErrInjected})
	begin := time.Now()
	_, err := d.CreatePhone(t.Context(), phoneSpec("p", hostsOf(t, d)[0], 0, 20001))
	require.ErrorIs(t, err, sim.ErrInjected)
	require.GreaterOrEqual(t, time.Since(begin), 10*time.Millisecond)
}

func TestFaultHang(t *testing.T) {
	t.Parallel()
	for _, c := range opCases {
		t.Run(string(c.op), func(t *testing.T) {
			t.Parallel()
			d, spec := setupFault(t, c)
			d.SetFault(c.op, sim.Fault{Hang: true})
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			defer cancel()
			err := c.call(ctx, d, spec)
			require.ErrorIs(t, err, context.DeadlineExceeded)
			// The failed state proves the call got as far as the fault, not just its entry check.
			requireOutcome(t, d, spec.ID, c.onFail)
		})
	}
}

func TestFaultHangCancelled(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	create(t, d, spec)
	d.SetFault(sim.OpStop, sim.Fault{Hang: true})

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- d.StopPhone(ctx, spec.ID) }()
	// Phone answers while the stop hangs: a stuck operation holds no lock.
	requireState(t, d, spec.ID, runtime.StateRunning)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	requireState(t, d, spec.ID, runtime.StateRunning)
}

func TestFaultTimes(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	create(t, d, spec)
	d.SetFault(sim.OpRestart, sim.Fault{Err: sim.ErrInjected, Times: 2})
	for i := range 2 {
		require.ErrorIs(t, d.RestartPhone(t.Context(), spec), sim.ErrInjected, "call %d", i)
		requireState(t, d, spec.ID, runtime.StateFailed)
	}
	require.NoError(t, d.RestartPhone(t.Context(), spec), "the fault disarmed itself")
	requireState(t, d, spec.ID, runtime.StateRunning)
}

func TestFaultTimesConcurrent(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	host := hostsOf(t, d)[0]
	d.SetFault(sim.OpCreate, sim.Fault{Err: sim.ErrInjected, Times: 5})
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		failed int
	)
	for i := range 20 {
		wg.Go(func() {
			_, err := d.CreatePhone(t.Context(), phoneSpec("p"+strconv.Itoa(i), host, i, 20000+i))
			if errors.Is(err, sim.ErrInjected) {
				mu.Lock()
				failed++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	require.Equal(t, 5, failed, "a fault fires exactly Times times")
}

func TestFaultPerPhone(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	host := hostsOf(t, d)[0]
	a, b := phoneSpec("a", host, 0, 20001), phoneSpec("b", host, 1, 20002)
	create(t, d, a)
	create(t, d, b)

	d.SetFault(sim.OpStop, sim.Fault{Err: errors.New("stuck"), PhoneID: "a"})
	require.Error(t, d.StopPhone(t.Context(), "a"))
	require.NoError(t, d.StopPhone(t.Context(), "b"))

	// A phone's own fault wins over the fault for every phone.
	everyone, own := errors.New("everyone"), errors.New("own")
	d.SetFault(sim.OpStart, sim.Fault{Err: everyone})
	d.SetFault(sim.OpStart, sim.Fault{Err: own, PhoneID: "b"})
	require.ErrorIs(t, d.StartPhone(t.Context(), "b"), own)
	d.SetFault(sim.OpStart, sim.Fault{PhoneID: "b"}) // replaced by a fault that only fires
	require.NoError(t, d.StartPhone(t.Context(), "b"))
	requireState(t, d, "b", runtime.StateRunning)
}

func TestFaultSkipsNoOps(t *testing.T) {
	t.Parallel()
	d := newDriver(t, newConfig(t))
	spec := phoneSpec("p", hostsOf(t, d)[0], 0, 20001)
	create(t, d, spec)
	for _, op := range []sim.Op{sim.OpCreate, sim.OpStart, sim.OpStop, sim.OpRemove} {
		d.SetFault(op, sim.Fault{Err: sim.ErrInjected})
	}
	// Repeating a step that already took effect succeeds, as the job engine relies on.
	_, err := d.CreatePhone(t.Context(), spec)
	require.NoError(t, err)
	require.NoError(t, d.StartPhone(t.Context(), spec.ID))
	require.NoError(t, d.RemovePhone(t.Context(), "unknown"))
	requireState(t, d, spec.ID, runtime.StateRunning)
}

func TestFaultFromConfig(t *testing.T) {
	t.Parallel()
	d, err := runtime.New("sim", map[string]any{
		"data_dir":        t.TempDir(),
		"loopback_prefix": loopbackPrefix(),
		"hosts":           []any{map[string]any{"server_model_name": modelKG, "count": 1}},
		"faults":          []any{map[string]any{"op": "create", "error": "no capacity", "times": 1}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, d.(*sim.Driver).Close()) })
	hosts, err := d.Hosts(t.Context())
	require.NoError(t, err)
	spec := phoneSpec("p", hosts[0], 0, 20001)
	_, err = d.CreatePhone(t.Context(), spec)
	require.ErrorIs(t, err, sim.ErrInjected)
	require.ErrorContains(t, err, "no capacity")
	_, err = d.CreatePhone(t.Context(), spec)
	require.NoError(t, err)
}

func TestNewRejectsUnknownOp(t *testing.T) {
	t.Parallel()
	cfg := newConfig(t)
	cfg.Faults = []sim.FaultRule{{Op: "explode"}}
	_, err := sim.New(cfg)
	require.ErrorContains(t, err, "explode")
}
