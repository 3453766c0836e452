package cph

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
)

// BenchmarkSyncCommand is one sync-commands call (quota check included) to 1 and to 15 phones,
// each a simulated device behind its own adb endpoint on loopback; docs/BENCHMARKS.md compares
// the two.
func BenchmarkSyncCommand(b *testing.B) {
	for _, n := range []int{1, MaxSyncPhones} {
		b.Run(fmt.Sprintf("phones=%d", n), func(b *testing.B) {
			f := setupCommands(b, false)
			ids := make([]string, n)
			for i := range ids {
				ph, _ := f.runningPhone(b)
				ids[i] = ph.ID
			}
			req := shellCmd("getprop ro.product.model", ids...)
			ctx := context.Background()
			user := 0
			for b.Loop() {
				// A user of its own per call keeps the quota's real cost without hitting it.
				user++
				jobs, err := f.svc.RunSyncCommand(ctx, opsProject, "r", strconv.Itoa(user), req)
				require.NoError(b, err)
				for _, j := range jobs {
					if j.Status != store.JobSuccess {
						b.Fatalf("phone %s: %s %s", j.PhoneID, j.ErrorCode, j.ExecuteMsg)
					}
				}
			}
		})
	}
}
