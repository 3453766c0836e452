package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/opencph/opencph/internal/runtime"
)

var _ runtime.BandwidthSetter = (*Driver)(nil)

// hostState is what a simulated host keeps about itself beyond its configuration: the bandwidth
// cap the control plane last set. It is a file, as a phone's record is, so that a cap outlives a
// restart of the control plane the way a real host's traffic shaping would.
type hostState struct {
	BandwidthMbit int `json:"bandwidth_mbit"`
}

// SetBandwidth implements runtime.BandwidthSetter. A simulated host shapes no traffic, so the cap
// is only recorded, where HostBandwidth reads it back.
func (d *Driver) SetBandwidth(ctx context.Context, hostID string, mbits int) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("sim: set bandwidth of host %s: %w", hostID, err)
	}
	if mbits < 1 {
		return fmt.Errorf("sim: set bandwidth of host %s: %d Mbit/s is not a bandwidth", hostID, mbits)
	}
	if d.hostByID[hostID] == nil {
		return fmt.Errorf("sim: set bandwidth of host %q: %w", hostID, runtime.ErrNotFound)
	}
	b, err := json.Marshal(hostState{BandwidthMbit: mbits})
	if err != nil {
		return fmt.Errorf("sim: set bandwidth of host %s: %w", hostID, err)
	}
	if err := writeAtomic(d.hostStateFile(hostID), b); err != nil {
		return fmt.Errorf("sim: set bandwidth of host %s: %w", hostID, err)
	}
	return nil
}

// HostBandwidth is the cap last set on a host in Mbit/s, or 0 when none was; an unknown host is
// runtime.ErrNotFound. Tests read it to check that a resize reached the runtime.
func (d *Driver) HostBandwidth(hostID string) (int, error) {
	if d.hostByID[hostID] == nil {
		return 0, fmt.Errorf("sim: bandwidth of host %q: %w", hostID, runtime.ErrNotFound)
	}
	b, err := os.ReadFile(d.hostStateFile(hostID))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sim: bandwidth of host %s: %w", hostID, err)
	}
	var st hostState
	if err := json.Unmarshal(b, &st); err != nil {
		return 0, fmt.Errorf("sim: bandwidth of host %s: %w", hostID, err)
	}
	return st.BandwidthMbit, nil
}

// hostStateFile is where a host's state lives; host ids are hex, safe as file names.
func (d *Driver) hostStateFile(hostID string) string {
	return filepath.Join(d.dataDir, "hosts", hostID+".json")
}

// writeAtomic writes b to path through a temporary file and a rename, so that a concurrent reader
// or a crash sees the old content or the new, never part of it.
func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(b)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return nil
}
