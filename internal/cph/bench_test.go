package cph_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/runtime/sim"
	"github.com/opencph/opencph/internal/store"
	"github.com/opencph/opencph/internal/store/sqlite"
)

// The fleet the restart benchmark seeds, as internal/server's BenchmarkPhoneAPI does: servers of
// a model whose phone model holds 100 phones, on an image of its label.
const (
	benchServerModel = "physical.rx2.32xlarge.4"
	benchPhoneModel  = "rc2.se"
	benchImage       = "20060220200717f201120a2300000e91"
	phonesPerServer  = 100
)

// benchEngines are the job engine settings measured: the defaults first (cmd/cph and job.New:
// 32 workers, 8 live leases per server), then fewer and more workers, and a per-server bound
// that binds (1 per server: 100 servers allow 100 jobs at once, so 128 workers cannot all run).
var benchEngines = []struct{ workers, perServer int }{
	{32, 8}, {8, 8}, {128, 8}, {128, 1},
}

// BenchmarkBatchRestart is the end-to-end throughput of issue 3: a batch restart of every phone
// of a 10,000-phone fleet on SQLite and the simulated runtime, through the same calls the HTTP
// handler makes. One round sends the restarts in batches of cph.MaxPhonesPerBatch through
// Service.RestartPhones (each batch one transaction that moves its phones to restarting and
// queues their jobs), then waits until the job engine has finished every job; jobs/s is the
// fleet size over the time from the first request to the commit of the last job's finish.
// submit-ms is the part of a round spent in the requests themselves, retries/round how many
// requests failed and were sent again, claims/round and claim-ms/round how often the engine
// claimed jobs and how long those calls took in all (they overlap the jobs that run meanwhile).
//
// Every sub-benchmark runs its own engine over the same seeded fleet, which each round leaves
// running again. -short uses 1,000 phones.
func BenchmarkBatchRestart(b *testing.B) {
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})))
	b.Cleanup(func() { slog.SetDefault(prev) })

	n := 10_000
	if testing.Short() {
		n = 1_000
	}
	f := newRestartFleet(b, n)
	for _, ec := range benchEngines {
		b.Run(fmt.Sprintf("phones=%d/workers=%d/per_server=%d", n, ec.workers, ec.perServer), func(b *testing.B) {
			svc := f.startEngine(b, job.Config{Workers: ec.workers, PerServer: ec.perServer, Classify: cph.ClassifyJobError})
			var submit time.Duration
			var retries int
			var last []string
			claims0, claimTime0 := f.counter.claims.Load(), f.counter.claimTime.Load()
			b.ResetTimer()
			for range b.N {
				s, r, requests := f.restartAll(b, svc)
				submit, retries, last = submit+s, retries+r, requests
			}
			b.StopTimer()
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "jobs/s")
			b.ReportMetric(float64(submit.Milliseconds())/float64(b.N), "submit-ms")
			b.ReportMetric(float64(retries)/float64(b.N), "retries/round")
			claims := f.counter.claims.Load() - claims0
			b.ReportMetric(float64(claims)/float64(b.N), "claims/round")
			b.ReportMetric(float64(f.counter.claimTime.Load()-claimTime0)/1e6/float64(b.N), "claim-ms/round")
			f.verify(b, last)
		})
	}
}

// restartFleet is a seeded store and simulated fleet, shared by the engine settings.
type restartFleet struct {
	st        store.Store
	counter   *finishCounter
	driver    *sim.Driver
	projectID string
	phoneIDs  []string
}

func newRestartFleet(b *testing.B, n int) *restartFleet {
	b.Helper()
	ctx := b.Context()
	dir := b.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "cph.db"))
	require.NoError(b, err)
	b.Cleanup(func() { _ = st.Close() })
	driver, err := sim.New(sim.Config{
		DataDir: filepath.Join(dir, "sim"),
		Hosts:   []sim.HostPool{{ServerModelName: benchServerModel, Count: n / phonesPerServer, IPPrefix: "10.20"}},
	})
	require.NoError(b, err)
	f := &restartFleet{st: st, counter: &finishCounter{Store: st}, driver: driver, projectID: store.NewID()}
	// An engine that is never started: only SyncInventory is wanted of this service.
	svc := cph.New(cph.Config{Region: "cn-local-1"}, cph.Deps{
		Store: st, Runtime: driver, Catalog: cph.DefaultCatalog(), Jobs: job.New(st, job.Config{Classify: cph.ClassifyJobError}),
	})
	require.NoError(b, svc.SyncInventory(ctx))

	start := time.Now()
	specs := f.seed(b, n)
	seeded := time.Since(start)
	// The sim driver must know the phones, since a restart of an unknown phone fails.
	next := make(chan runtime.PhoneSpec)
	errs := make(chan error, len(specs))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for spec := range next {
				if _, err := driver.CreatePhone(ctx, spec); err != nil {
					errs <- err
				}
			}
		})
	}
	for _, spec := range specs {
		next <- spec
	}
	close(next)
	wg.Wait()
	close(errs)
	require.NoError(b, <-errs)
	b.Logf("seeded %d phones in the store in %s, created them in the sim in %s",
		n, seeded.Round(time.Millisecond), (time.Since(start) - seeded).Round(time.Millisecond))
	return f
}

// seed stores n running phones in servers of 100, as a finished purchase leaves them (a host
// each, an adb port per phone), in transactions of 100 servers, and returns their specs.
func (f *restartFleet) seed(b *testing.B, n int) []runtime.PhoneSpec {
	b.Helper()
	ctx := b.Context()
	pm, ok := cph.DefaultCatalog().PhoneModel(benchPhoneModel)
	require.True(b, ok)
	require.Equal(b, phonesPerServer, pm.PhoneCapacity)
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	var specs []runtime.PhoneSpec
	servers := n / phonesPerServer
	for first := 0; first < servers; first += 100 {
		err := f.st.InTx(ctx, func(tx store.Store) error {
			for s := first; s < min(first+100, servers); s++ {
				got, err := f.seedServer(ctx, tx, s, base, pm)
				if err != nil {
					return err
				}
				specs = append(specs, got...)
			}
			return nil
		})
		require.NoError(b, err)
	}
	for _, s := range specs {
		f.phoneIDs = append(f.phoneIDs, s.ID)
	}
	require.Len(b, f.phoneIDs, n)
	return specs
}

func (f *restartFleet) seedServer(ctx context.Context, tx store.Store, s int, base time.Time, pm api.PhoneModel) ([]runtime.PhoneSpec, error) {
	id := store.NewID()
	host, err := tx.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: benchServerModel, ServerID: id})
	if err != nil {
		return nil, err
	}
	created := base.Add(time.Duration(s) * time.Millisecond)
	name := fmt.Sprintf("bench-%05d", s)
	if err := tx.ServerInsert(ctx, &store.Server{
		ID: id, ProjectID: f.projectID, Name: name, ServerModelName: benchServerModel,
		PhoneModelName: benchPhoneModel, ImageID: benchImage, Status: store.ServerRunning,
		AvailabilityZone: "cn-local-1a", VPCID: store.NewID(), VPCCIDR: "192.168.0.0/16",
		SubnetID: store.NewID(), SubnetCIDR: "192.168.0.0/24", NetworkVersion: "v2",
		EnterpriseProjectID: "0", OrderID: fmt.Sprintf("CS2501010000B%05d", s),
		ProductID: fmt.Sprintf("OFFI%018d", s), HostID: host.ID, BandwidthID: store.NewID(),
		EncodeServerStatus: cph.EncodeCreating, CreatedAt: created, UpdatedAt: created,
	}); err != nil {
		return nil, err
	}
	specs := make([]runtime.PhoneSpec, 0, phonesPerServer)
	for k := range phonesPerServer {
		imei, err := cph.NewIMEI(rand.Reader)
		if err != nil {
			return nil, err
		}
		ph := &store.Phone{
			ID: store.NewID(), ProjectID: f.projectID, ServerID: id,
			Name: fmt.Sprintf("%s-%04d", name, k+1), PhoneModelName: benchPhoneModel,
			ImageID: benchImage, Status: store.PhoneRunning, IMEI: imei, TrafficType: "direct",
			VolumeMode: pm.VolumeMode, VolumeType: "SSD", VolumeSize: pm.Disk, Index: k,
			CreatedAt: created.Add(time.Duration(k) * time.Microsecond), UpdatedAt: created,
		}
		if err := tx.PhoneInsert(ctx, ph); err != nil {
			return nil, err
		}
		port, err := tx.PortAllocate(ctx, &store.PortAllocateParams{
			HostID: host.ID, PhoneID: ph.ID, Name: "adb", Min: 20000, Max: 60000,
		})
		if err != nil {
			return nil, err
		}
		specs = append(specs, runtime.PhoneSpec{
			ID: ph.ID, HostID: host.ID, Index: k, ImageID: benchImage, IMEI: imei,
			Model: runtime.PhoneModel{Name: benchPhoneModel}, Ports: map[int]int{5555: port.Port},
		})
	}
	return specs, nil
}

// startEngine runs a job engine with cfg, and the service over it, until the benchmark ends. The
// engine finishes jobs through the counter, which tells restartAll when the last one ended.
func (f *restartFleet) startEngine(b *testing.B, cfg job.Config) *cph.Service {
	b.Helper()
	engine := job.New(f.counter, cfg)
	svc := cph.New(cph.Config{Region: "cn-local-1"}, cph.Deps{
		Store: f.st, Runtime: f.driver, Catalog: cph.DefaultCatalog(), Jobs: engine,
	})
	ctx, cancel := context.WithCancel(context.Background())
	engine.Start(ctx)
	b.Cleanup(func() { cancel(); engine.Wait() })
	return svc
}

// maxSubmitRetries bounds how often one batch is sent again after an error.
const maxSubmitRetries = 5

// restartAll restarts the whole fleet in batches of cph.MaxPhonesPerBatch and waits for the
// last job to finish. It returns how long the requests took, how many of them had to be sent
// again, and their request ids.
func (f *restartFleet) restartAll(b *testing.B, svc *cph.Service) (submit time.Duration, retries int, requests []string) {
	ctx := b.Context()
	done := f.counter.expect(len(f.phoneIDs))
	start := time.Now()
	for i := 0; i < len(f.phoneIDs); i += cph.MaxPhonesPerBatch {
		ids := f.phoneIDs[i:min(i+cph.MaxPhonesPerBatch, len(f.phoneIDs))]
		phones := make([]api.PhoneProperty, len(ids))
		for k, id := range ids {
			phones[k].PhoneID = id
		}
		rid := store.NewID()
		jobs, err := svc.RestartPhones(ctx, f.projectID, rid, &api.RestartCloudPhoneRequestBody{Phones: phones})
		for try := 1; err != nil && try <= maxSubmitRetries; try++ {
			// A refused request changed nothing (validation failed or the transaction did not
			// commit), so it is sent again as a client would; docs/BENCHMARKS.md says why it
			// happens.
			b.Logf("batch %d, try %d: %v", i/cph.MaxPhonesPerBatch, try, err)
			retries++
			jobs, err = svc.RestartPhones(ctx, f.projectID, rid, &api.RestartCloudPhoneRequestBody{Phones: phones})
		}
		if err != nil {
			b.Fatalf("batch %d: %v", i/cph.MaxPhonesPerBatch, err)
		}
		for _, j := range jobs {
			if j.JobID == "" {
				b.Fatalf("phone %s refused: %s %s", j.PhoneID, j.ErrorCode, j.ErrorMsg)
			}
		}
		requests = append(requests, rid)
	}
	submit = time.Since(start)
	select {
	case <-done:
	case <-time.After(30 * time.Minute):
		b.Fatalf("the jobs did not finish in 30 minutes")
	}
	return submit, retries, requests
}

// verify checks that the last round did what it claims: every job succeeded and every phone
// runs.
func (f *restartFleet) verify(b *testing.B, requests []string) {
	b.Helper()
	ctx := b.Context()
	for _, rid := range requests {
		jobs, total, err := f.st.JobList(ctx, &store.JobListParams{
			ProjectID: f.projectID, RequestIDs: []string{rid}, Page: store.Page{Limit: cph.MaxPhonesPerBatch},
		})
		require.NoError(b, err)
		require.Len(b, jobs, total)
		for _, j := range jobs {
			require.Equal(b, store.JobSuccess, j.Status, "job %s: %s %s", j.ID, j.ErrorCode, j.ExecuteMsg)
		}
	}
	running := store.PhoneRunning
	_, total, err := f.st.PhoneList(ctx, &store.PhoneListParams{ProjectID: f.projectID, Status: &running, Page: store.Page{Limit: 1}})
	require.NoError(b, err)
	require.Equal(b, len(f.phoneIDs), total)
}

// finishCounter is the store the engine runs on. It counts the jobs finished by each committed
// transaction, so the benchmark learns the instant the last job of a round ends without polling
// the database it measures, and it counts the engine's claims and the time they take, which is
// where a round's time goes (docs/BENCHMARKS.md).
type finishCounter struct {
	store.Store

	mu   sync.Mutex
	left int
	done chan struct{}

	claims    atomic.Int64
	claimTime atomic.Int64 // nanoseconds
}

func (c *finishCounter) JobClaim(ctx context.Context, p *store.JobClaimParams) ([]store.Job, error) {
	start := time.Now()
	jobs, err := c.Store.JobClaim(ctx, p)
	c.claims.Add(1)
	c.claimTime.Add(int64(time.Since(start)))
	return jobs, err
}

// expect arms the counter for n finishes; the channel closes at the n-th.
func (c *finishCounter) expect(n int) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.left, c.done = n, make(chan struct{})
	return c.done
}

func (c *finishCounter) InTx(ctx context.Context, fn func(store.Store) error) error {
	var n int
	err := c.Store.InTx(ctx, func(tx store.Store) error {
		n = 0 // a transaction the store runs again starts the count again
		return fn(&txFinishCounter{Store: tx, n: &n})
	})
	if err == nil && n > 0 {
		c.mu.Lock()
		c.left -= n
		if c.left == 0 && c.done != nil {
			close(c.done)
			c.done = nil
		}
		c.mu.Unlock()
	}
	return err
}

// txFinishCounter counts the successful JobFinish calls of one transaction.
type txFinishCounter struct {
	store.Store
	n *int
}

func (t *txFinishCounter) JobFinish(ctx context.Context, p *store.JobFinishParams) error {
	err := t.Store.JobFinish(ctx, p)
	if err == nil {
		*t.n++
	}
	return err
}
