// Package runtime is the boundary between the control plane and the machines that run phones. A
// Driver provisions, starts, stops, restarts, resets and removes phones on its hosts; everything
// inside a running phone goes through its adb endpoint, the same way for every driver.
//
// Every method must be safe to repeat: the job engine re-runs a step whose worker died, so
// creating a phone that exists, stopping a stopped one or removing a removed one succeeds.
package runtime

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
)

// ErrNotFound reports a phone or host the driver does not know.
var ErrNotFound = errors.New("runtime: not found")

// State is what a driver reports of a phone.
type State string

// Phone states as the driver sees them; the control plane maps them to API statuses.
const (
	StateRunning State = "running"
	StateStopped State = "stopped"
	StateFailed  State = "failed"
)

// Host is a machine a driver can place one server's phones on.
type Host struct {
	ID              string
	ServerModelName string
	ServerIP        string // the intranet address clients and the control plane reach the host by
	PublicIP        string
}

// PhoneSpec is everything a driver needs to create or re-create a phone.
type PhoneSpec struct {
	ID         string
	HostID     string
	Index      int // position on the host, from 0
	ImageID    string
	ImageRef   string // the driver's own reference for the image: a container image, a template
	Model      PhoneModel
	IMEI       string
	Properties map[string]string
	// Ports maps each forwarded in-phone port to the host port handed out for it; the adb port
	// (5555) is always present.
	Ports map[int]int
}

// PhoneModel is the part of a phone model a driver sizes a phone by.
type PhoneModel struct {
	Name       string
	CPU        int
	MemoryGiB  int
	DiskGiB    int
	Resolution string // "720x1280"
	DPI        int
}

// PhoneInfo is what a driver reports of a phone it runs.
type PhoneInfo struct {
	ID      string
	State   State
	PhoneIP string // the phone's own address on its host's network
	// ADBAddr is host:port where the control plane reaches the phone's adbd.
	ADBAddr string
}

// Driver runs phones on hosts. All methods take a context that bounds their I/O.
type Driver interface {
	// Name is the driver's registry name, as configured ("sim", "docker").
	Name() string
	// Hosts lists the hosts the driver offers to the inventory.
	Hosts(ctx context.Context) ([]Host, error)
	// CreatePhone creates and starts a phone; creating an existing phone returns its info.
	CreatePhone(ctx context.Context, spec PhoneSpec) (PhoneInfo, error)
	// StartPhone starts a stopped phone; a running one is left running.
	StartPhone(ctx context.Context, id string) error
	// StopPhone stops a phone; a stopped one is left stopped.
	StopPhone(ctx context.Context, id string) error
	// RestartPhone stops and starts a phone, switching image and properties to those of spec and
	// keeping its data.
	RestartPhone(ctx context.Context, spec PhoneSpec) error
	// ResetPhone re-creates a phone from spec with its data wiped.
	ResetPhone(ctx context.Context, spec PhoneSpec) error
	// RemovePhone deletes a phone and its data; removing an unknown phone succeeds.
	RemovePhone(ctx context.Context, id string) error
	// Phone reports a phone's state and addresses, or ErrNotFound.
	Phone(ctx context.Context, id string) (PhoneInfo, error)
}

// ImageCapturer is implemented by drivers that make custom phone images. It is optional: the
// control plane refuses to capture images on a driver without it, and boots imported images by
// their ImageRef alone.
type ImageCapturer interface {
	// CaptureImage copies a stopped phone's data into a new image and returns the ImageRef a later
	// CreatePhone or ResetPhone starts from. Capturing the same imageID again replaces the copy.
	CaptureImage(ctx context.Context, phoneID, imageID string) (CapturedImage, error)
	// CheckImageRef reports whether ref is an image reference the driver can boot from, so that an
	// operator's import fails at once rather than at the first phone.
	CheckImageRef(ctx context.Context, ref string) error
	// RemoveImage deletes what CaptureImage made for ref; references the driver did not make
	// (an operator's template, a registry image) are left alone, and removing twice succeeds.
	RemoveImage(ctx context.Context, ref string) error
}

// CapturedImage is what CaptureImage made.
type CapturedImage struct {
	Ref  string
	Size int64 // bytes
}

// BandwidthSetter is implemented by drivers that can cap a host's public bandwidth. It is
// optional: the control plane applies a bandwidth's new size (5.2.2) to the host of every server
// that uses it where the driver can, and only records it otherwise. Setting the same cap again
// succeeds.
type BandwidthSetter interface {
	SetBandwidth(ctx context.Context, hostID string, mbits int) error
}

// Factory builds a driver from its section of the configuration.
type Factory func(cfg map[string]any) (Driver, error)

var (
	mu        sync.Mutex
	factories = map[string]Factory{}
)

// Register makes a driver available by name; drivers register from their package's init.
func Register(name string, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	factories[name] = f
}

// New builds the named driver.
func New(name string, cfg map[string]any) (Driver, error) {
	mu.Lock()
	f, ok := factories[name]
	mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("runtime: unknown driver %q (have %v)", name, Names())
	}
	return f(cfg)
}

// Names lists the registered drivers.
func Names() []string {
	mu.Lock()
	defer mu.Unlock()
	names := make([]string, 0, len(factories))
	for n := range factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
