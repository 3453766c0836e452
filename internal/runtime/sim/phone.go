package sim

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/opencph/opencph/internal/runtime"
)

// Hosts implements runtime.Driver: the configured pools, in configuration order.
func (d *Driver) Hosts(ctx context.Context) ([]runtime.Host, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("sim: hosts: %w", err)
	}
	return slices.Clone(d.hosts), nil
}

// CreatePhone implements runtime.Driver. It blocks for the boot time; a phone that fails to boot
// (an armed fault, a cancelled context, an adb address another process holds) is kept in
// StateFailed so the control plane can report and retry it, and creating it again boots it anew.
func (d *Driver) CreatePhone(ctx context.Context, spec runtime.PhoneSpec) (_ runtime.PhoneInfo, err error) {
	defer d.journal.begin(OpCreate, spec.ID)(&err)
	if err := ctx.Err(); err != nil {
		return runtime.PhoneInfo{}, wrap("create", spec.ID, err)
	}
	h, err := d.validateSpec(spec)
	if err != nil {
		return runtime.PhoneInfo{}, wrap("create", spec.ID, err)
	}
	if p := d.get(spec.ID); p != nil {
		p.mu.Lock()
		live := !p.removed && p.rec.State != runtime.StateFailed
		info := d.info(p)
		p.mu.Unlock()
		if live {
			return info, nil
		}
	}
	opErr := d.inject(ctx, OpCreate, spec.ID)
	if opErr == nil {
		opErr = sleep(ctx, d.bootTime)
	}
	state := runtime.StateRunning
	if opErr != nil {
		state = runtime.StateFailed
	}
	info, err := d.place(spec, h, state)
	if opErr != nil {
		if err != nil {
			opErr = errors.Join(opErr, err)
		}
		return runtime.PhoneInfo{}, wrap("create", spec.ID, opErr)
	}
	if err != nil {
		return runtime.PhoneInfo{}, wrap("create", spec.ID, err)
	}
	return info, nil
}

// place records a created phone in the given state. If another call created the phone meanwhile
// and it runs, that phone stands; a failed one is re-created from spec, keeping its data.
func (d *Driver) place(spec runtime.PhoneSpec, h *host, state runtime.State) (runtime.PhoneInfo, error) {
	for {
		d.mu.Lock()
		p := d.phones[spec.ID]
		if p == nil {
			p = &phone{host: h, rec: newRecord(spec, h.ID)}
			p.rec.State = state
			// Locking the new phone before publishing it makes every other operation on it wait
			// until its files exist; it cannot block, as nobody else has it yet.
			p.mu.Lock()
			d.phones[spec.ID] = p
			d.mu.Unlock()
			err := d.makePhoneDir(spec.ID)
			if err == nil {
				err = d.seedData(spec.ID, spec.ImageRef)
			}
			var upErr error
			if err == nil && state == runtime.StateRunning {
				upErr = d.bringUp(p, nil, &p.rec)
			}
			if err == nil {
				err = d.writeRecord(&p.rec)
			}
			if err != nil {
				d.halt(p)
				p.removed = true
				p.mu.Unlock()
				d.forget(spec.ID, p)
				return runtime.PhoneInfo{}, err
			}
			info := d.info(p)
			p.mu.Unlock()
			return info, upErr
		}
		d.mu.Unlock()

		p.mu.Lock()
		if p.removed {
			p.mu.Unlock()
			d.forget(spec.ID, p)
			continue
		}
		if p.rec.State != runtime.StateFailed {
			info := d.info(p)
			p.mu.Unlock()
			return info, nil
		}
		r := p.rec
		r.apply(spec)
		r.State = state
		var upErr error
		if state == runtime.StateRunning {
			upErr = d.bringUp(p, p.rec.Properties, &r)
		}
		err := d.writeRecord(&r)
		if err == nil {
			p.rec = r
			err = upErr
		} else {
			d.halt(p)
		}
		info := d.info(p)
		p.mu.Unlock()
		return info, err
	}
}

// StartPhone implements runtime.Driver. A phone that fails to boot is left in StateFailed.
func (d *Driver) StartPhone(ctx context.Context, id string) (err error) {
	defer d.journal.begin(OpStart, id)(&err)
	p, err := d.lookup(ctx, id)
	if err != nil {
		return wrap("start", id, err)
	}
	if st, err := d.stateOf(p); err != nil || st == runtime.StateRunning {
		return wrap("start", id, err)
	}
	return wrap("start", id, d.boot(ctx, OpStart, id, p, nil))
}

// StopPhone implements runtime.Driver. A failed stop leaves the phone as it was.
func (d *Driver) StopPhone(ctx context.Context, id string) (err error) {
	defer d.journal.begin(OpStop, id)(&err)
	p, err := d.lookup(ctx, id)
	if err != nil {
		return wrap("stop", id, err)
	}
	if st, err := d.stateOf(p); err != nil || st == runtime.StateStopped {
		return wrap("stop", id, err)
	}
	if err := d.inject(ctx, OpStop, id); err != nil {
		return wrap("stop", id, err)
	}
	return wrap("stop", id, d.commit(p, func(r *record) error {
		r.State = runtime.StateStopped
		return nil
	}))
}

// RestartPhone implements runtime.Driver: the phone takes spec's image, model, IMEI and
// properties and keeps its data, its host and its index; its adb connections drop. A restart that
// fails to boot leaves it in StateFailed with its previous spec; one whose adb address is taken,
// in StateFailed with the new spec.
func (d *Driver) RestartPhone(ctx context.Context, spec runtime.PhoneSpec) (err error) {
	defer d.journal.begin(OpRestart, spec.ID)(&err)
	p, err := d.lookupSpec(ctx, spec)
	if err != nil {
		return wrap("restart", spec.ID, err)
	}
	return wrap("restart", spec.ID, d.boot(ctx, OpRestart, spec.ID, p, func(r *record) error {
		r.apply(spec)
		return nil
	}))
}

// ResetPhone implements runtime.Driver: like RestartPhone, but the phone's data is wiped, as a
// factory reset wipes a handset; its serial stays. A reset that fails to boot leaves the phone in
// StateFailed with its data; one whose adb address is taken, in StateFailed with the data wiped.
func (d *Driver) ResetPhone(ctx context.Context, spec runtime.PhoneSpec) (err error) {
	defer d.journal.begin(OpReset, spec.ID)(&err)
	p, err := d.lookupSpec(ctx, spec)
	if err != nil {
		return wrap("reset", spec.ID, err)
	}
	return wrap("reset", spec.ID, d.boot(ctx, OpReset, spec.ID, p, func(r *record) error {
		if err := d.wipeData(r.ID); err != nil {
			return err
		}
		if err := d.seedData(r.ID, spec.ImageRef); err != nil {
			return err
		}
		r.apply(spec)
		r.DataGeneration++
		return nil
	}))
}

// RemovePhone implements runtime.Driver. Removing an unknown phone succeeds; a failed removal
// leaves the phone as it was.
func (d *Driver) RemovePhone(ctx context.Context, id string) (err error) {
	defer d.journal.begin(OpRemove, id)(&err)
	if err := ctx.Err(); err != nil {
		return wrap("remove", id, err)
	}
	p := d.get(id)
	if p == nil {
		return nil
	}
	if err := d.inject(ctx, OpRemove, id); err != nil {
		return wrap("remove", id, err)
	}
	p.mu.Lock()
	if p.removed {
		p.mu.Unlock()
		return nil
	}
	d.halt(p)
	if err := d.removePhoneDir(id); err != nil {
		if p.rec.State == runtime.StateRunning {
			if uerr := d.up(p, &p.rec); uerr != nil {
				d.failLoaded(p, uerr)
			}
		}
		p.mu.Unlock()
		return wrap("remove", id, err)
	}
	p.removed = true
	p.mu.Unlock()
	d.forget(id, p)
	return nil
}

// Phone implements runtime.Driver.
func (d *Driver) Phone(ctx context.Context, id string) (runtime.PhoneInfo, error) {
	p, err := d.lookup(ctx, id)
	if err != nil {
		return runtime.PhoneInfo{}, wrap("get", id, err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.removed {
		return runtime.PhoneInfo{}, wrap("get", id, runtime.ErrNotFound)
	}
	return d.info(p), nil
}

// WriteDataFile writes a file into a phone's data, where restart keeps it and reset wipes it. It
// lets the conformance suite check data handling without adb; name is relative to the phone's
// /data ("local/tmp/a.txt" is /data/local/tmp/a.txt inside it) and cannot leave it.
func (d *Driver) WriteDataFile(ctx context.Context, id, name string, data []byte) error {
	return wrap("write data of", id, d.withData(ctx, id, func(root *os.Root) error {
		if dir := filepath.Dir(name); dir != "." {
			if err := root.MkdirAll(dir, 0o750); err != nil {
				return err
			}
		}
		return root.WriteFile(name, data, 0o600)
	}))
}

// ReadDataFile reads a file from a phone's data; a missing file's error matches fs.ErrNotExist.
func (d *Driver) ReadDataFile(ctx context.Context, id, name string) ([]byte, error) {
	var b []byte
	err := d.withData(ctx, id, func(root *os.Root) error {
		var err error
		b, err = root.ReadFile(name)
		return err
	})
	return b, wrap("read data of", id, err)
}

// withData runs f on the phone's data directory while holding the phone, so that a reset or a
// removal cannot pull the directory away mid-way.
func (d *Driver) withData(ctx context.Context, id string, f func(*os.Root) error) error {
	p, err := d.lookup(ctx, id)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.removed {
		return runtime.ErrNotFound
	}
	if err := os.MkdirAll(d.dataDirOf(id), 0o750); err != nil {
		return err
	}
	root, err := os.OpenRoot(d.dataDirOf(id))
	if err != nil {
		return err
	}
	defer root.Close()
	return f(root)
}

// boot runs an operation that boots the phone: the armed fault, the boot time, then change and
// StateRunning, or StateFailed if any step fails.
func (d *Driver) boot(ctx context.Context, op Op, id string, p *phone, change func(*record) error) error {
	err := d.inject(ctx, op, id)
	if err == nil {
		err = sleep(ctx, d.bootTime)
	}
	if err != nil {
		ferr := d.commit(p, func(r *record) error {
			r.State = runtime.StateFailed
			return nil
		})
		if ferr != nil && !errors.Is(ferr, runtime.ErrNotFound) {
			return errors.Join(err, ferr)
		}
		return err
	}
	return d.commit(p, func(r *record) error {
		if change != nil {
			if err := change(r); err != nil {
				return err
			}
		}
		r.State = runtime.StateRunning
		return nil
	})
}

// commit changes a copy of p's record and persists it; memory follows only a successful write, so
// what the driver reports is always what a restarted driver would load. The phone goes down
// first, as a handset does when it is stopped, restarted or reset, and comes up again if the
// change leaves it running. A change that fails leaves the phone failed with its previous record;
// one that succeeds but cannot bring the phone up leaves it failed with the changed record, whose
// data it now has. A phone whose record cannot be written stays down.
func (d *Driver) commit(p *phone, change func(*record) error) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.removed {
		return runtime.ErrNotFound
	}
	d.halt(p)
	r := p.rec
	err := change(&r)
	switch {
	case err != nil:
		r = p.rec
		r.State = runtime.StateFailed
	case r.State == runtime.StateRunning:
		err = d.bringUp(p, p.rec.Properties, &r)
	}
	if werr := d.writeRecord(&r); werr != nil {
		d.halt(p)
		return errors.Join(err, werr)
	}
	p.rec = r
	return err
}

// lookup checks ctx and finds phone id.
func (d *Driver) lookup(ctx context.Context, id string) (*phone, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	p := d.get(id)
	if p == nil {
		return nil, runtime.ErrNotFound
	}
	return p, nil
}

// lookupSpec is lookup for the operations that take a new spec, which must keep an adb port.
func (d *Driver) lookupSpec(ctx context.Context, spec runtime.PhoneSpec) (*phone, error) {
	p, err := d.lookup(ctx, spec.ID)
	if err != nil {
		return nil, err
	}
	if len(spec.Ports) > 0 {
		if _, ok := spec.Ports[adbPort]; !ok {
			return nil, fmt.Errorf("spec has no host port for adb (%d)", adbPort)
		}
		if err := validatePorts(spec.Ports); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// stateOf reads p's state, or ErrNotFound once it is removed.
func (d *Driver) stateOf(p *phone) (runtime.State, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.removed {
		return "", runtime.ErrNotFound
	}
	return p.rec.State, nil
}

// forget drops p from the index once its files are gone, unless a new phone took its ID already.
func (d *Driver) forget(id string, p *phone) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.phones[id] == p {
		delete(d.phones, id)
	}
}

// wrap names the operation and phone in err; nil stays nil.
func wrap(op, id string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("sim: %s phone %s: %w", op, id, err)
}
