package sim

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrInjected marks errors from faults armed through the configuration, so that logs and tests can
// tell a simulated failure from a real one.
var ErrInjected = errors.New("sim: injected fault")

// Op names a driver operation a fault can be armed for.
type Op string

// The operations faults can target, one per phone-changing Driver method.
const (
	OpCreate  Op = "create"
	OpStart   Op = "start"
	OpStop    Op = "stop"
	OpRestart Op = "restart"
	OpReset   Op = "reset"
	OpRemove  Op = "remove"
	// OpCapture is CaptureImage (image.go); a failed capture leaves the phone as it was.
	OpCapture Op = "capture"
)

var ops = []Op{OpCreate, OpStart, OpStop, OpRestart, OpReset, OpRemove, OpCapture}

func (o Op) valid() bool {
	for _, v := range ops {
		if o == v {
			return true
		}
	}
	return false
}

// Fault is what an armed operation does instead of, or before, its work: like the knobs of
// nomad's mock driver, it lets tests and demos make the fleet slow, stuck or broken on demand.
// A fault fires only when the operation has work to do, so a repeated call that would be a no-op
// (starting a running phone) still succeeds, as the job engine expects of idempotent steps.
//
// The effects apply in order: wait Delay, then hang if Hang, then fail with Err. A fault whose Err
// is nil and Hang false only slows the operation down.
//
// A failed create, start, restart or reset leaves the phone in StateFailed, as a phone that did
// not boot would be; a failed stop or remove leaves it as it was.
type Fault struct {
	// Err is returned (wrapped) by the operation.
	Err error
	// Delay is waited before the operation proceeds or fails; cancelling the context cuts it short.
	Delay time.Duration
	// Hang blocks the operation until its context is done, like a runtime that stopped answering.
	Hang bool
	// PhoneID limits the fault to one phone; empty arms it for every phone. A phone's own fault
	// takes precedence over the fault for every phone.
	PhoneID string
	// Times is how often the fault fires before it disarms itself; 0 means forever.
	Times int
}

type faultKey struct {
	op      Op
	phoneID string
}

// SetFault arms f for op, replacing the fault armed for the same op and f.PhoneID. It is safe to
// call while operations run; an operation already past its fault check is not affected.
func (d *Driver) SetFault(op Op, f Fault) {
	d.faultMu.Lock()
	defer d.faultMu.Unlock()
	d.faults[faultKey{op, f.PhoneID}] = f
}

// ClearFaults disarms every fault, including those from the configuration.
func (d *Driver) ClearFaults() {
	d.faultMu.Lock()
	defer d.faultMu.Unlock()
	clear(d.faults)
}

// take returns the fault that fires for op on phone id, counting it down.
func (d *Driver) take(op Op, id string) (Fault, bool) {
	d.faultMu.Lock()
	defer d.faultMu.Unlock()
	for _, k := range [2]faultKey{{op, id}, {op, ""}} {
		f, ok := d.faults[k]
		if !ok {
			continue
		}
		switch {
		case f.Times == 1:
			delete(d.faults, k)
		case f.Times > 1:
			g := f
			g.Times--
			d.faults[k] = g
		}
		return f, true
	}
	return Fault{}, false
}

// inject plays the fault armed for op on phone id, if any.
func (d *Driver) inject(ctx context.Context, op Op, id string) error {
	f, ok := d.take(op, id)
	if !ok {
		return nil
	}
	if err := sleep(ctx, f.Delay); err != nil {
		return err
	}
	if f.Hang {
		<-ctx.Done()
		return ctx.Err()
	}
	if f.Err != nil {
		return fmt.Errorf("%s fault: %w", op, f.Err)
	}
	return nil
}

// sleep waits for d or until ctx is done, whichever comes first.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
