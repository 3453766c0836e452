package sqlite_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
	"github.com/opencph/opencph/internal/store/sqlite"
	"github.com/opencph/opencph/internal/store/storetest"
)

func TestIAM(t *testing.T) {
	t.Parallel()
	storetest.ExerciseIAM(t, func(t *testing.T) store.Store {
		st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "cph.db"))
		require.NoError(t, err)
		t.Cleanup(func() { _ = st.Close() })
		return st
	})
}
