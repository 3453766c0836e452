package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
	"github.com/opencph/opencph/internal/store/sqlite"
	"github.com/opencph/opencph/internal/store/storetest"
)

// openAt opens a store on path and closes it when the test ends.
func openAt(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), path)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	return s
}

func newStore(t *testing.T) store.Store {
	return openAt(t, filepath.Join(t.TempDir(), "cph.db"))
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t, newStore)
}

// TestReopenKeepsData checks that migrations run once and the data survives a restart.
func TestReopenKeepsData(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cph.db")
	ctx := t.Context()
	s, err := sqlite.Open(ctx, path)
	require.NoError(t, err)
	p := store.Phone{ID: "0123456789abcdef0123456789abcdef", ProjectID: "p1", ServerID: "s", Name: "n"}
	require.NoError(t, s.PhoneInsert(ctx, &p))
	require.NoError(t, s.Close())

	s2 := openAt(t, path)
	got, err := s2.PhoneGet(ctx, "p1", p.ID)
	require.NoError(t, err)
	require.Equal(t, p, *got)
}

// TestConcurrentClaimTwoStores is the crash-style test on separate connection pools: two
// *Store opened on one file stand for two replicas (or a replica and its restart), each with
// several claiming goroutines, some of which abandon their jobs mid-way. No job may ever be held
// by two workers, and every job must end finished exactly once.
func TestConcurrentClaimTwoStores(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "cph.db")
	a, b := openAt(t, path), openAt(t, path)
	storetest.ExerciseConcurrentClaim(t, []store.Store{a, b}, 400, 12)
}
