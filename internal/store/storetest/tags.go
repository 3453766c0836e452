package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/internal/store"
)

// tagged is a server of project with the given tags, created at baseTime plus minute minutes.
func tagged(t *testing.T, s store.Store, project string, minute int, tags ...store.Tag) store.Server {
	t.Helper()
	sv := sampleServer(project, baseTime.Add(time.Duration(minute)*time.Minute))
	require.NoError(t, s.ServerInsert(t.Context(), &sv))
	if len(tags) > 0 {
		require.NoError(t, s.TagUpsert(t.Context(), &store.TagUpsertParams{
			TagResource: serverRes(project, sv.ID), Tags: tags, Max: 20}))
	}
	return sv
}

func serverRes(project, id string) store.TagResource {
	return store.TagResource{ProjectID: project, ResourceType: store.TagResourceServer, ResourceID: id}
}

func tag(k, v string) store.Tag { return store.Tag{Key: k, Value: v} }

func exerciseTags(t *testing.T, newStore func(t *testing.T) store.Store) {
	t.Run("UpsertListReplace", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := tagged(t, s, "p1", 0)
		res := serverRes("p1", sv.ID)
		got, err := s.TagList(ctx, &res)
		require.NoError(t, err)
		require.Empty(t, got)
		require.NotNil(t, got, "an untagged resource lists an empty slice")

		require.NoError(t, s.TagUpsert(ctx, &store.TagUpsertParams{TagResource: res, Max: 20,
			Tags: []store.Tag{tag("zone", "东区"), tag("app", "game one"), tag("Env", "prod")}}))
		got, err = s.TagList(ctx, &res)
		require.NoError(t, err)
		require.Equal(t, []store.Tag{tag("Env", "prod"), tag("app", "game one"), tag("zone", "东区")}, got,
			"keys ascending, case-sensitive and kept exactly")

		require.NoError(t, s.TagUpsert(ctx, &store.TagUpsertParams{TagResource: res, Max: 3,
			Tags: []store.Tag{tag("app", "game two")}}))
		got, err = s.TagList(ctx, &res)
		require.NoError(t, err)
		require.Equal(t, []store.Tag{tag("Env", "prod"), tag("app", "game two"), tag("zone", "东区")}, got,
			"an existing key gets the new value and does not count twice")
	})

	t.Run("UnknownResource", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := tagged(t, s, "p1", 0, tag("k", "v"))
		for name, res := range map[string]store.TagResource{
			"MissingID":       serverRes("p1", testID()),
			"AnotherProject":  serverRes("p2", sv.ID),
			"DifferentCaseID": serverRes("p1", "X"+sv.ID[1:]),
		} {
			_, err := s.TagList(ctx, &res)
			require.ErrorIs(t, err, store.ErrNotFound, name)
			err = s.TagUpsert(ctx, &store.TagUpsertParams{TagResource: res, Tags: []store.Tag{tag("a", "b")}, Max: 20})
			require.ErrorIs(t, err, store.ErrNotFound, name)
			err = s.TagDelete(ctx, &store.TagDeleteParams{TagResource: res, Tags: []store.Tag{tag("k", "v")}})
			require.ErrorIs(t, err, store.ErrNotFound, name)
		}
		got, err := s.TagList(ctx, &store.TagResource{ProjectID: "p1", ResourceType: store.TagResourceServer, ResourceID: sv.ID})
		require.NoError(t, err)
		require.Equal(t, []store.Tag{tag("k", "v")}, got, "nothing leaked or changed")
		keys, total, err := s.TagKeyList(ctx, &store.TagKeyListParams{ProjectID: "p2", ResourceType: store.TagResourceServer})
		require.NoError(t, err)
		require.Empty(t, keys)
		require.Zero(t, total)
	})

	t.Run("UnknownResourceType", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := tagged(t, s, "p1", 0)
		res := store.TagResource{ProjectID: "p1", ResourceType: "cph-phone", ResourceID: sv.ID}
		_, err := s.TagList(ctx, &res)
		require.Error(t, err)
		_, _, err = s.TagResourceList(ctx, &store.TagResourceListParams{ProjectID: "p1", ResourceType: "cph-phone"})
		require.Error(t, err)
	})

	t.Run("Limit", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := tagged(t, s, "p1", 0, tag("a", "1"), tag("b", "2"), tag("c", "3"))
		res := serverRes("p1", sv.ID)
		want := []store.Tag{tag("a", "1"), tag("b", "2"), tag("c", "3")}

		err := s.TagUpsert(ctx, &store.TagUpsertParams{TagResource: res, Max: 3,
			Tags: []store.Tag{tag("a", "changed"), tag("d", "4")}})
		require.ErrorIs(t, err, store.ErrTagLimit)
		got, err := s.TagList(ctx, &res)
		require.NoError(t, err)
		require.Equal(t, want, got, "a refused call changes nothing, not even the replaced value")

		require.NoError(t, s.TagUpsert(ctx, &store.TagUpsertParams{TagResource: res, Max: 3,
			Tags: []store.Tag{tag("c", "30")}}), "replacing at the limit is allowed")
		require.NoError(t, s.TagDelete(ctx, &store.TagDeleteParams{TagResource: res, Tags: []store.Tag{tag("a", "1")}}))
		require.NoError(t, s.TagUpsert(ctx, &store.TagUpsertParams{TagResource: res, Max: 3,
			Tags: []store.Tag{tag("d", "4")}}), "a freed slot can be used")
	})

	t.Run("DeleteMatchesKeyAndValue", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		sv := tagged(t, s, "p1", 0, tag("a", "1"), tag("b", "2"), tag("c", "3"))
		res := serverRes("p1", sv.ID)
		require.NoError(t, s.TagDelete(ctx, &store.TagDeleteParams{TagResource: res,
			Tags: []store.Tag{tag("a", "1"), tag("b", "other"), tag("missing", "x")}}))
		got, err := s.TagList(ctx, &res)
		require.NoError(t, err)
		require.Equal(t, []store.Tag{tag("b", "2"), tag("c", "3")}, got,
			"only the exact pair goes; a wrong value or a missing key is skipped")
		require.NoError(t, s.TagDelete(ctx, &store.TagDeleteParams{TagResource: res, Tags: []store.Tag{tag("a", "1")}}),
			"deleting again is not an error")
	})

	t.Run("KeyList", func(t *testing.T) {
		t.Parallel()
		s, ctx := newStore(t), t.Context()
		tagged(t, s, "p1", 0, tag("env", "prod"), tag("team", "red"))
		tagged(t, s, "p1", 1, tag("env", "dev"), tag("team", "red"))
		tagged(t, s, "p1", 2, tag("env", "prod"), tag("app", "x"))
		tagged(t, s, "p2", 0, tag("secret", "p2-only"), tag("env", "staging"))
		p := &store.TagKeyListParams{ProjectID: "p1", ResourceType: store.TagResourceServer}
		keys, total, err := s.TagKeyList(ctx, p)
		require.NoError(t, err)
		require.Equal(t, 3, total)
		require.Equal(t, []store.TagKey{
			{Key: "app", Values: []string{"x"}},
			{Key: "env", Values: []string{"dev", "prod"}},
			{Key: "team", Values: []string{"red"}},
		}, keys, "keys and values ascending, each value once, another project's never")

		p.Page = store.Page{Offset: 1, Limit: 1}
		keys, total, err = s.TagKeyList(ctx, p)
		require.NoError(t, err)
		require.Equal(t, 3, total, "the total is before paging")
		require.Equal(t, []store.TagKey{{Key: "env", Values: []string{"dev", "prod"}}}, keys, "pages count keys, not values")
	})

	t.Run("Filter", func(t *testing.T) { t.Parallel(); exerciseTagFilter(t, newStore) })
}

func exerciseTagFilter(t *testing.T, newStore func(t *testing.T) store.Store) {
	s, ctx := newStore(t), t.Context()
	a := tagged(t, s, "p1", 0, tag("env", "prod"), tag("team", "red"))
	b := tagged(t, s, "p1", 1, tag("env", "dev"), tag("team", "red"))
	c := tagged(t, s, "p1", 2, tag("env", "prod"))
	d := tagged(t, s, "p1", 3)
	e := tagged(t, s, "p1", 4, tag("env", "Prod"), tag("team", "blue"))
	tagged(t, s, "p2", 5, tag("env", "prod"), tag("team", "red"))
	tagged(t, s, "p2", 6)
	// One server of another enterprise project, and a name two servers share.
	const otherEP = "8e1d9a1f-2f2a-4b9b-9a51-3a2f1f6e1c11"
	epServer := sampleServer("p1", baseTime.Add(5*time.Minute))
	epServer.EnterpriseProjectID = otherEP
	epServer.Name = c.Name
	require.NoError(t, s.ServerInsert(ctx, &epServer))

	ids := func(servers ...store.Server) []string {
		out := make([]string, len(servers))
		for i, sv := range servers {
			out[i] = sv.ID
		}
		return out
	}
	q := func(key string, values ...string) store.TagQuery { return store.TagQuery{Key: key, Values: values} }
	name := func(n string) *string { return &n }

	tests := []struct {
		name   string
		params store.TagResourceListParams
		want   []string
	}{
		{name: "NoConditionIsEveryResourceNewestFirst", want: ids(epServer, e, d, c, b, a)},
		{name: "OneValue", params: store.TagResourceListParams{Tags: []store.TagQuery{q("env", "prod")}}, want: ids(c, a)},
		{name: "ValuesAreCaseSensitive", params: store.TagResourceListParams{Tags: []store.TagQuery{q("env", "Prod")}}, want: ids(e)},
		{name: "ValuesOfOneKeyOr", params: store.TagResourceListParams{Tags: []store.TagQuery{q("env", "prod", "dev")}}, want: ids(c, b, a)},
		{name: "KeysAnd", params: store.TagResourceListParams{Tags: []store.TagQuery{q("env", "prod"), q("team", "red")}}, want: ids(a)},
		{name: "KeysAndWithValuesOr", params: store.TagResourceListParams{Tags: []store.TagQuery{q("env", "prod", "dev"), q("team", "red")}}, want: ids(b, a)},
		{name: "EmptyValuesIsAnyValue", params: store.TagResourceListParams{Tags: []store.TagQuery{q("team")}}, want: ids(e, b, a)},
		{name: "AnyValueAndOneValue", params: store.TagResourceListParams{Tags: []store.TagQuery{q("team"), q("env", "dev")}}, want: ids(b)},
		{name: "UnknownKey", params: store.TagResourceListParams{Tags: []store.TagQuery{q("nope")}}, want: ids()},
		{name: "UnknownValue", params: store.TagResourceListParams{Tags: []store.TagQuery{q("env", "qa")}}, want: ids()},
		{name: "ValueOfAnotherKey", params: store.TagResourceListParams{Tags: []store.TagQuery{q("team", "prod")}}, want: ids()},
		{name: "WithoutAnyTag", params: store.TagResourceListParams{WithoutAnyTag: true}, want: ids(epServer, d)},
		{name: "WithoutAnyTagAndATagIsNothing", params: store.TagResourceListParams{WithoutAnyTag: true, Tags: []store.TagQuery{q("env")}}, want: ids()},
		{name: "NameExact", params: store.TagResourceListParams{Name: name(b.Name)}, want: ids(b)},
		{name: "NameIsNotASubstringMatch", params: store.TagResourceListParams{Name: name(b.Name[:5])}, want: ids()},
		{name: "NameSharedByTwo", params: store.TagResourceListParams{Name: name(c.Name)}, want: ids(epServer, c)},
		{name: "NameAndTag", params: store.TagResourceListParams{Name: name(c.Name), Tags: []store.TagQuery{q("env", "prod")}}, want: ids(c)},
		{name: "NameAndWithoutAnyTag", params: store.TagResourceListParams{Name: name(c.Name), WithoutAnyTag: true}, want: ids(epServer)},
		{name: "EnterpriseProject", params: store.TagResourceListParams{EnterpriseProjectIDs: []string{otherEP}}, want: ids(epServer)},
		{name: "EnterpriseProjectsOr", params: store.TagResourceListParams{EnterpriseProjectIDs: []string{"0", otherEP}}, want: ids(epServer, e, d, c, b, a)},
		{name: "EnterpriseProjectAndTag", params: store.TagResourceListParams{EnterpriseProjectIDs: []string{"0"}, Tags: []store.TagQuery{q("team", "blue")}}, want: ids(e)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.params
			p.ProjectID, p.ResourceType = "p1", store.TagResourceServer
			got, total, err := s.TagResourceList(ctx, &p)
			require.NoError(t, err)
			require.Equal(t, len(tt.want), total)
			require.Equal(t, tt.want, resultIDs(got))
			n, err := s.TagResourceCount(ctx, &p)
			require.NoError(t, err)
			require.Equal(t, len(tt.want), n, "count agrees with the list")
		})
	}

	t.Run("ResourcesCarryNamesAndAllTags", func(t *testing.T) {
		got, _, err := s.TagResourceList(ctx, &store.TagResourceListParams{ProjectID: "p1",
			ResourceType: store.TagResourceServer, Tags: []store.TagQuery{q("team", "red")}})
		require.NoError(t, err)
		require.Equal(t, []store.TaggedResource{
			{ID: b.ID, Name: b.Name, Tags: []store.Tag{tag("env", "dev"), tag("team", "red")}},
			{ID: a.ID, Name: a.Name, Tags: []store.Tag{tag("env", "prod"), tag("team", "red")}},
		}, got, "every tag of a match, not only the matching ones")
		got, _, err = s.TagResourceList(ctx, &store.TagResourceListParams{ProjectID: "p1",
			ResourceType: store.TagResourceServer, WithoutAnyTag: true})
		require.NoError(t, err)
		require.NotNil(t, got[0].Tags)
		require.Empty(t, got[0].Tags)
	})

	t.Run("Paging", func(t *testing.T) {
		p := &store.TagResourceListParams{ProjectID: "p1", ResourceType: store.TagResourceServer,
			Page: store.Page{Offset: 1, Limit: 2}}
		got, total, err := s.TagResourceList(ctx, p)
		require.NoError(t, err)
		require.Equal(t, 6, total, "the total is before paging")
		require.Equal(t, ids(e, d), resultIDs(got))
		p.Page = store.Page{Offset: 6, Limit: 2}
		got, total, err = s.TagResourceList(ctx, p)
		require.NoError(t, err)
		require.Equal(t, 6, total)
		require.NotNil(t, got)
		require.Empty(t, got, "a page past the end is empty")
		n, err := s.TagResourceCount(ctx, p)
		require.NoError(t, err)
		require.Equal(t, 6, n, "count ignores the page")
	})

	t.Run("ProjectIsolated", func(t *testing.T) {
		got, total, err := s.TagResourceList(ctx, &store.TagResourceListParams{ProjectID: "p3",
			ResourceType: store.TagResourceServer})
		require.NoError(t, err)
		require.Zero(t, total)
		require.Empty(t, got)
	})
}

// resultIDs are the ids of filter results in their order.
func resultIDs(rs []store.TaggedResource) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}
