package server_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/iam"
	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/runtime/sim"
	"github.com/opencph/opencph/internal/server"
	"github.com/opencph/opencph/internal/store"
	"github.com/opencph/opencph/internal/store/sqlite"
)

// The fleet the benchmarks seed: a Kunpeng server model whose phone model holds 100 phones, so a
// server's page of GET phones?server_id=…&limit=100 is exactly full, with an image of its label.
const (
	benchRegion      = "cn-local-1"
	benchServerModel = "physical.rx2.32xlarge.4"
	benchPhoneModel  = "rc2.se"
	benchImage       = "20060220200717f201120a2300000e91"
	phonesPerServer  = 100
	// serversPerTx bounds each seeding transaction to 10,000 phones: few enough commits to be
	// fast, small enough that the WAL does not balloon.
	serversPerTx = 100
)

// benchClients are the client concurrencies measured: one client shows a request's own latency
// with nothing queued ahead of it; eight keep two cores saturated and show throughput (and the
// latency a client sees when the server is busy).
var benchClients = []int{1, 8}

// fleet is a running OpenCPH over a seeded store, with an admin token for its project.
type fleet struct {
	url       string
	token     string
	projectID string
	phoneIDs  []string
	serverIDs []string
}

// BenchmarkPhoneAPI measures GET phones/{id} and GET phones?server_id=…&limit=100 over real HTTP
// against the whole handler stack (routing, token authentication, authorization, SQLite, JSON),
// each next to a bare net/http handler that answers the same request with the same bytes, so
// the ratio is OpenCPH's own cost with the network, the client and net/http factored out.
//
// Each phones=N sub-benchmark seeds its store once: the testing package runs a benchmark that
// has sub-benchmarks exactly once, whatever -count or -cpu say, and its leaves reuse the fleet.
// -short skips the 100,000-phone fleet. With -v, each endpoint logs the size of the captured
// answer; OPENCPH_BENCH_DUMP=1 logs the answer itself, to see what both sides send.
func BenchmarkPhoneAPI(b *testing.B) {
	// serve logs JSON at info level; do the same (to nowhere) so the request path pays the same
	// logging checks and the output stays readable.
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo})))
	b.Cleanup(func() { slog.SetDefault(prev) })

	for _, n := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("phones=%d", n), func(b *testing.B) {
			if testing.Short() && n > 10_000 {
				b.Skip("-short: seeding 100,000 phones takes about 40 s")
			}
			f := startFleet(b, n)
			endpoints := []struct {
				name   string
				paths  []string
				verify func(b *testing.B, body []byte)
			}{
				{"get", f.getPaths(), f.verifyGet},
				{"list", f.listPaths(), f.verifyList},
			}
			for _, ep := range endpoints {
				b.Run(ep.name, func(b *testing.B) {
					body, ctype := f.capture(b, ep.paths[0])
					ep.verify(b, body)
					b.Logf("GET %s: %d bytes of %s", ep.paths[0], len(body), ctype)
					if os.Getenv("OPENCPH_BENCH_DUMP") != "" {
						b.Logf("%s", body)
					}
					bare := httptest.NewServer(bareHandler(body, ctype))
					b.Cleanup(bare.Close)
					for _, c := range benchClients {
						b.Run(fmt.Sprintf("clients=%d", c), func(b *testing.B) {
							b.Run("opencph", func(b *testing.B) { load(b, f.url, ep.paths, f.token, c) })
							b.Run("bare", func(b *testing.B) { load(b, bare.URL, ep.paths, f.token, c) })
						})
					}
				})
			}
		})
	}
}

// bareHandler is the baseline: it answers any request with body, as a handler that had the bytes
// ready would, with the headers OpenCPH sends (a fixed X-Request-Id of the same length).
func bareHandler(body []byte, ctype string) http.Handler {
	rid := store.NewID()
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Request-Id", rid)
		w.Header().Set("Content-Type", ctype)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
}

// load sends b.N GET requests from a fixed number of client goroutines over keep-alive
// connections, cycling through paths, and reports throughput and the p50/p99 latency.
func load(b *testing.B, base string, paths []string, token string, clients int) {
	// One keep-alive connection per client, as many SDK clients would hold.
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients, DisableCompression: true}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}
	urls := make([]string, len(paths))
	for i, p := range paths {
		urls[i] = base + p
	}
	lat := make([][]time.Duration, clients)
	for c := range lat {
		lat[c] = make([]time.Duration, 0, b.N/clients+1)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	for c := range clients {
		wg.Go(func() {
			mine := lat[c]
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					break
				}
				t0 := time.Now()
				if err := get(b.Context(), hc, urls[i%len(urls)], token); err != nil {
					b.Error(err)
					break
				}
				mine = append(mine, time.Since(t0))
			}
			lat[c] = mine
		})
	}
	wg.Wait()
	b.StopTimer()
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	b.ReportMetric(percentile(all, 0.50), "p50-µs")
	b.ReportMetric(percentile(all, 0.99), "p99-µs")
}

// get does one request and reads the whole answer, so the connection is reused.
func get(ctx context.Context, hc *http.Client, url, token string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set(iam.HeaderAuthToken, token)
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || n == 0 {
		return fmt.Errorf("GET %s: %s with %d bytes", url, resp.Status, n)
	}
	return nil
}

// percentile is the nearest-rank percentile of sorted durations, in microseconds.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return float64(sorted[max(i, 0)]) / float64(time.Microsecond)
}

// startFleet wires OpenCPH as cmd/cph/serve.go does (SQLite store, bootstrapped IAM, sim driver,
// job engine, cph service, server handler) behind a loopback HTTP server, seeds n phones and
// signs in as the bootstrap admin.
func startFleet(b *testing.B, n int) *fleet {
	b.Helper()
	ctx := b.Context()
	dir := b.TempDir()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "cph.db"))
	require.NoError(b, err)
	b.Cleanup(func() { _ = st.Close() })

	// The IAM service needs the endpoint before the server starts: take the listener first.
	ts := httptest.NewUnstartedServer(nil)
	b.Cleanup(ts.Close)
	identity := iam.New(st, iam.Config{Region: benchRegion, Endpoint: "http://" + ts.Listener.Addr().String()})
	_, err = identity.Bootstrap(ctx, dir)
	require.NoError(b, err)

	driver, err := sim.New(sim.Config{
		DataDir: filepath.Join(dir, "sim"),
		Hosts:   []sim.HostPool{{ServerModelName: benchServerModel, Count: n / phonesPerServer, IPPrefix: "10.20"}},
	})
	require.NoError(b, err)
	engine := job.New(st, job.Config{Classify: cph.ClassifyJobError}) // never started: GETs queue nothing
	svc := cph.New(cph.Config{Region: benchRegion}, cph.Deps{
		Store: st, Runtime: driver, Catalog: cph.DefaultCatalog(), Jobs: engine,
	})
	require.NoError(b, svc.SyncInventory(ctx))

	ts.Config.Handler = server.New(server.Config{CPH: svc, IAM: identity}).Handler()
	ts.Start()

	creds, err := iam.ReadCredentials(filepath.Join(dir, iam.CredentialsFile))
	require.NoError(b, err)
	f := &fleet{url: ts.URL, projectID: creds.ProjectID}
	start := time.Now()
	f.seed(b, st, n)
	b.Logf("seeded %d phones on %d servers in %s", n, len(f.serverIDs), time.Since(start).Round(time.Millisecond))
	f.token = signIn(b, ts.URL, creds)
	return f
}

// seed stores n running phones in servers of 100, as a finished purchase leaves them (a host
// each, an adb port per phone), straight through the store and a few big transactions, because
// provisioning 100,000 phones through the API and the job engine would dwarf the benchmark.
func (f *fleet) seed(b *testing.B, st store.Store, n int) {
	b.Helper()
	ctx := b.Context()
	cat := cph.DefaultCatalog()
	pm, ok := cat.PhoneModel(benchPhoneModel)
	require.True(b, ok, "phone model %s is not in the catalogue", benchPhoneModel)
	require.Equal(b, benchServerModel, pm.ServerModelName)
	require.Equal(b, phonesPerServer, pm.PhoneCapacity)
	_, ok = cat.Image(benchImage)
	require.True(b, ok, "image %s is not in the catalogue", benchImage)

	servers := n / phonesPerServer
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	for first := 0; first < servers; first += serversPerTx {
		err := st.InTx(ctx, func(tx store.Store) error {
			for s := first; s < min(first+serversPerTx, servers); s++ {
				id, err := f.seedServer(ctx, tx, s, base, pm)
				if err != nil {
					return err
				}
				f.serverIDs = append(f.serverIDs, id)
			}
			return nil
		})
		require.NoError(b, err)
	}
	require.Len(b, f.phoneIDs, n)
}

func (f *fleet) seedServer(ctx context.Context, tx store.Store, s int, base time.Time, pm api.PhoneModel) (string, error) {
	id := store.NewID()
	host, err := tx.HostAllocate(ctx, &store.HostAllocateParams{ServerModelName: benchServerModel, ServerID: id})
	if err != nil {
		return "", err
	}
	created := base.Add(time.Duration(s) * time.Millisecond)
	name := fmt.Sprintf("bench-%05d", s)
	srv := &store.Server{
		ID: id, ProjectID: f.projectID, Name: name, ServerModelName: benchServerModel,
		PhoneModelName: benchPhoneModel, ImageID: benchImage, Status: store.ServerRunning,
		AvailabilityZone: benchRegion + "a", VPCID: store.NewID(), VPCCIDR: "192.168.0.0/16",
		SubnetID: store.NewID(), SubnetCIDR: "192.168.0.0/24", NetworkVersion: "v2",
		EnterpriseProjectID: "0", OrderID: fmt.Sprintf("CS2501010000B%05d", s),
		ProductID: fmt.Sprintf("OFFI%018d", s), HostID: host.ID, BandwidthID: store.NewID(),
		EncodeServerStatus: cph.EncodeCreating, CreatedAt: created, UpdatedAt: created,
	}
	if err := tx.ServerInsert(ctx, srv); err != nil {
		return "", err
	}
	for k := range phonesPerServer {
		imei, err := cph.NewIMEI(rand.Reader)
		if err != nil {
			return "", err
		}
		// The address the sim driver gives phone k of host s: 172.16.<s>.<k+2>, wrapping in /12.
		off := (s*256 + k + 2) & (1<<20 - 1)
		ph := &store.Phone{
			ID: store.NewID(), ProjectID: f.projectID, ServerID: id,
			Name: fmt.Sprintf("%s-%04d", name, k+1), PhoneModelName: benchPhoneModel,
			ImageID: benchImage, Status: store.PhoneRunning, IMEI: imei, TrafficType: "direct",
			VolumeMode: pm.VolumeMode, VolumeType: "SSD", VolumeSize: pm.Disk,
			PhoneIP: fmt.Sprintf("172.%d.%d.%d", 16|off>>16, off>>8&0xff, off&0xff), Index: k,
			CreatedAt: created.Add(time.Duration(k) * time.Microsecond), UpdatedAt: created,
		}
		if err := tx.PhoneInsert(ctx, ph); err != nil {
			return "", err
		}
		if _, err := tx.PortAllocate(ctx, &store.PortAllocateParams{
			HostID: host.ID, PhoneID: ph.ID, Name: "adb", Min: 20000, Max: 60000,
		}); err != nil {
			return "", err
		}
		f.phoneIDs = append(f.phoneIDs, ph.ID)
	}
	return id, nil
}

// signIn gets a project-scoped token with the admin password from admin-credentials.json, as
// a CPH client that signs in with a password does.
func signIn(b *testing.B, url string, c *iam.Credentials) string {
	b.Helper()
	body, err := json.Marshal(map[string]any{"auth": map[string]any{
		"identity": map[string]any{
			"methods": []string{"password"},
			"password": map[string]any{"user": map[string]any{
				"name": c.UserName, "password": c.Password, "domain": map[string]any{"name": c.DomainName},
			}},
		},
		"scope": map[string]any{"project": map[string]any{"id": c.ProjectID}},
	}})
	require.NoError(b, err)
	resp, err := http.Post(url+"/v3/auth/tokens", "application/json", bytes.NewReader(body))
	require.NoError(b, err)
	defer resp.Body.Close()
	msg, _ := io.ReadAll(resp.Body)
	require.Equal(b, http.StatusCreated, resp.StatusCode, string(msg))
	tok := resp.Header.Get("X-Subject-Token")
	require.NotEmpty(b, tok)
	return tok
}

// getPaths hop through the fleet with a prime stride, so consecutive reads land on different
// pages of the table as independent clients' would.
func (f *fleet) getPaths() []string {
	const count, stride = 4096, 7919
	out := make([]string, count)
	for i := range out {
		out[i] = fmt.Sprintf("/v1/%s/cloud-phone/phones/%s", f.projectID, f.phoneIDs[(i*stride)%len(f.phoneIDs)])
	}
	return out
}

// listPaths page through every server's phones in turn.
func (f *fleet) listPaths() []string {
	out := make([]string, len(f.serverIDs))
	for i, id := range f.serverIDs {
		out[i] = fmt.Sprintf("/v1/%s/cloud-phone/phones?server_id=%s&limit=100", f.projectID, id)
	}
	return out
}

// capture does one OpenCPH request and returns its body and Content-Type for the bare handler.
func (f *fleet) capture(b *testing.B, path string) ([]byte, string) {
	b.Helper()
	req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, f.url+path, nil)
	require.NoError(b, err)
	req.Header.Set(iam.HeaderAuthToken, f.token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(b, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b, err)
	require.Equal(b, http.StatusOK, resp.StatusCode, string(body))
	require.Len(b, resp.Header.Get("X-Request-Id"), 32)
	return body, resp.Header.Get("Content-Type")
}

// verifyGet checks that the captured detail is the phone asked for, with its adb entry, so the
// benchmark measures a correct answer.
func (f *fleet) verifyGet(b *testing.B, body []byte) {
	b.Helper()
	var d api.PhoneDetail
	require.NoError(b, json.Unmarshal(body, &d))
	require.Equal(b, f.phoneIDs[0], d.PhoneID)
	require.Equal(b, f.serverIDs[0], d.ServerID)
	require.Equal(b, store.PhoneRunning, d.Status)
	require.Len(b, d.AccessInfos, 1)
	require.Equal(b, "adb", d.AccessInfos[0].Type)
	require.NotZero(b, d.AccessInfos[0].AccessPort)
}

// verifyList checks that the captured page is the first server's 100 phones, newest first.
func (f *fleet) verifyList(b *testing.B, body []byte) {
	b.Helper()
	var l api.ListPhonesResponse
	require.NoError(b, json.Unmarshal(body, &l))
	require.Equal(b, phonesPerServer, l.Count)
	require.Len(b, l.Phones, phonesPerServer)
	for _, p := range l.Phones {
		require.Equal(b, f.serverIDs[0], p.ServerID)
	}
	require.Equal(b, f.phoneIDs[phonesPerServer-1], l.Phones[0].PhoneID)
}
