package sim

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"

	"github.com/opencph/opencph/internal/runtime"
)

// stateFile is the name of a phone's persisted record inside its directory.
const stateFile = "state.json"

// recordVersion is bumped when record changes incompatibly, so an old driver refuses a newer file
// instead of misreading it.
const recordVersion = 1

// record is what a phone's state file holds: everything needed to report and re-create the phone
// after the control plane restarts. It is also the phone's in-memory state, so an idle phone costs
// one small struct and nothing else.
type record struct {
	Version    int               `json:"version"`
	ID         string            `json:"id"`
	HostID     string            `json:"host_id"`
	Index      int               `json:"index"`
	ImageID    string            `json:"image_id,omitempty"`
	ImageRef   string            `json:"image_ref,omitempty"`
	Model      modelRecord       `json:"model"`
	IMEI       string            `json:"imei,omitempty"`
	Properties map[string]string `json:"properties,omitempty"`
	Ports      map[int]int       `json:"ports"`
	State      runtime.State     `json:"state"`
	// DataGeneration counts resets: it changes exactly when the phone's data is wiped.
	DataGeneration uint64 `json:"data_generation"`
}

type modelRecord struct {
	Name       string `json:"name,omitempty"`
	CPU        int    `json:"cpu,omitempty"`
	MemoryGiB  int    `json:"memory_gib,omitempty"`
	DiskGiB    int    `json:"disk_gib,omitempty"`
	Resolution string `json:"resolution,omitempty"`
	DPI        int    `json:"dpi,omitempty"`
}

// newRecord copies spec so that later changes to the caller's maps cannot reach the phone.
func newRecord(spec runtime.PhoneSpec, hostID string) record {
	r := record{Version: recordVersion, ID: spec.ID, HostID: hostID, Index: spec.Index}
	r.apply(spec)
	return r
}

// apply takes a restart's or reset's image, model, identity and properties from spec; the host,
// the index and (when spec has none) the ports stay, because a phone does not move.
func (r *record) apply(spec runtime.PhoneSpec) {
	r.ImageID = spec.ImageID
	r.ImageRef = spec.ImageRef
	m := spec.Model
	r.Model = modelRecord{m.Name, m.CPU, m.MemoryGiB, m.DiskGiB, m.Resolution, m.DPI}
	r.IMEI = spec.IMEI
	r.Properties = nil
	if len(spec.Properties) > 0 {
		r.Properties = maps.Clone(spec.Properties)
	}
	if len(spec.Ports) > 0 {
		r.Ports = maps.Clone(spec.Ports)
	}
}

// A phone's directory, <DataDir>/phones/<id>, holds:
//
//	state.json   the driver's record of the phone
//	device/      the adb device's own directory (internal/sim): device.json, its state, and fs/,
//	             the file tree the phone sees from /
//	data         a link to device/fs/data, the phone's /data: what restart keeps, reset wipes
//	             (with the rest of device/), images capture and seed
//
// The link lets operators and tests find a phone's data where it has always been. device/ and
// its data are made when first needed (the device's first boot, a seed, a write), so a phone
// costs two entries in the file system until then.

// phoneDir is where a phone's state file and device live.
func (d *Driver) phoneDir(id string) string { return filepath.Join(d.dataDir, "phones", id) }

// deviceDir is the directory of the phone's adb device.
func (d *Driver) deviceDir(id string) string { return filepath.Join(d.phoneDir(id), "device") }

// dataDirOf is the phone's data: its /data, kept by restart, wiped by reset.
func (d *Driver) dataDirOf(id string) string { return filepath.Join(d.deviceDir(id), dataPath) }

// dataPath is the phone's /data under its device directory, and dataLink the name of the link to
// it in the phone's directory.
const (
	dataPath = "fs/data"
	dataLink = "data"
)

// writeRecord persists r atomically (write then rename) so that a crash leaves either the old or
// the new state, never half a file.
func (d *Driver) writeRecord(r *record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	dir := d.phoneDir(r.ID)
	tmp := filepath.Join(dir, stateFile+".tmp")
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, stateFile)); err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// makePhoneDir creates a fresh directory for a new phone, clearing what an interrupted earlier
// phone of the same ID may have left. It tries the common case first with as few system calls as
// it can, since creating thousands of phones is dominated by them.
func (d *Driver) makePhoneDir(id string) error {
	dir := d.phoneDir(id)
	err := os.Mkdir(dir, 0o750)
	if errors.Is(err, fs.ErrExist) {
		if err := os.RemoveAll(dir); err != nil {
			return fmt.Errorf("clear phone dir: %w", err)
		}
		err = os.Mkdir(dir, 0o750)
	}
	if errors.Is(err, fs.ErrNotExist) { // the first phone: no phones directory yet
		if err := os.MkdirAll(filepath.Dir(dir), 0o750); err != nil {
			return fmt.Errorf("create phones dir: %w", err)
		}
		err = os.Mkdir(dir, 0o750)
	}
	if err != nil {
		return fmt.Errorf("create phone dir: %w", err)
	}
	if err := os.Symlink(filepath.Join("device", dataPath), filepath.Join(dir, dataLink)); err != nil {
		return fmt.Errorf("create phone dir: %w", err)
	}
	return nil
}

// wipeData deletes the phone's device, its data with it, as a factory reset does: the device
// boots afresh from the phone's spec at its next connection.
func (d *Driver) wipeData(id string) error {
	if err := os.RemoveAll(d.deviceDir(id)); err != nil {
		return fmt.Errorf("wipe data: %w", err)
	}
	return nil
}

// upgradeLayout moves the data of a phone written before phones had a device (phones/<id>/data
// a directory) to its device's /data and links it; a phone already laid out is left alone.
func (d *Driver) upgradeLayout(id string) error {
	link := filepath.Join(d.phoneDir(id), dataLink)
	fi, err := os.Lstat(link)
	if err != nil || !fi.IsDir() {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(d.dataDirOf(id)), 0o750); err != nil {
		return fmt.Errorf("upgrade layout: %w", err)
	}
	if err := os.Rename(link, d.dataDirOf(id)); err != nil {
		return fmt.Errorf("upgrade layout: %w", err)
	}
	if err := os.Symlink(filepath.Join("device", dataPath), link); err != nil {
		return fmt.Errorf("upgrade layout: %w", err)
	}
	return nil
}

// removePhoneDir deletes the state file first, so that a removal cut short leaves no record that
// would bring the phone back on the next start, then the rest.
func (d *Driver) removePhoneDir(id string) error {
	dir := d.phoneDir(id)
	if err := os.Remove(filepath.Join(dir, stateFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove state: %w", err)
	}
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove phone dir: %w", err)
	}
	return nil
}

// load reads every phone's state file under the data directory. A directory without a readable
// state file is a phone whose creation or removal was cut short: it is skipped with a warning and
// cleared if a phone of that ID is created again.
func (d *Driver) load() error {
	root := filepath.Join(d.dataDir, "phones")
	entries, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read phones: %w", err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		path := filepath.Join(root, e.Name(), stateFile)
		b, err := os.ReadFile(path)
		if err != nil {
			d.log.Warn("sim: skipping phone without state", "dir", filepath.Dir(path), "err", err)
			continue
		}
		var r record
		if err := json.Unmarshal(b, &r); err != nil {
			d.log.Warn("sim: skipping phone with unreadable state", "file", path, "err", err)
			continue
		}
		if r.Version != recordVersion || r.ID != e.Name() {
			return fmt.Errorf("phone state %s: version %d, id %q: not written by this driver", path, r.Version, r.ID)
		}
		if err := d.upgradeLayout(r.ID); err != nil {
			return fmt.Errorf("phone %s: %w", r.ID, err)
		}
		h := d.hostByID[r.HostID]
		if h == nil {
			d.log.Warn("sim: phone's host is no longer configured; it has no addresses", "phone", r.ID, "host", r.HostID)
		} else {
			r.HostID = h.ID // share the host's string rather than keep a copy per phone
		}
		d.phones[r.ID] = &phone{rec: r, host: h}
	}
	return nil
}
