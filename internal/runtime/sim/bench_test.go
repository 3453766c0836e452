package sim_test

import (
	"fmt"
	goruntime "runtime"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/runtime/sim"
)

// idlePhoneBytes creates n phones on a fresh driver and returns the live heap they add per phone,
// the figure that bounds how large a fleet one process can simulate.
func idlePhoneBytes(tb testing.TB, n int) float64 {
	tb.Helper()
	d, err := sim.New(sim.Config{
		DataDir: tb.TempDir(),
		Hosts:   []sim.HostPool{{ServerModelName: modelKG, Count: 1}},
	})
	require.NoError(tb, err)
	hosts, err := d.Hosts(tb.Context())
	require.NoError(tb, err)

	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	for i := range n {
		// Each spec is garbage once created, as the control plane's would be, so what stays
		// is what the driver keeps.
		spec := phoneSpec(fmt.Sprintf("%032x", i), hosts[0], i, 20000+i%40000)
		spec.Properties = map[string]string{"ro.product.brand": "OpenCPH"}
		_, err := d.CreatePhone(tb.Context(), spec)
		require.NoError(tb, err)
	}
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	goruntime.KeepAlive(d)
	return (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / float64(n)
}

// BenchmarkIdlePhoneMemory reports the heap an idle simulated phone costs.
func BenchmarkIdlePhoneMemory(b *testing.B) {
	var perPhone float64
	for b.Loop() {
		perPhone = idlePhoneBytes(b, 10_000)
	}
	b.ReportMetric(perPhone, "B/phone")
}

// TestIdlePhonesRunNoGoroutines keeps idle phones passive: a fleet costs memory, never a
// goroutine per phone. Their memory is measured by BenchmarkIdlePhoneMemory.
func TestIdlePhonesRunNoGoroutines(t *testing.T) {
	goroutines := goruntime.NumGoroutine()
	idlePhoneBytes(t, 200)
	require.LessOrEqual(t, goruntime.NumGoroutine(), goroutines, "idle phones run no goroutines")
}
