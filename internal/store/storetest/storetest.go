// Package storetest is the conformance suite every store.Store implementation must pass, in the
// manner of river's riverdrivertest: the behaviour the rest of OpenCPH relies on (project
// scoping, list order and paging, allocation races, the job queue's lease rules, transactions)
// is written down once here and run against SQLite now and PostgreSQL later.
package storetest

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
)

// Exercise runs the whole conformance suite, IAM included. newStore must return a fresh,
// empty, migrated store for each call and arrange its closing with t.Cleanup; subtests call it
// in parallel.
func Exercise(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("IAM", func(t *testing.T) { t.Parallel(); ExerciseIAM(t, newStore) })
	t.Run("Inventory", func(t *testing.T) { t.Parallel(); exerciseInventory(t, newStore) })
	t.Run("Servers", func(t *testing.T) { t.Parallel(); exerciseServers(t, newStore) })
	t.Run("Bandwidths", func(t *testing.T) { t.Parallel(); exerciseBandwidths(t, newStore) })
	t.Run("Phones", func(t *testing.T) { t.Parallel(); exercisePhones(t, newStore) })
	t.Run("Jobs", func(t *testing.T) { t.Parallel(); exerciseJobs(t, newStore) })
	t.Run("Tx", func(t *testing.T) { t.Parallel(); exerciseTx(t, newStore) })
	t.Run("Images", func(t *testing.T) { t.Parallel(); exerciseImages(t, newStore) })
	t.Run("Tags", func(t *testing.T) { t.Parallel(); exerciseTags(t, newStore) })
	exerciseSecrets(t, newStore)
	exerciseRateLimits(t, newStore)
	exerciseServerFind(t, newStore)
}

// baseTime is a fixed instant at microsecond precision, the precision stores keep; tests derive
// their times from it so that equality after a round trip is exact.
var baseTime = time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)

// testID returns a fresh 32-lowercase-hex ID, the shape callers generate.
func testID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

// errTxAbort is what test transactions return to force a rollback.
var errTxAbort = errors.New("storetest: abort transaction")

func exerciseTx(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("CommitIsVisible", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := sampleServer("p1", baseTime)
		j := sampleJob("p1", "r1", baseTime)
		err := s.InTx(ctx, func(tx store.Store) error {
			require.NoError(t, tx.ServerInsert(ctx, &sv))
			require.NoError(t, tx.JobInsert(ctx, &j))
			// The transaction reads its own writes.
			_, err := tx.ServerGet(ctx, "p1", sv.ID)
			return err
		})
		require.NoError(t, err)
		_, err = s.ServerGet(ctx, "p1", sv.ID)
		require.NoError(t, err)
		_, err = s.JobGet(ctx, "p1", j.ID)
		require.NoError(t, err)
	})

	t.Run("ErrorRollsBack", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := sampleServer("p1", baseTime)
		j := sampleJob("p1", "r1", baseTime)
		err := s.InTx(ctx, func(tx store.Store) error {
			require.NoError(t, tx.ServerInsert(ctx, &sv))
			require.NoError(t, tx.JobInsert(ctx, &j))
			return errTxAbort
		})
		require.ErrorIs(t, err, errTxAbort)
		_, err = s.ServerGet(ctx, "p1", sv.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = s.JobGet(ctx, "p1", j.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("NestedJoinsOuter", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := sampleServer("p1", baseTime)
		err := s.InTx(ctx, func(tx store.Store) error {
			require.NoError(t, tx.InTx(ctx, func(inner store.Store) error {
				return inner.ServerInsert(ctx, &sv)
			}))
			return errTxAbort
		})
		require.ErrorIs(t, err, errTxAbort)
		_, err = s.ServerGet(ctx, "p1", sv.ID)
		require.ErrorIs(t, err, store.ErrNotFound, "the inner transaction is part of the outer one")
	})

	t.Run("ConflictInsideTxRollsBackAll", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		first := sampleServer("p1", baseTime)
		require.NoError(t, s.ServerInsert(ctx, &first))
		fresh := sampleServer("p1", baseTime)
		err := s.InTx(ctx, func(tx store.Store) error {
			require.NoError(t, tx.ServerInsert(ctx, &fresh))
			dup := sampleServer("p1", baseTime)
			dup.ID = first.ID
			return tx.ServerInsert(ctx, &dup)
		})
		require.ErrorIs(t, err, store.ErrConflict)
		_, err = s.ServerGet(ctx, "p1", fresh.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}
