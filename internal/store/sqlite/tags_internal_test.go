package sqlite

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
)

// TestServerDeleteRemovesTags checks the trigger that drops a server's tags with its row. The
// store has no server deletion of its own yet, so the row is deleted in SQL, as any later
// deletion path will.
func TestServerDeleteRemovesTags(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, filepath.Join(t.TempDir(), "cph.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })

	gone := store.Server{ID: store.NewID(), ProjectID: "p1", Name: "gone"}
	kept := store.Server{ID: store.NewID(), ProjectID: "p1", Name: "kept"}
	for _, sv := range []*store.Server{&gone, &kept} {
		require.NoError(t, s.ServerInsert(ctx, sv))
		require.NoError(t, s.TagUpsert(ctx, &store.TagUpsertParams{Max: 20,
			TagResource: store.TagResource{ProjectID: "p1", ResourceType: store.TagResourceServer, ResourceID: sv.ID},
			Tags:        []store.Tag{{Key: "env", Value: sv.Name}}}))
	}
	_, err = s.db.ExecContext(ctx, `DELETE FROM servers WHERE id = ?`, gone.ID)
	require.NoError(t, err)

	var n int
	require.NoError(t, s.db.QueryRowContext(ctx, `SELECT count(*) FROM tags WHERE resource_id = ?`, gone.ID).Scan(&n))
	require.Zero(t, n, "the deleted server's tags are gone")
	keys, total, err := s.TagKeyList(ctx, &store.TagKeyListParams{ProjectID: "p1", ResourceType: store.TagResourceServer})
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, []store.TagKey{{Key: "env", Values: []string{"kept"}}}, keys, "the project's key list forgets them too")
}
