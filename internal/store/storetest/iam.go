package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
)

// iamFixture is a domain with one project and one user, the starting point of most IAM cases.
type iamFixture struct {
	st      store.Store
	domain  *store.Domain
	project *store.Project
	user    *store.User
}

var iamSeq atomic.Int64

// iamID returns a unique 32-character id starting with prefix (one letter).
func iamID(prefix string) string {
	return fmt.Sprintf("%s%031d", prefix, iamSeq.Add(1))
}

func newIAMFixture(t *testing.T, newStore func(t *testing.T) store.Store) *iamFixture {
	t.Helper()
	ctx := context.Background()
	st := newStore(t)
	f := &iamFixture{st: st}
	f.domain = &store.Domain{ID: iamID("d"), Name: "acme"}
	require.NoError(t, st.DomainInsert(ctx, f.domain))
	f.project = &store.Project{ID: iamID("p"), DomainID: f.domain.ID, Name: "cn-local-1", Description: "main"}
	require.NoError(t, st.ProjectInsert(ctx, f.project))
	f.user = &store.User{ID: iamID("u"), DomainID: f.domain.ID, Name: "alice", PasswordHash: "h1"}
	require.NoError(t, st.UserInsert(ctx, f.user))
	return f
}

// ExerciseIAM runs the IAM conformance cases against stores made by newStore (a fresh, empty
// store per call).
func ExerciseIAM(t *testing.T, newStore func(t *testing.T) store.Store) {
	ctx := context.Background()

	t.Run("Domains", func(t *testing.T) {
		t.Parallel()
		f := newIAMFixture(t, newStore)
		got, err := f.st.DomainGet(ctx, &store.DomainGetParams{ID: f.domain.ID})
		require.NoError(t, err)
		require.Equal(t, f.domain, got)
		got, err = f.st.DomainGet(ctx, &store.DomainGetParams{Name: "acme"})
		require.NoError(t, err)
		require.Equal(t, f.domain, got)
		_, err = f.st.DomainGet(ctx, &store.DomainGetParams{Name: "nope"})
		require.ErrorIs(t, err, store.ErrNotFound)
		err = f.st.DomainInsert(ctx, &store.Domain{ID: iamID("d"), Name: "acme"})
		require.ErrorIs(t, err, store.ErrConflict)
	})

	t.Run("Projects", func(t *testing.T) {
		t.Parallel()
		f := newIAMFixture(t, newStore)
		got, err := f.st.ProjectGet(ctx, &store.ProjectGetParams{ID: f.project.ID})
		require.NoError(t, err)
		require.Equal(t, f.project, got)
		got, err = f.st.ProjectGet(ctx, &store.ProjectGetParams{DomainID: f.domain.ID, Name: "cn-local-1"})
		require.NoError(t, err)
		require.Equal(t, f.project, got)

		other := &store.Domain{ID: iamID("d"), Name: "other"}
		require.NoError(t, f.st.DomainInsert(ctx, other))
		_, err = f.st.ProjectGet(ctx, &store.ProjectGetParams{ID: f.project.ID, DomainID: other.ID})
		require.ErrorIs(t, err, store.ErrNotFound, "a domain cannot reach another domain's project by id")
		// The same name in another domain is fine; twice in one domain is not.
		require.NoError(t, f.st.ProjectInsert(ctx, &store.Project{ID: iamID("p"), DomainID: other.ID, Name: "cn-local-1"}))
		err = f.st.ProjectInsert(ctx, &store.Project{ID: iamID("p"), DomainID: f.domain.ID, Name: "cn-local-1"})
		require.ErrorIs(t, err, store.ErrConflict)
		err = f.st.ProjectInsert(ctx, &store.Project{ID: iamID("p"), DomainID: "missing", Name: "x"})
		require.ErrorIs(t, err, store.ErrNotFound)

		second := &store.Project{ID: iamID("p"), DomainID: f.domain.ID, Name: "a-team"}
		require.NoError(t, f.st.ProjectInsert(ctx, second))
		list, err := f.st.ProjectList(ctx, &store.ProjectListParams{DomainID: f.domain.ID})
		require.NoError(t, err)
		require.Equal(t, []store.Project{*second, *f.project}, list, "ordered by name")
		list, err = f.st.ProjectList(ctx, &store.ProjectListParams{DomainID: f.domain.ID, Name: "a-team"})
		require.NoError(t, err)
		require.Equal(t, []store.Project{*second}, list)

		list, err = f.st.ProjectList(ctx, &store.ProjectListParams{UserID: f.user.ID})
		require.NoError(t, err)
		require.Empty(t, list)
		g := &store.UserProject{UserID: f.user.ID, ProjectID: second.ID}
		require.NoError(t, f.st.UserProjectInsert(ctx, g))
		require.NoError(t, f.st.UserProjectInsert(ctx, g), "granting twice is a no-op")
		list, err = f.st.ProjectList(ctx, &store.ProjectListParams{UserID: f.user.ID, DomainID: f.domain.ID})
		require.NoError(t, err)
		require.Equal(t, []store.Project{*second}, list)
		got2, err := f.st.UserProjectGet(ctx, f.user.ID, second.ID)
		require.NoError(t, err)
		require.Equal(t, g, got2)
		_, err = f.st.UserProjectGet(ctx, f.user.ID, f.project.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		err = f.st.UserProjectInsert(ctx, &store.UserProject{UserID: f.user.ID, ProjectID: "missing"})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("Users", func(t *testing.T) {
		t.Parallel()
		f := newIAMFixture(t, newStore)
		got, err := f.st.UserGet(ctx, &store.UserGetParams{ID: f.user.ID})
		require.NoError(t, err)
		require.Equal(t, f.user, got)
		got, err = f.st.UserGet(ctx, &store.UserGetParams{DomainID: f.domain.ID, Name: "alice"})
		require.NoError(t, err)
		require.Equal(t, f.user, got)
		_, err = f.st.UserGet(ctx, &store.UserGetParams{ID: f.user.ID, DomainID: "other"})
		require.ErrorIs(t, err, store.ErrNotFound)
		err = f.st.UserInsert(ctx, &store.User{ID: iamID("u"), DomainID: f.domain.ID, Name: "alice"})
		require.ErrorIs(t, err, store.ErrConflict)

		admin := &store.User{ID: iamID("u"), DomainID: f.domain.ID, Name: "admin", PasswordHash: "h", Admin: true}
		require.NoError(t, f.st.UserInsert(ctx, admin))
		list, err := f.st.UserList(ctx, &store.UserListParams{DomainID: f.domain.ID})
		require.NoError(t, err)
		require.Equal(t, []store.User{*admin, *f.user}, list)

		hash := "h2"
		require.NoError(t, f.st.UserUpdate(ctx, &store.UserUpdateParams{ID: f.user.ID, PasswordHash: &hash}))
		got, err = f.st.UserGet(ctx, &store.UserGetParams{ID: f.user.ID})
		require.NoError(t, err)
		require.Equal(t, "h2", got.PasswordHash)
		err = f.st.UserUpdate(ctx, &store.UserUpdateParams{ID: "missing", PasswordHash: &hash})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("AccessKeys", func(t *testing.T) {
		t.Parallel()
		f := newIAMFixture(t, newStore)
		t0 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		k1 := &store.AccessKey{AccessKey: "AK1", UserID: f.user.ID, Secret: "SK1", Description: "ci", CreatedAt: t0}
		k2 := &store.AccessKey{AccessKey: "AK2", UserID: f.user.ID, Secret: "SK2", CreatedAt: t0.Add(time.Second)}
		require.NoError(t, f.st.AccessKeyInsert(ctx, k2))
		require.NoError(t, f.st.AccessKeyInsert(ctx, k1))
		err := f.st.AccessKeyInsert(ctx, &store.AccessKey{AccessKey: "AK1", UserID: f.user.ID, Secret: "x"})
		require.ErrorIs(t, err, store.ErrConflict)
		err = f.st.AccessKeyInsert(ctx, &store.AccessKey{AccessKey: "AK3", UserID: "missing", Secret: "x"})
		require.ErrorIs(t, err, store.ErrNotFound)

		got, err := f.st.AccessKeyGet(ctx, "AK1")
		require.NoError(t, err)
		require.Equal(t, k1, got)
		list, err := f.st.AccessKeyList(ctx, &store.AccessKeyListParams{DomainID: f.domain.ID})
		require.NoError(t, err)
		require.Equal(t, []store.AccessKey{*k1, *k2}, list, "oldest first")
		list, err = f.st.AccessKeyList(ctx, &store.AccessKeyListParams{DomainID: "other"})
		require.NoError(t, err)
		require.Empty(t, list)

		require.NoError(t, f.st.AccessKeyDelete(ctx, "AK1"))
		_, err = f.st.AccessKeyGet(ctx, "AK1")
		require.ErrorIs(t, err, store.ErrNotFound)
		require.ErrorIs(t, f.st.AccessKeyDelete(ctx, "AK1"), store.ErrNotFound)
	})

	t.Run("Tokens", func(t *testing.T) {
		t.Parallel()
		f := newIAMFixture(t, newStore)
		t0 := time.Date(2024, 1, 2, 3, 4, 5, 123456789, time.UTC)
		old := &store.Token{Hash: "h-old", UserID: f.user.ID, ProjectID: f.project.ID, IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)}
		live := &store.Token{Hash: "h-live", UserID: f.user.ID, IssuedAt: t0, ExpiresAt: t0.Add(48 * time.Hour)}
		require.NoError(t, f.st.TokenInsert(ctx, old))
		require.NoError(t, f.st.TokenInsert(ctx, live))
		require.ErrorIs(t, f.st.TokenInsert(ctx, &store.Token{Hash: "h-old", UserID: f.user.ID, ExpiresAt: t0}), store.ErrConflict)

		got, err := f.st.TokenGet(ctx, "h-old")
		require.NoError(t, err)
		require.Equal(t, old, got)
		n, err := f.st.TokenDeleteExpired(ctx, &store.TokenDeleteExpiredParams{Before: t0.Add(2 * time.Hour)})
		require.NoError(t, err)
		require.Equal(t, 1, n)
		_, err = f.st.TokenGet(ctx, "h-old")
		require.ErrorIs(t, err, store.ErrNotFound)
		_, err = f.st.TokenGet(ctx, "h-live")
		require.NoError(t, err)
	})

	t.Run("Policies", func(t *testing.T) {
		t.Parallel()
		f := newIAMFixture(t, newStore)
		_, err := f.st.PolicyGet(ctx, f.user.ID)
		require.ErrorIs(t, err, store.ErrNotFound)
		p := &store.Policy{UserID: f.user.ID, Allow: []string{"cph:*:get", "cph:phones:restart"}, Deny: []string{"cph:phones:reset"}}
		require.NoError(t, f.st.PolicySet(ctx, p))
		got, err := f.st.PolicyGet(ctx, f.user.ID)
		require.NoError(t, err)
		require.Equal(t, p, got)

		p2 := &store.Policy{UserID: f.user.ID, Allow: []string{"*"}}
		require.NoError(t, f.st.PolicySet(ctx, p2))
		got, err = f.st.PolicyGet(ctx, f.user.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"*"}, got.Allow)
		require.Empty(t, got.Deny)
		require.ErrorIs(t, f.st.PolicySet(ctx, &store.Policy{UserID: "missing"}), store.ErrNotFound)
	})

	t.Run("Keypairs", func(t *testing.T) {
		t.Parallel()
		f := newIAMFixture(t, newStore)
		mk := func(name string) *store.Keypair {
			return &store.Keypair{ProjectID: f.project.ID, Name: name, Type: "ssh", Scope: "user",
				PublicKey: "ssh-ed25519 AAAA " + name, Fingerprint: "SHA256:" + name, Algorithm: "ssh-ed25519", UserID: f.user.ID}
		}
		for _, n := range []string{"kp-c", "kp-a", "kp-b"} {
			require.NoError(t, f.st.KeypairInsert(ctx, mk(n)))
		}
		require.ErrorIs(t, f.st.KeypairInsert(ctx, mk("kp-a")), store.ErrConflict)
		bad := mk("x")
		bad.ProjectID = "missing"
		require.ErrorIs(t, f.st.KeypairInsert(ctx, bad), store.ErrNotFound)

		got, err := f.st.KeypairGet(ctx, f.project.ID, "kp-a")
		require.NoError(t, err)
		want := mk("kp-a")
		want.CreatedAt = got.CreatedAt
		require.Equal(t, want, got)
		_, err = f.st.KeypairGet(ctx, "other", "kp-a")
		require.ErrorIs(t, err, store.ErrNotFound)

		page, err := f.st.KeypairList(ctx, &store.KeypairListParams{ProjectID: f.project.ID, Limit: 2})
		require.NoError(t, err)
		require.Equal(t, []string{"kp-a", "kp-b"}, keypairNames(page))
		page, err = f.st.KeypairList(ctx, &store.KeypairListParams{ProjectID: f.project.ID, Marker: "kp-b", Limit: 2})
		require.NoError(t, err)
		require.Equal(t, []string{"kp-c"}, keypairNames(page))

		require.NoError(t, f.st.KeypairDelete(ctx, f.project.ID, "kp-a"))
		require.ErrorIs(t, f.st.KeypairDelete(ctx, f.project.ID, "kp-a"), store.ErrNotFound)
		page, err = f.st.KeypairList(ctx, &store.KeypairListParams{ProjectID: f.project.ID})
		require.NoError(t, err)
		require.Equal(t, []string{"kp-b", "kp-c"}, keypairNames(page))
	})

	t.Run("TxRollback", func(t *testing.T) {
		t.Parallel()
		f := newIAMFixture(t, newStore)
		boom := fmt.Errorf("boom")
		err := f.st.InTx(ctx, func(tx store.Store) error {
			require.NoError(t, tx.UserInsert(ctx, &store.User{ID: iamID("u"), DomainID: f.domain.ID, Name: "bob", PasswordHash: "h"}))
			_, err := tx.UserGet(ctx, &store.UserGetParams{DomainID: f.domain.ID, Name: "bob"})
			require.NoError(t, err, "the transaction sees its own write")
			return boom
		})
		require.ErrorIs(t, err, boom)
		_, err = f.st.UserGet(ctx, &store.UserGetParams{DomainID: f.domain.ID, Name: "bob"})
		require.ErrorIs(t, err, store.ErrNotFound)
	})
}

func keypairNames(ks []store.Keypair) []string {
	out := make([]string, 0, len(ks))
	for _, k := range ks {
		out = append(out, k.Name)
	}
	return out
}
