package storetest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
)

// exerciseSecrets: the first value stored under a name wins and is returned to every caller.
func exerciseSecrets(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("Secrets", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		ctx := context.Background()
		got, err := st.SecretGetOrCreate(ctx, "ticket", []byte("first"))
		require.NoError(t, err)
		require.Equal(t, []byte("first"), got)
		got, err = st.SecretGetOrCreate(ctx, "ticket", []byte("second"))
		require.NoError(t, err)
		require.Equal(t, []byte("first"), got)
		got, err = st.SecretGetOrCreate(ctx, "other", []byte("x"))
		require.NoError(t, err)
		require.Equal(t, []byte("x"), got)
	})
}
