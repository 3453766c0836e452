package storetest

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
)

// exerciseServerFind: a server is found by id alone, whatever its project.
func exerciseServerFind(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("ServerFind", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		ctx := context.Background()
		sv := &store.Server{ID: testID(), ProjectID: testID(), Name: "found", ServerModelName: "m",
			PhoneModelName: "p", CreatedAt: baseTime, UpdatedAt: baseTime}
		require.NoError(t, st.ServerInsert(ctx, sv))
		got, err := st.ServerFind(ctx, sv.ID)
		require.NoError(t, err)
		require.Equal(t, sv.ProjectID, got.ProjectID)
		require.Equal(t, "found", got.Name)
		_, err = st.ServerFind(ctx, testID())
		require.True(t, errors.Is(err, store.ErrNotFound))
	})
}
