package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
)

// sampleImage is a ready image of projectID with every field set.
func sampleImage(projectID string, created time.Time) store.Image {
	id := testID()
	return store.Image{
		ID: id, ProjectID: projectID, DomainID: "d-" + projectID, Name: "image-" + id[:6],
		Version: "AOSP 11", Label: "cloud_phone", Status: store.ImageReady, Size: 1306150912,
		SupportEncrypt: true, SourcePhoneID: testID(),
		RuntimeRef: map[string]string{"sim": "images/" + id, "docker": "registry.local/android:" + id[:6]},
		CreatedAt:  created, UpdatedAt: created.Add(time.Second),
	}
}

func exerciseImages(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		im := sampleImage("p1", baseTime)
		want := im
		require.NoError(t, s.ImageInsert(ctx, &im))
		require.Equal(t, want, im)
		got, err := s.ImageGet(ctx, &store.ImageGetParams{ID: im.ID, ViewerID: "p1"})
		require.NoError(t, err)
		require.Equal(t, want, *got)

		bare := store.Image{ID: testID(), ProjectID: "p1", Name: "bare", Status: store.ImageCreating,
			RuntimeRef: map[string]string{}}
		require.NoError(t, s.ImageInsert(ctx, &bare))
		require.False(t, bare.CreatedAt.IsZero())
		require.Nil(t, bare.RuntimeRef, "an empty reference map is stored as none")
		got, err = s.ImageGet(ctx, &store.ImageGetParams{ID: bare.ID, ViewerID: "p1"})
		require.NoError(t, err)
		require.Equal(t, bare, *got)
	})

	t.Run("DuplicateIDConflicts", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		im := sampleImage("p1", baseTime)
		require.NoError(t, s.ImageInsert(ctx, &im))
		dup := sampleImage("p2", baseTime)
		dup.ID = im.ID
		require.ErrorIs(t, s.ImageInsert(ctx, &dup), store.ErrConflict)
	})

	t.Run("VisibleToOwnerAndMembersOnly", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		im := sampleImage("owner", baseTime)
		require.NoError(t, s.ImageInsert(ctx, &im))
		get := func(viewer string) error {
			_, err := s.ImageGet(ctx, &store.ImageGetParams{ID: im.ID, ViewerID: viewer})
			return err
		}
		require.ErrorIs(t, get("member"), store.ErrNotFound)
		require.NoError(t, s.ImageMemberInsert(ctx, &store.ImageMember{ImageID: im.ID, MemberID: "member"}))
		require.NoError(t, get("member"))
		require.ErrorIs(t, get("stranger"), store.ErrNotFound)
		require.NoError(t, get(""), "an empty viewer sees every image")

		require.NoError(t, s.ImageMemberDelete(ctx, im.ID, "member"))
		require.ErrorIs(t, get("member"), store.ErrNotFound)
		require.NoError(t, get("owner"))
	})

	t.Run("UpdateOwnerOnly", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		im := sampleImage("owner", baseTime)
		im.Status, im.Size, im.RuntimeRef = store.ImageCreating, 0, nil
		require.NoError(t, s.ImageInsert(ctx, &im))
		require.NoError(t, s.ImageMemberInsert(ctx, &store.ImageMember{ImageID: im.ID, MemberID: "member"}))
		status, size := store.ImageReady, int64(4096)
		ref := map[string]string{"sim": "images/" + im.ID}
		err := s.ImageUpdate(ctx, &store.ImageUpdateParams{ProjectID: "member", ID: im.ID, Status: &status})
		require.ErrorIs(t, err, store.ErrNotFound, "a member cannot change the image")
		require.NoError(t, s.ImageUpdate(ctx, &store.ImageUpdateParams{ProjectID: "owner", ID: im.ID,
			Status: &status, Size: &size, RuntimeRef: ref}))
		got, err := s.ImageGet(ctx, &store.ImageGetParams{ID: im.ID, ViewerID: "owner"})
		require.NoError(t, err)
		require.Equal(t, store.ImageReady, got.Status)
		require.Equal(t, size, got.Size)
		require.Equal(t, ref, got.RuntimeRef)
		require.True(t, got.UpdatedAt.After(im.UpdatedAt))
		require.Equal(t, im.Name, got.Name)

		failed := store.ImageFailed
		require.NoError(t, s.ImageUpdate(ctx, &store.ImageUpdateParams{ProjectID: "owner", ID: im.ID, Status: &failed}))
		got, err = s.ImageGet(ctx, &store.ImageGetParams{ID: im.ID, ViewerID: "owner"})
		require.NoError(t, err)
		require.Equal(t, ref, got.RuntimeRef, "an update without a reference keeps it")
		require.ErrorIs(t, s.ImageUpdate(ctx, &store.ImageUpdateParams{ProjectID: "owner", ID: testID()}), store.ErrNotFound)
	})

	t.Run("DeleteOwnerOnlyAndDropsMembers", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		im := sampleImage("owner", baseTime)
		require.NoError(t, s.ImageInsert(ctx, &im))
		require.NoError(t, s.ImageMemberInsert(ctx, &store.ImageMember{ImageID: im.ID, MemberID: "member"}))
		require.ErrorIs(t, s.ImageDelete(ctx, "member", im.ID), store.ErrNotFound)
		require.NoError(t, s.ImageDelete(ctx, "owner", im.ID))
		_, err := s.ImageGet(ctx, &store.ImageGetParams{ID: im.ID})
		require.ErrorIs(t, err, store.ErrNotFound)
		members, err := s.ImageMemberList(ctx, im.ID)
		require.NoError(t, err)
		require.Empty(t, members)
		require.ErrorIs(t, s.ImageDelete(ctx, "owner", im.ID), store.ErrNotFound)

		// A new image with the old id starts with no members.
		again := sampleImage("owner", baseTime)
		again.ID = im.ID
		require.NoError(t, s.ImageInsert(ctx, &again))
		_, err = s.ImageGet(ctx, &store.ImageGetParams{ID: im.ID, ViewerID: "member"})
		require.ErrorIs(t, err, store.ErrNotFound)
	})

	t.Run("Members", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		im := sampleImage("owner", baseTime)
		require.NoError(t, s.ImageInsert(ctx, &im))
		first := store.ImageMember{ImageID: im.ID, MemberID: "m1", CreatedAt: baseTime}
		second := store.ImageMember{ImageID: im.ID, MemberID: "m2", CreatedAt: baseTime.Add(time.Minute)}
		require.NoError(t, s.ImageMemberInsert(ctx, &first))
		require.NoError(t, s.ImageMemberInsert(ctx, &second))
		require.Equal(t, first.CreatedAt, first.UpdatedAt, "a new share was never updated")
		dup := store.ImageMember{ImageID: im.ID, MemberID: "m1"}
		require.ErrorIs(t, s.ImageMemberInsert(ctx, &dup), store.ErrConflict)

		list, err := s.ImageMemberList(ctx, im.ID)
		require.NoError(t, err)
		require.Equal(t, []store.ImageMember{second, first}, list, "newest first")
		other, err := s.ImageMemberList(ctx, testID())
		require.NoError(t, err)
		require.Empty(t, other)

		require.NoError(t, s.ImageMemberDelete(ctx, im.ID, "m1"))
		require.ErrorIs(t, s.ImageMemberDelete(ctx, im.ID, "m1"), store.ErrNotFound)
		list, err = s.ImageMemberList(ctx, im.ID)
		require.NoError(t, err)
		require.Equal(t, []store.ImageMember{second}, list)
	})

	t.Run("PhoneCountAcrossProjects", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		im := sampleImage("owner", baseTime)
		require.NoError(t, s.ImageInsert(ctx, &im))
		n, err := s.ImagePhoneCount(ctx, im.ID)
		require.NoError(t, err)
		require.Zero(t, n)
		for _, project := range []string{"owner", "member", "member"} {
			ph := samplePhone(project, testID(), baseTime)
			ph.ImageID = im.ID
			require.NoError(t, s.PhoneInsert(ctx, &ph))
		}
		unrelated := samplePhone("owner", testID(), baseTime)
		require.NoError(t, s.PhoneInsert(ctx, &unrelated))
		n, err = s.ImagePhoneCount(ctx, im.ID)
		require.NoError(t, err)
		require.Equal(t, 3, n)
	})

	t.Run("TxRollsBack", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		im := sampleImage("owner", baseTime)
		err := s.InTx(ctx, func(tx store.Store) error {
			require.NoError(t, tx.ImageInsert(ctx, &im))
			require.NoError(t, tx.ImageMemberInsert(ctx, &store.ImageMember{ImageID: im.ID, MemberID: "m"}))
			return errTxAbort
		})
		require.ErrorIs(t, err, errTxAbort)
		_, err = s.ImageGet(ctx, &store.ImageGetParams{ID: im.ID})
		require.ErrorIs(t, err, store.ErrNotFound)
		members, err := s.ImageMemberList(ctx, im.ID)
		require.NoError(t, err)
		require.Empty(t, members)
	})

	t.Run("List", func(t *testing.T) { t.Parallel(); exerciseImageList(t, newStore) })
}

func exerciseImageList(t *testing.T, newStore func(t *testing.T) store.Store) {
	s, ctx := newStore(t), t.Context()
	// Four own images of "me" a minute apart, two of them sharing one instant (id tie-break);
	// two images of "other" shared with "me", one of "third" shared with "me", and one image of
	// "other" that is not shared.
	var own, shared []store.Image
	for i, name := range []string{"alpha", "beta", "tie", "tie"} {
		at := baseTime.Add(time.Duration(i) * time.Minute)
		if i == 3 {
			at = own[2].CreatedAt
		}
		im := sampleImage("me", at)
		im.Name = name
		if i == 1 {
			im.Status = store.ImageFailed
		}
		require.NoError(t, s.ImageInsert(ctx, &im))
		own = append(own, im)
	}
	for i, owner := range []string{"other", "other", "third"} {
		im := sampleImage(owner, baseTime.Add(time.Duration(10+i)*time.Minute))
		im.Name = "alpha"
		require.NoError(t, s.ImageInsert(ctx, &im))
		require.NoError(t, s.ImageMemberInsert(ctx, &store.ImageMember{ImageID: im.ID, MemberID: "me"}))
		shared = append(shared, im)
	}
	hidden := sampleImage("other", baseTime.Add(time.Hour))
	require.NoError(t, s.ImageInsert(ctx, &hidden))
	sharedElsewhere := sampleImage("other", baseTime.Add(2*time.Hour))
	require.NoError(t, s.ImageInsert(ctx, &sharedElsewhere))
	require.NoError(t, s.ImageMemberInsert(ctx, &store.ImageMember{ImageID: sharedElsewhere.ID, MemberID: "someone"}))

	newest := func(in ...[]store.Image) []store.Image {
		out := slices.Concat(in...)
		slices.SortFunc(out, func(a, b store.Image) int {
			if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
				return c
			}
			if b.ID > a.ID {
				return 1
			}
			return -1
		})
		return out
	}
	all := newest(own, shared)
	ptr := func(v int) *int { return &v }
	at := func(im store.Image) *time.Time { v := im.CreatedAt; return &v }

	tests := []struct {
		name   string
		params store.ImageListParams
		want   []store.Image
		total  int
	}{
		{name: "OwnAndShared", params: store.ImageListParams{Own: true, Shared: true}, want: all, total: 7},
		{name: "OwnOnly", params: store.ImageListParams{Own: true}, want: newest(own), total: 4},
		{name: "SharedOnly", params: store.ImageListParams{Shared: true}, want: newest(shared), total: 3},
		{name: "Neither", params: store.ImageListParams{}, want: nil, total: 0},
		{name: "FirstPage", params: store.ImageListParams{Own: true, Shared: true, Page: store.Page{Limit: 2}},
			want: all[:2], total: 7},
		{name: "MiddlePage", params: store.ImageListParams{Own: true, Shared: true, Page: store.Page{Offset: 2, Limit: 3}},
			want: all[2:5], total: 7},
		{name: "PastEnd", params: store.ImageListParams{Own: true, Shared: true, Page: store.Page{Offset: 9, Limit: 3}},
			want: nil, total: 7},
		{name: "ID", params: store.ImageListParams{Own: true, Shared: true, ID: shared[1].ID},
			want: []store.Image{shared[1]}, total: 1},
		{name: "IDOfHiddenImage", params: store.ImageListParams{Own: true, Shared: true, ID: hidden.ID},
			want: nil, total: 0},
		{name: "NameExact", params: store.ImageListParams{Own: true, Shared: true, Name: "alpha"},
			want: newest(own[:1], shared), total: 4},
		{name: "NameNotPartial", params: store.ImageListParams{Own: true, Shared: true, Name: "alp"},
			want: nil, total: 0},
		{name: "Owner", params: store.ImageListParams{Own: true, Shared: true, OwnerID: "other"},
			want: newest(shared[:2]), total: 2},
		{name: "OwnerOfOwnImages", params: store.ImageListParams{Shared: true, OwnerID: "me"},
			want: nil, total: 0},
		{name: "Status", params: store.ImageListParams{Own: true, Shared: true, Status: ptr(store.ImageFailed)},
			want: []store.Image{own[1]}, total: 1},
		{name: "CreatedRangeInclusive",
			params: store.ImageListParams{Own: true, Shared: true, CreatedSince: at(own[1]), CreatedUntil: at(shared[0])},
			want:   newest(own[1:], shared[:1]), total: 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.params
			p.ViewerID = "me"
			got, total, err := s.ImageList(ctx, &p)
			require.NoError(t, err)
			require.Equal(t, tc.total, total)
			require.Equal(t, tc.want, got)
		})
	}
}
