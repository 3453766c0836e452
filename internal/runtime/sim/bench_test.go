package sim_test

import (
	"fmt"
	goruntime "runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/runtime/sim"
)

// idleFleet is n running phones on a fresh driver, none of them connected to, and what they add
// to the process per phone: live heap, goroutine stacks and goroutines.
type idleFleet struct {
	d                       *sim.Driver
	ids                     []string
	heap, stack, goroutines float64
}

func newIdleFleet(tb testing.TB, n int) *idleFleet {
	tb.Helper()
	d, err := sim.New(sim.Config{
		DataDir:        tb.TempDir(),
		LoopbackPrefix: loopbackPrefix(),
		Hosts:          []sim.HostPool{{ServerModelName: modelKG, Count: 1}},
	})
	require.NoError(tb, err)
	tb.Cleanup(func() { require.NoError(tb, d.Close()) })
	hosts, err := d.Hosts(tb.Context())
	require.NoError(tb, err)

	f := &idleFleet{d: d, ids: make([]string, n)}
	for i := range f.ids {
		f.ids[i] = fmt.Sprintf("%032x", i)
	}
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	goroutines := goruntime.NumGoroutine()
	for i, id := range f.ids {
		// Each spec is garbage once created, as the control plane's would be, so what stays
		// is what the driver keeps.
		spec := phoneSpec(id, hosts[0], i, 20000+i%40000)
		spec.Properties = map[string]string{"ro.product.brand": "OpenCPH"}
		_, err := d.CreatePhone(tb.Context(), spec)
		require.NoError(tb, err)
	}
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	f.heap = (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n)
	f.stack = (float64(after.StackInuse) - float64(before.StackInuse)) / float64(n)
	f.goroutines = float64(goruntime.NumGoroutine()-goroutines) / float64(n)
	return f
}

// BenchmarkIdlePhoneMemory reports what an idle running phone costs, the figures that bound how
// large a fleet one process can simulate: its memory (B/phone: the heap it keeps — record,
// listener, adbd — and its accept loop's stack) and its goroutines. Each phone also holds one
// file descriptor, its listening socket, until a host connects and its device boots.
func BenchmarkIdlePhoneMemory(b *testing.B) {
	var f *idleFleet
	for b.Loop() {
		f = newIdleFleet(b, 10_000)
		require.NoError(b, f.d.Close())
	}
	b.ReportMetric(f.heap+f.stack, "B/phone")
	b.ReportMetric(f.heap, "heap-B/phone")
	b.ReportMetric(f.goroutines, "goroutines/phone")
}

// TestIdlePhoneGoroutines keeps idle phones cheap: a running phone runs one goroutine, the accept
// loop of its adb endpoint, a stopped phone none, and a closed driver leaves none behind.
// It does not run in parallel, so that the goroutines it counts are its own phones'.
func TestIdlePhoneGoroutines(t *testing.T) {
	f := newIdleFleet(t, 200)
	require.Equal(t, 200, ownGoroutines(), "one goroutine per idle running phone")
	for _, id := range f.ids[:100] {
		require.NoError(t, f.d.StopPhone(t.Context(), id))
	}
	// A halted accept loop has returned when the stop does; the goroutine may still be on its way
	// out of the scheduler.
	require.Eventually(t, func() bool { return ownGoroutines() == 100 }, 10*time.Second, time.Millisecond,
		"stopped phones run no goroutine")
	require.NoError(t, f.d.Close())
	require.Eventually(t, func() bool { return ownGoroutines() == 0 }, 10*time.Second, time.Millisecond,
		"a closed driver leaves no goroutine")
}

// ownGoroutines counts the goroutines that this module's code started, directly or through the
// packages it uses, leaving out the test runner's, testify's and the tests' own.
func ownGoroutines() int {
	buf := make([]byte, 1<<20)
	for {
		n := goruntime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	count := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "created by github.com/opencph/opencph/internal/") && !strings.Contains(g, "_test.") {
			count++
		}
	}
	return count
}
