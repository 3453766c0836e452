package cph

import (
	"context"
	"errors"
	"fmt"

	"github.com/opencph/opencph/internal/adb"
	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/store"
)

// Config is the deployment's shape as the domain sees it.
type Config struct {
	Region string
	// AvailabilityZones a purchase may name; the first is the default.
	AvailabilityZones []string
	// ServerQuota is the most servers one project may hold (CPS.0065 beyond it).
	ServerQuota int
	// AccessPortMin and AccessPortMax bound the host ports handed out for phones' access entries.
	AccessPortMin, AccessPortMax int
	// ProvisionParallelism is how many phones of one server are created at once.
	ProvisionParallelism int
	// VPCCIDR and SubnetCIDR are reported for tenant networks, which OpenCPH does not manage.
	VPCCIDR, SubnetCIDR string
}

// KeypairLookup reports whether a keypair exists in a project; the IAM service answers it.
type KeypairLookup func(ctx context.Context, projectID, name string) (bool, error)

// Deps are the services the domain runs on.
type Deps struct {
	Store    store.Store
	Runtime  runtime.Driver
	Catalog  *Catalog
	Jobs     *job.Engine
	Keypairs KeypairLookup
	// ADB reaches phones' adbd for everything done inside them; nil dials without a key, which
	// devices with ro.adb.secure=0 (the simulator's default) admit.
	ADB *adb.Pool
}

// Service is the CPH domain: servers, phones, jobs and their rules, independent of HTTP.
type Service struct {
	cfg Config
	st  store.Store
	rt  runtime.Driver
	cat *Catalog
	eng *job.Engine
	kp  KeypairLookup
	// imgs caches the ready custom images phones boot from (see bootImage).
	imgs imageCache
	adb  *adb.Pool
	// cmd shortens the commands' time and rate bounds in tests; zero fields take the defaults.
	cmd commandLimits
}

// New builds the domain service and registers its job kinds with the engine.
func New(cfg Config, d Deps) *Service {
	if len(cfg.AvailabilityZones) == 0 {
		cfg.AvailabilityZones = []string{cfg.Region + "a"}
	}
	if cfg.ServerQuota <= 0 {
		cfg.ServerQuota = 100
	}
	if cfg.AccessPortMin <= 0 || cfg.AccessPortMax < cfg.AccessPortMin {
		cfg.AccessPortMin, cfg.AccessPortMax = 20000, 60000
	}
	if cfg.ProvisionParallelism <= 0 {
		cfg.ProvisionParallelism = 8
	}
	if cfg.VPCCIDR == "" {
		cfg.VPCCIDR = "192.168.0.0/16"
	}
	if cfg.SubnetCIDR == "" {
		cfg.SubnetCIDR = "192.168.0.0/24"
	}
	s := &Service{cfg: cfg, st: d.Store, rt: d.Runtime, cat: d.Catalog, eng: d.Jobs, kp: d.Keypairs}
	s.eng.Register(kindServerCreate, s.runServerCreate)
	s.registerServerOps()
	s.eng.Register(kindImageCreate, s.runImageCreate)
	s.eng.Register(kindPhoneRestart, s.runPhoneRestart)
	s.eng.Register(kindPhoneReset, s.runPhoneReset)
	s.eng.Register(kindPhoneStop, s.runPhoneStop)
	s.eng.Register(kindPhoneUpdateProperty, s.runPhoneUpdateProperty)
	s.eng.Register(kindPhoneTraffic, s.runPhoneTraffic)
	s.eng.Register(kindPhoneExpandVolume, s.runPhoneExpandVolume)
	s.adb = d.ADB
	if s.adb == nil {
		s.adb = adb.NewPool(adb.DialOptions{}, 0)
	}
	s.eng.Register(kindPhoneShell, s.runPhoneShell)
	s.eng.Register(kindPhoneUninstall, s.runPhoneUninstall)
	return s
}

// Catalog is the catalogue the service sells from.
func (s *Service) Catalog() *Catalog { return s.cat }

// SyncInventory registers the runtime's hosts, so that purchases can allocate them.
func (s *Service) SyncInventory(ctx context.Context) error {
	hosts, err := s.rt.Hosts(ctx)
	if err != nil {
		return fmt.Errorf("listing %s hosts: %w", s.rt.Name(), err)
	}
	rows := make([]store.Host, len(hosts))
	for i, h := range hosts {
		rows[i] = store.Host{ID: h.ID, Driver: s.rt.Name(), ServerModelName: h.ServerModelName,
			ServerIP: h.ServerIP, PublicIP: h.PublicIP}
	}
	if err := s.st.HostsUpsert(ctx, &store.HostsUpsertParams{Hosts: rows}); err != nil {
		return fmt.Errorf("registering hosts: %w", err)
	}
	return nil
}

// notFound maps store.ErrNotFound to the resource's own not-found code and wraps anything else.
func notFound(err error, code Code) error {
	if errors.Is(err, store.ErrNotFound) {
		return code.Err()
	}
	return err
}

// imageVersion is what a phone shows as image_version: its image's OS name ("AOSP 11").
func (s *Service) imageVersion(id string) string {
	if img, ok := s.bootImage(id); ok {
		return img.OSName
	}
	return ""
}
