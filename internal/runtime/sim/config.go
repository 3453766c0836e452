package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"
)

// Config is the sim driver's configuration. The factory decodes it from the driver's section of
// cph.yaml; Go callers (tests, cph simphone) build it directly and call New.
type Config struct {
	// DataDir holds one directory per phone, <DataDir>/phones/<id>, with its state file and its
	// data; a driver started again over the same DataDir reports the same phones.
	DataDir string
	// BootTime is how long creating, starting, restarting and resetting a phone takes, so that the
	// control plane's transitional statuses can be observed; zero (the default) suits tests.
	BootTime time.Duration
	// Hosts are the simulated machines, in pools of one server model each.
	Hosts []HostPool
	// LoopbackPrefix is the first two octets ("127.0", the default) of the loopback addresses
	// of hosts without an IPPrefix: they are numbered from <prefix>.1.1. Every phone listens for
	// adb on its host's address, so two drivers that run on one machine at the same time (tests,
	// several control planes) need different prefixes lest their phones contend for one port.
	LoopbackPrefix string
	// Faults are armed when the driver starts, so that `cph serve` can run with a failing fleet.
	Faults []FaultRule
	// Logger receives warnings about state the driver skips on load and about phones' adb
	// endpoints (a phone that cannot serve, a device that does not boot); nil means slog.Default().
	Logger *slog.Logger
	// Journal appends every phone operation's begin and end to <DataDir>/ops.jsonl (journal.go),
	// for tests that check that operations on one phone never overlap; off by default.
	Journal bool
}

// HostPool is a number of identical simulated hosts of one server model.
type HostPool struct {
	ServerModelName string `json:"server_model_name"`
	Count           int    `json:"count"`
	// IPPrefix, such as "10.20.0", gives the pool's hosts addresses under that prefix instead of
	// their own loopback addresses; use it where addresses must look like a real intranet and
	// nothing needs to connect to them. Only addresses of this machine can be listened on, so the
	// phones of a host outside 127/8 serve no adb: their ADBAddr is reported but nothing answers.
	IPPrefix string `json:"ip_prefix,omitempty"`
}

// FaultRule arms a fault for one operation from the configuration.
type FaultRule struct {
	Op    Op
	Fault Fault
}

// configFile is Config as written in cph.yaml: durations as strings ("200ms"), errors as messages.
type configFile struct {
	DataDir        string      `json:"data_dir"`
	BootTime       string      `json:"boot_time"`
	Hosts          []HostPool  `json:"hosts"`
	LoopbackPrefix string      `json:"loopback_prefix"`
	Faults         []faultFile `json:"faults"`
	Journal        bool        `json:"journal"`
}

// faultFile is one entry of the faults list, named like nomad's mock driver knobs.
type faultFile struct {
	Op      string `json:"op"`
	Error   string `json:"error"`
	Delay   string `json:"delay"`
	Hang    bool   `json:"hang"`
	PhoneID string `json:"phone_id"`
	Times   int    `json:"times"`
}

// ParseConfig decodes the driver's configuration section. Unknown keys are rejected so that a
// misspelt knob fails loudly at start instead of silently doing nothing.
func ParseConfig(m map[string]any) (Config, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return Config{}, fmt.Errorf("sim: config: %w", err)
	}
	var f configFile
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return Config{}, fmt.Errorf("sim: config: %w", err)
	}
	cfg := Config{DataDir: f.DataDir, Hosts: f.Hosts, LoopbackPrefix: f.LoopbackPrefix, Journal: f.Journal}
	if cfg.BootTime, err = parseDuration(f.BootTime); err != nil {
		return Config{}, fmt.Errorf("sim: config: boot_time: %w", err)
	}
	for i, ff := range f.Faults {
		rule, err := ff.rule()
		if err != nil {
			return Config{}, fmt.Errorf("sim: config: faults[%d]: %w", i, err)
		}
		cfg.Faults = append(cfg.Faults, rule)
	}
	return cfg, nil
}

func (ff faultFile) rule() (FaultRule, error) {
	op := Op(ff.Op)
	if !op.valid() {
		return FaultRule{}, fmt.Errorf("op %q: want one of %v", ff.Op, ops)
	}
	delay, err := parseDuration(ff.Delay)
	if err != nil {
		return FaultRule{}, fmt.Errorf("delay: %w", err)
	}
	if ff.Times < 0 {
		return FaultRule{}, fmt.Errorf("times %d: want 0 (forever) or more", ff.Times)
	}
	f := Fault{Delay: delay, Hang: ff.Hang, PhoneID: ff.PhoneID, Times: ff.Times}
	if ff.Error != "" {
		f.Err = fmt.Errorf("%w: %s", ErrInjected, ff.Error)
	}
	return FaultRule{Op: op, Fault: f}, nil
}

// parseDuration reads a Go duration string; empty means zero.
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as \"200ms\": %w", err)
	}
	if d < 0 {
		return 0, fmt.Errorf("%s is negative", s)
	}
	return d, nil
}
