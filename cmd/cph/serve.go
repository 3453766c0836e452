package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/opencph/opencph/internal/adb"
	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/iam"
	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/runtime"
	_ "github.com/opencph/opencph/internal/runtime/sim" // registers the sim driver
	"github.com/opencph/opencph/internal/server"
	"github.com/opencph/opencph/internal/sshgw"
	"github.com/opencph/opencph/internal/store"
	"github.com/opencph/opencph/internal/store/sqlite"
)

// runServe starts the control plane and runs it until ctx is cancelled (SIGTERM, Ctrl-C), then
// drains in-flight requests and stops the job workers.
func runServe(ctx context.Context, args []string) error {
	cfg, err := loadConfig("serve", args)
	if err != nil {
		return err
	}
	setupLogging(cfg.LogLevel)
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data dir: %w", err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(cfg.DataDir, "cph.db"))
	if err != nil {
		return err
	}
	defer st.Close()

	catalog := cph.DefaultCatalog()
	if cfg.Catalog != "" {
		if catalog, err = cph.LoadCatalog(cfg.Catalog); err != nil {
			return err
		}
	}
	driver, err := newDriver(cfg, catalog)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		scheme := "http"
		if cfg.TLSCert != "" {
			scheme = "https"
		}
		endpoint = scheme + "://" + ln.Addr().String()
	}

	identity := iam.New(st, iam.Config{Region: cfg.Region, Endpoint: endpoint})
	creds, err := identity.Bootstrap(ctx, cfg.DataDir)
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	engine := job.New(st, job.Config{
		Workers: cfg.Jobs.Workers, PerServer: cfg.Jobs.PerServer,
		Lease: cfg.Jobs.Lease, Retention: cfg.Jobs.Retention, Classify: cph.ClassifyJobError,
	})
	adbKey, err := adb.LoadOrCreateKey(filepath.Join(cfg.DataDir, "adbkey"))
	if err != nil {
		return err
	}
	// Closed after the workers have stopped (defers run after the engine.Wait of every return).
	adbPool := adb.NewPool(adb.DialOptions{Key: adbKey}, 0)
	defer adbPool.Close()
	svc := cph.New(cph.Config{Region: cfg.Region, ServerQuota: cfg.ServerQuota}, cph.Deps{
		Store: st, Runtime: driver, Catalog: catalog, Jobs: engine, ADB: adbPool,
		Keypairs: func(ctx context.Context, projectID, name string) (bool, error) {
			_, err := identity.KeypairGet(ctx, projectID, name)
			if errors.Is(err, store.ErrNotFound) {
				return false, nil
			}
			return err == nil, err
		},
	})
	if err := svc.SyncInventory(ctx); err != nil {
		return err
	}

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	api := server.New(server.Config{CPH: svc, IAM: identity, Registry: reg, Ready: st.Ping})
	srv := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second}

	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	engine.Start(workCtx)
	gatewayDone, err := startSSHGateway(workCtx, cfg, svc)
	if err != nil {
		stopWork()
		engine.Wait()
		return err
	}

	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- srv.ServeTLS(ln, cfg.TLSCert, cfg.TLSKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	slog.Info("cph serving", "endpoint", endpoint, "region", cfg.Region, "runtime", driver.Name(),
		"data_dir", cfg.DataDir, "credentials", filepath.Join(cfg.DataDir, iam.CredentialsFile), "project_id", creds.ProjectID)

	select {
	case err := <-errc:
		stopWork()
		engine.Wait()
		<-gatewayDone
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down: draining requests")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		slog.Warn("drain incomplete", "err", err)
	}
	stopWork()
	engine.Wait()
	<-gatewayDone
	slog.Info("stopped")
	return nil
}

// startSSHGateway serves the SSH gateway when ssh_listen is set; the returned channel closes
// once it has stopped after ctx ends.
func startSSHGateway(ctx context.Context, cfg config, svc *cph.Service) (<-chan struct{}, error) {
	done := make(chan struct{})
	if cfg.SSHListen == "" {
		close(done)
		return done, nil
	}
	key, err := sshgw.LoadOrCreateHostKey(filepath.Join(cfg.DataDir, "ssh_host_ed25519_key"))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.SSHListen)
	if err != nil {
		return nil, fmt.Errorf("ssh listen: %w", err)
	}
	slog.Info("ssh gateway serving", "address", ln.Addr().String())
	go func() {
		defer close(done)
		if err := sshgw.New(key, svc).Serve(ctx, ln); err != nil {
			slog.Error("ssh gateway stopped", "err", err)
		}
	}()
	return done, nil
}

// newDriver builds the configured runtime driver; the sim driver gets a pool of hosts for every
// server model of the catalogue unless the configuration names its own.
func newDriver(cfg config, cat *cph.Catalog) (runtime.Driver, error) {
	switch cfg.Runtime {
	case "sim":
		hosts := make([]any, 0, len(cat.ServerModels))
		for _, m := range cat.ServerModels {
			hosts = append(hosts, map[string]any{"server_model_name": m.ServerModelName, "count": cfg.Sim.HostsPerModel})
		}
		faults := make([]any, len(cfg.Sim.Faults))
		for i, f := range cfg.Sim.Faults {
			faults[i] = f
		}
		return runtime.New("sim", map[string]any{
			"data_dir":        filepath.Join(cfg.DataDir, "sim"),
			"boot_time":       cfg.Sim.BootTime.String(),
			"hosts":           hosts,
			"faults":          faults,
			"journal":         cfg.Sim.Journal,
			"loopback_prefix": cfg.Sim.LoopbackPrefix,
		})
	}
	return runtime.New(cfg.Runtime, nil)
}

func setupLogging(level string) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l})))
}
