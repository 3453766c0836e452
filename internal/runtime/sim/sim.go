// Package sim is the simulated runtime: hosts and phones that live in the control plane's own
// process, so that `cph serve` runs a whole fleet with nothing installed and tests run the real job
// engine against phones that boot, fail and hang on demand.
//
// A simulated phone is a record in memory mirrored to a small state file under the data directory,
// and, while it runs, a real adb device (internal/sim) on its ADBAddr, so that everything inside
// it goes through adb as it does on every other driver. An idle running phone costs its listener
// and the one goroutine that accepts on it; its device boots at the first connection (adbd.go),
// so one process holds tens of thousands. Its data is a real directory that restart keeps and
// reset wipes.
package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencph/opencph/internal/runtime"
)

// Name is the driver's registry name.
const Name = "sim"

func init() {
	runtime.Register(Name, func(m map[string]any) (runtime.Driver, error) {
		cfg, err := ParseConfig(m)
		if err != nil {
			return nil, err
		}
		return New(cfg)
	})
}

// Driver runs simulated phones on simulated hosts. It is safe for concurrent use; operations on
// different phones proceed in parallel, and concurrent operations on one phone (which the control
// plane refuses with CPS.0349 anyway) each complete, the last one's outcome standing.
type Driver struct {
	dataDir  string
	bootTime time.Duration
	log      *slog.Logger
	hosts    []runtime.Host
	hostByID map[string]*host // fixed after New

	mu     sync.RWMutex
	phones map[string]*phone

	faultMu sync.Mutex
	faults  map[faultKey]Fault

	journal *journal // nil unless Config.Journal

	closed atomic.Bool // set by Close: no phone serves adb again
}

// host is a simulated machine; number is its position in the configuration, which places its
// phones' in-host addresses. local says whether its address is one of this machine's, which
// its phones' adb endpoints can listen on.
type host struct {
	runtime.Host
	number int
	local  bool
}

// phone is one simulated phone. mu serialises its file I/O and guards rec, removed and adbd; it
// is never held while an operation waits on its boot time or a fault.
type phone struct {
	mu      sync.Mutex
	removed bool // set once its files are gone; a lookup that finds it treats it as absent
	host    *host
	rec     record
	adbd    *adbd // serving while the phone runs on a local host; nil otherwise
}

var _ runtime.Driver = (*Driver)(nil)

// New builds a driver over cfg.DataDir, reloading the phones a previous driver left there; those
// that ran serve adb again. Close releases their endpoints.
func New(cfg Config) (*Driver, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("sim: config: data_dir is required")
	}
	if cfg.BootTime < 0 {
		return nil, fmt.Errorf("sim: config: boot_time %s is negative", cfg.BootTime)
	}
	d := &Driver{
		dataDir:  cfg.DataDir,
		bootTime: cfg.BootTime,
		log:      cfg.Logger,
		hostByID: map[string]*host{},
		phones:   map[string]*phone{},
		faults:   map[faultKey]Fault{},
	}
	if d.log == nil {
		d.log = slog.Default()
	}
	if err := d.buildHosts(cfg.Hosts, cfg.LoopbackPrefix); err != nil {
		return nil, fmt.Errorf("sim: config: %w", err)
	}
	for i, r := range cfg.Faults {
		if !r.Op.valid() {
			return nil, fmt.Errorf("sim: config: faults[%d]: op %q: want one of %v", i, r.Op, ops)
		}
		d.SetFault(r.Op, r.Fault)
	}
	if err := d.load(); err != nil {
		return nil, fmt.Errorf("sim: %w", err)
	}
	if cfg.Journal {
		j, err := openJournal(cfg.DataDir, d.log.Error)
		if err != nil {
			return nil, fmt.Errorf("sim: %w", err)
		}
		d.journal = j
	}
	d.resume()
	return d, nil
}

// buildHosts lays out the host pools. A host's ID depends only on its server model and its
// position among that model's hosts, so it survives restarts and data directory moves, and the
// inventory keeps recognising it.
func (d *Driver) buildHosts(pools []HostPool, loopback string) error {
	if loopback == "" {
		loopback = "127.0"
	}
	if a, err := netip.ParseAddr(loopback + ".1.1"); err != nil || !a.Is4() || !a.IsLoopback() {
		return fmt.Errorf("loopback_prefix %q: want two octets under 127, such as \"127.3\"", loopback)
	}
	perModel := map[string]int{}
	seenIP := map[string]bool{}
	number := 0
	for i, p := range pools {
		if p.ServerModelName == "" {
			return fmt.Errorf("hosts[%d]: server_model_name is required", i)
		}
		if p.Count < 1 {
			return fmt.Errorf("hosts[%d]: count %d: want at least 1", i, p.Count)
		}
		for j := range p.Count {
			var ip string
			var err error
			if p.IPPrefix != "" {
				ip, err = hostAddr(p.IPPrefix, j)
			} else {
				// Every host gets its own loopback address, from 127.0.1.1 (or the configured
				// prefix's .1.1) up, so that its phones can bind the same ports as other hosts'
				// phones on the real machine (Linux routes all of 127/8 to lo).
				ip, err = hostAddr(loopback, number+254)
			}
			if err != nil {
				return fmt.Errorf("hosts[%d]: %w", i, err)
			}
			if seenIP[ip] {
				return fmt.Errorf("hosts[%d]: address %s is taken by another host", i, ip)
			}
			seenIP[ip] = true
			h := &host{Host: runtime.Host{
				ID:              hostID(p.ServerModelName, perModel[p.ServerModelName]),
				ServerModelName: p.ServerModelName,
				ServerIP:        ip,
				PublicIP:        ip,
			}, number: number, local: netip.MustParseAddr(ip).IsLoopback()}
			perModel[p.ServerModelName]++
			number++
			d.hosts = append(d.hosts, h.Host)
			d.hostByID[h.ID] = h
		}
	}
	return nil
}

// hostID derives a stable 32-hex-character ID, the form of every ID in the CPH API.
func hostID(model string, index int) string {
	sum := sha256.Sum256([]byte("opencph/sim/host\x00" + model + "\x00" + strconv.Itoa(index)))
	return hex.EncodeToString(sum[:16])
}

// hostAddr returns the n-th IPv4 address under prefix (one to three octets), skipping addresses
// whose last octet is 0 or 255, which hosts must not have.
func hostAddr(prefix string, n int) (string, error) {
	parts := strings.Split(strings.TrimSuffix(prefix, "."), ".")
	if len(parts) < 1 || len(parts) > 3 {
		return "", fmt.Errorf("ip_prefix %q: want one to three octets, such as \"10.20.0\"", prefix)
	}
	var a [4]byte
	for i, s := range parts {
		v, err := strconv.ParseUint(s, 10, 8)
		if err != nil {
			return "", fmt.Errorf("ip_prefix %q: octet %q: %w", prefix, s, err)
		}
		a[i] = byte(v)
	}
	v := n
	a[3] = byte(1 + v%254)
	v /= 254
	for i := 2; i >= len(parts); i-- {
		a[i] = byte(v % 256)
		v /= 256
	}
	if v > 0 {
		return "", fmt.Errorf("ip_prefix %q has no room for host %d", prefix, n)
	}
	return netip.AddrFrom4(a).String(), nil
}

// Name implements runtime.Driver.
func (d *Driver) Name() string { return Name }

// get returns the live phone with id, or nil.
func (d *Driver) get(id string) *phone {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.phones[id]
}

// info reports p; the caller holds p.mu.
func (d *Driver) info(p *phone) runtime.PhoneInfo {
	pi := runtime.PhoneInfo{ID: p.rec.ID, State: p.rec.State}
	if p.host == nil {
		return pi
	}
	// Phones sit on a per-host network as real CPH phones do: 172.16.<host>.<index+2> for the
	// first 256 hosts of up to 253 phones each, wrapping within 172.16.0.0/12 beyond.
	off := uint32(p.host.number)*256 + uint32(p.rec.Index) + 2
	off &= 1<<20 - 1
	pi.PhoneIP = netip.AddrFrom4([4]byte{172, 16 | byte(off>>16), byte(off >> 8), byte(off)}).String()
	if port, ok := p.rec.Ports[adbPort]; ok {
		pi.ADBAddr = net.JoinHostPort(p.host.ServerIP, strconv.Itoa(port))
	}
	return pi
}

// adbPort is adbd's port inside a phone; its host port is the phone's ADB address.
const adbPort = 5555

// validateSpec checks what the sim relies on: an ID that is safe as a directory name, a known
// host and an adb port.
func (d *Driver) validateSpec(spec runtime.PhoneSpec) (*host, error) {
	if err := validateID(spec.ID); err != nil {
		return nil, err
	}
	h := d.hostByID[spec.HostID]
	if h == nil {
		return nil, fmt.Errorf("host %q: %w", spec.HostID, runtime.ErrNotFound)
	}
	if spec.Index < 0 {
		return nil, fmt.Errorf("index %d is negative", spec.Index)
	}
	if _, ok := spec.Ports[adbPort]; !ok {
		return nil, fmt.Errorf("spec has no host port for adb (%d)", adbPort)
	}
	if err := validatePorts(spec.Ports); err != nil {
		return nil, err
	}
	return h, nil
}

func validatePorts(ports map[int]int) error {
	for in, out := range ports {
		if in < 1 || in > 65535 || out < 1 || out > 65535 {
			return fmt.Errorf("port mapping %d->%d is out of range", in, out)
		}
	}
	return nil
}

// validateID accepts the characters of IDs and nothing that could climb out of the phone's
// directory.
func validateID(id string) error {
	if id == "" || len(id) > 64 {
		return fmt.Errorf("phone id %q: want 1 to 64 characters", id)
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_') {
			return fmt.Errorf("phone id %q: want letters, digits, '-' and '_' only", id)
		}
	}
	return nil
}
