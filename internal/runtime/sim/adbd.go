package sim

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/opencph/opencph/internal/adb"
	"github.com/opencph/opencph/internal/runtime"
	device "github.com/opencph/opencph/internal/sim"
)

// adbd is a running phone's adb daemon: a listener on the phone's ADBAddr and the device it
// serves. The device boots at the first connection, not when the phone starts, so that an idle
// phone holds one socket and one goroutine rather than a file tree's handle and its state; a boot
// applies the phone's spec, so the device a host meets is the one the spec describes either way.
// The driver starts an adbd whenever a phone comes up and stops it whenever the phone goes down
// (stop, restart, reset, removal, a reboot from inside), which drops the connections as powering
// a handset off does.
type adbd struct {
	ln       net.Listener
	cancel   context.CancelFunc
	done     chan struct{} // closed once the accept loop and every connection have ended
	log      *slog.Logger
	id, addr string // the phone's, for the log

	boot func() (*device.Device, error)
	mu   sync.Mutex // guards dev
	dev  *device.Device
}

// serialOf is the phone's ro.serialno. It is fixed by the phone's ID, so that a reset keeps it, as
// it does on a handset, and phones seeded from one image do not share it.
func serialOf(id string) string {
	sum := sha256.Sum256([]byte("opencph/sim/serial\x00" + id))
	return hex.EncodeToString(sum[:8])
}

// adbAddr is where phone p listens for adb as r describes it, or "" when its host is not on this
// machine.
func adbAddr(p *phone, r *record) string {
	port, ok := r.Ports[adbPort]
	if p.host == nil || !p.host.local || !ok {
		return ""
	}
	return net.JoinHostPort(p.host.ServerIP, strconv.Itoa(port))
}

// bringUp starts p as r describes it, after taking from its device the properties prev
// configured and r does not; if the phone cannot come up, r is failed. The caller holds p.mu.
func (d *Driver) bringUp(p *phone, prev map[string]string, r *record) error {
	d.halt(p)
	err := d.dropProperties(r.ID, prev, r.Properties)
	if err == nil {
		err = d.up(p, r)
	}
	if err != nil {
		r.State = runtime.StateFailed
	}
	return err
}

// up starts p's adbd as r describes it; the caller holds p.mu. A phone whose host is not local
// serves nothing; a phone whose address cannot be bound (another process has the port) fails to
// come up, which the operation reports.
func (d *Driver) up(p *phone, r *record) error {
	d.halt(p)
	addr := adbAddr(p, r)
	if addr == "" {
		return nil
	}
	if d.closed.Load() {
		return errors.New("serve adb: the driver is closed")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("serve adb on %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &adbd{ln: ln, cancel: cancel, done: make(chan struct{}), log: d.log, id: r.ID, addr: addr}
	dir := d.deviceDir(r.ID)
	cfg := device.Config{
		Model: r.Model.Name, IMEI: r.IMEI, Serial: serialOf(r.ID),
		Resolution: r.Model.Resolution, DPI: r.Model.DPI, DiskGiB: r.Model.DiskGiB,
		OnReboot: func() { d.reboot(p, a) },
	}
	props := r.Properties // a record's maps are replaced, never changed in place (record.apply)
	a.boot = func() (*device.Device, error) {
		dev, err := device.New(dir, cfg)
		if err != nil {
			return nil, err
		}
		if len(props) > 0 {
			if err := dev.SetProperties(props); err != nil {
				dev.Close()
				return nil, err
			}
		}
		return dev, nil
	}
	p.adbd = a
	go a.run(ctx)
	return nil
}

// halt stops p's adbd, if any, and waits until its connections are gone; the caller holds p.mu.
func (d *Driver) halt(p *phone) {
	a := p.adbd
	if a == nil {
		return
	}
	p.adbd = nil
	a.cancel()
	a.ln.Close()
	<-a.done
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dev != nil {
		if err := a.dev.Close(); err != nil {
			a.log.Warn("sim: closing device", "phone", a.id, "err", err)
		}
		a.dev = nil
	}
}

// reboot is the shell's reboot inside a phone: the phone comes down and up again in place, unless
// an operation has taken it down or up meanwhile.
func (d *Driver) reboot(p *phone, a *adbd) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.removed || p.adbd != a {
		return
	}
	a.log.Info("sim: phone rebooting", "phone", a.id)
	if err := d.up(p, &p.rec); err != nil {
		d.failLoaded(p, err)
	}
}

// failLoaded records that a phone the driver holds as running could not come up by itself (at
// load, after a reboot): the phone is failed until an operation brings it up again. The caller
// holds p.mu.
func (d *Driver) failLoaded(p *phone, err error) {
	d.log.Error("sim: phone cannot serve adb; it is failed", "phone", p.rec.ID, "err", err)
	r := p.rec
	r.State = runtime.StateFailed
	if werr := d.writeRecord(&r); werr != nil {
		d.log.Error("sim: recording failed phone", "phone", p.rec.ID, "err", werr)
		return
	}
	p.rec = r
}

// resume serves the phones a previous driver left running, as a host that powers up again
// brings its phones back.
func (d *Driver) resume() {
	for _, p := range d.phones {
		p.mu.Lock()
		if p.rec.State == runtime.StateRunning {
			if err := d.up(p, &p.rec); err != nil {
				d.failLoaded(p, err)
			}
		}
		p.mu.Unlock()
	}
}

// Close stops every phone's adb endpoint, as if the machine were switched off; the phones keep
// their recorded states, so a driver made again over the data directory serves them again. The
// driver must not be used afterwards.
func (d *Driver) Close() error {
	d.closed.Store(true)
	d.mu.RLock()
	phones := make([]*phone, 0, len(d.phones))
	for _, p := range d.phones {
		phones = append(phones, p)
	}
	d.mu.RUnlock()
	for _, p := range phones {
		p.mu.Lock()
		d.halt(p)
		p.mu.Unlock()
	}
	return nil
}

// dropProperties removes from the phone's device the properties the control plane configured
// before and no longer does, so that they return to the image's values at the next boot; a
// device that never booted has none. The caller holds p.mu, with the phone down.
//
// Removing them at the next boot is not enough: a boot applies the configured properties over
// the persisted ones and cannot tell which of those the control plane has dropped.
func (d *Driver) dropProperties(id string, before, after map[string]string) error {
	gone := map[string]string{}
	for k := range before {
		if _, ok := after[k]; !ok {
			gone[k] = ""
		}
	}
	if len(gone) == 0 {
		return nil
	}
	dir := d.deviceDir(id)
	if _, err := os.Stat(filepath.Join(dir, "device.json")); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	dev, err := device.New(dir, device.Config{Serial: serialOf(id)})
	if err != nil {
		return err
	}
	return errors.Join(dev.SetProperties(gone), dev.Close())
}

// run accepts connections until the adbd is halted, then waits for them to end.
func (a *adbd) run(ctx context.Context) {
	defer close(a.done)
	var wg sync.WaitGroup
	defer wg.Wait()
	backoff := time.Duration(0)
	for {
		nc, err := a.ln.Accept()
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait and accept again, as net/http does,
			// rather than leave the phone deaf.
			backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
			a.log.Warn("sim: adb accept", "phone", a.id, "addr", a.addr, "err", err, "retry_in", backoff)
			if sleep(ctx, backoff) != nil {
				return
			}
			continue
		}
		backoff = 0
		wg.Go(func() { a.serve(ctx, nc) })
	}
}

// serve runs the device side of one connection, booting the device if it is the first.
func (a *adbd) serve(ctx context.Context, nc net.Conn) {
	dev, err := a.device()
	if err != nil {
		a.log.Error("sim: device does not boot", "phone", a.id, "err", err)
		nc.Close()
		return
	}
	opts := dev.ServeOptions()
	opts.Logger = a.log
	if err := adb.ServeConn(ctx, nc, dev, opts); err != nil {
		a.log.Debug("sim: adb connection ended", "phone", a.id, "remote", nc.RemoteAddr().String(), "err", err)
	}
}

func (a *adbd) device() (*device.Device, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.dev == nil {
		dev, err := a.boot()
		if err != nil {
			return nil, err
		}
		a.dev = dev
	}
	return a.dev, nil
}
