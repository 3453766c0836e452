package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
)

// exerciseRateLimits: a sliding window admits Limit calls per key, refuses the next without
// counting it, admits again once the oldest call has left the window, and holds under
// concurrent callers.
func exerciseRateLimits(t *testing.T, newStore func(t *testing.T) store.Store) {
	take := func(t *testing.T, st store.Store, key string, at time.Time) bool {
		t.Helper()
		ok, err := st.RateLimitTake(t.Context(), &store.RateLimitTakeParams{Key: key, Limit: 3, Window: time.Minute, Now: at})
		require.NoError(t, err)
		return ok
	}

	t.Run("RateLimitWindowSlides", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		for i := range 3 {
			require.True(t, take(t, st, "u1", baseTime.Add(time.Duration(i)*10*time.Second)), "call %d", i)
		}
		require.False(t, take(t, st, "u1", baseTime.Add(30*time.Second)), "the fourth call in a minute")
		require.False(t, take(t, st, "u1", baseTime.Add(59*time.Second)), "refused calls are not counted, but the window is still full")
		require.True(t, take(t, st, "u2", baseTime.Add(30*time.Second)), "keys are counted apart")
		require.True(t, take(t, st, "u1", baseTime.Add(time.Minute)), "the first call has left the window")
		require.False(t, take(t, st, "u1", baseTime.Add(time.Minute+5*time.Second)))
		require.True(t, take(t, st, "u1", baseTime.Add(time.Minute+10*time.Second)), "the second call has left the window")
	})

	t.Run("RateLimitConcurrentCallers", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		var (
			wg       sync.WaitGroup
			mu       sync.Mutex
			admitted int
			errs     []error
		)
		for range 20 {
			wg.Go(func() {
				ok, err := st.RateLimitTake(t.Context(), &store.RateLimitTakeParams{Key: "busy", Limit: 3, Window: time.Minute, Now: baseTime})
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
				}
				if ok {
					admitted++
				}
			})
		}
		wg.Wait()
		require.Empty(t, errs)
		require.Equal(t, 3, admitted)
	})
}
