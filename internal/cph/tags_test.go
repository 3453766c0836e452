package cph

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
	"github.com/opencph/opencph/internal/store/sqlite"
)

func requireCode(t *testing.T, want Code, err error) {
	t.Helper()
	if want == "" {
		require.NoError(t, err)
		return
	}
	require.Error(t, err)
	require.Equal(t, want, AsError(err).Code, "%v", err)
}

func TestValidateTagAction(t *testing.T) {
	t.Parallel()
	one := func(k, v string) func(*api.BatchCreateTagsRequestBody) {
		return func(b *api.BatchCreateTagsRequestBody) { b.Tags = []api.Tag{{Key: k, Value: v}} }
	}
	many := func(n int) func(*api.BatchCreateTagsRequestBody) {
		return func(b *api.BatchCreateTagsRequestBody) {
			b.Tags = nil
			for i := range n {
				b.Tags = append(b.Tags, api.Tag{Key: "k" + strings.Repeat("x", i), Value: "v"})
			}
		}
	}
	tests := []struct {
		name   string
		action string
		edit   func(*api.BatchCreateTagsRequestBody)
		want   Code
	}{
		{"create baseline", "create", nil, ""},
		{"delete baseline", "delete", nil, ""},
		{"action other than create or delete", "update", nil, CPS0047},
		{"action missing", "", nil, CPS0047},
		{"action is case-sensitive", "Create", nil, CPS0047},
		{"tags missing", "create", func(b *api.BatchCreateTagsRequestBody) { b.Tags = nil }, CPS0303},
		{"tags empty", "delete", func(b *api.BatchCreateTagsRequestBody) { b.Tags = []api.Tag{} }, CPS0303},
		{"create at most 20 tags", "create", many(21), CPS0307},
		{"create 20 tags", "create", many(20), ""},
		{"delete has no count limit", "delete", many(21), ""},
		{"keys unique", "create", func(b *api.BatchCreateTagsRequestBody) {
			b.Tags = []api.Tag{{Key: "k", Value: "a"}, {Key: "k", Value: "b"}}
		}, CPS0303},
		{"keys unique in delete too", "delete", func(b *api.BatchCreateTagsRequestBody) {
			b.Tags = []api.Tag{{Key: "k", Value: "a"}, {Key: "k", Value: "a"}}
		}, CPS0303},
		{"keys differing in case are distinct", "create", func(b *api.BatchCreateTagsRequestBody) {
			b.Tags = []api.Tag{{Key: "Env", Value: "a"}, {Key: "env", Value: "b"}}
		}, ""},
		{"key not empty", "create", one("", "v"), CPS0304},
		{"key 127 characters", "create", one(strings.Repeat("键", 127), "v"), ""},
		{"key at most 127 characters", "create", one(strings.Repeat("键", 128), "v"), CPS0304},
		{"key every allowed symbol", "create", one("a_b.c:d=e+f-g@h i", "v"), ""},
		{"key letters of any language", "create", one("环境Среда", "v"), ""},
		{"key letters with combining marks", "create", one("नमस्ते", "v"), ""},
		{"key digits", "create", one("2025", "v"), ""},
		{"key no slash", "create", one("a/b", "v"), CPS0304},
		{"key no asterisk", "create", one("a*", "v"), CPS0304},
		{"key no tab", "create", one("a\tb", "v"), CPS0304},
		{"key no comma", "create", one("a,b", "v"), CPS0304},
		{"key no full-width colon", "create", one("a：b", "v"), CPS0304},
		{"key may have outer spaces (only values may not)", "create", one(" k ", "v"), ""},
		{"key _sys_ prefix reserved", "create", one("_sys_enterprise_project_id", "0"), CPS0306},
		{"key _sys_ prefix reserved in delete", "delete", one("_sys_x", "v"), CPS0306},
		{"key _sys_ inside is fine", "create", one("my_sys_key", "v"), ""},
		{"value not empty", "create", one("k", ""), CPS0305},
		{"value not empty in delete", "delete", one("k", ""), CPS0305},
		{"value 255 characters", "create", one("k", strings.Repeat("值", 255)), ""},
		{"value at most 255 characters", "create", one("k", strings.Repeat("值", 256)), CPS0305},
		{"value every allowed symbol", "create", one("k", "a_b.c:d=e+f-g@h i"), ""},
		{"value no leading space", "create", one("k", " v"), CPS0305},
		{"value no trailing space", "create", one("k", "v "), CPS0305},
		{"value only a space", "create", one("k", " "), CPS0305},
		{"value no hash", "create", one("k", "#1"), CPS0305},
		{"value no newline", "create", one("k", "a\nb"), CPS0305},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := &api.BatchCreateTagsRequestBody{Action: tt.action, Tags: []api.Tag{{Key: "key1", Value: "value1"}, {Key: "key2", Value: "value2"}}}
			if tt.edit != nil {
				tt.edit(b)
			}
			requireCode(t, tt.want, validateTagAction(b))
		})
	}
}

func TestResourceQuery(t *testing.T) {
	t.Parallel()
	const uuid = "8e1d9a1f-2f2a-4b9b-9a51-3a2f1f6e1c11"
	keys := func(n int) []api.Tags {
		out := make([]api.Tags, n)
		for i := range out {
			out[i] = api.Tags{Key: "k" + strings.Repeat("x", i)}
		}
		return out
	}
	values := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "v" + strings.Repeat("x", i)
		}
		return out
	}
	filter := func(edit func(b *api.ListResourceInstancesRequestBody)) api.ListResourceInstancesRequestBody {
		b := api.ListResourceInstancesRequestBody{Action: "filter"}
		edit(&b)
		return b
	}
	tests := []struct {
		name string
		body api.ListResourceInstancesRequestBody
		want Code
		// check, when set, inspects the filter built from a valid body.
		check func(t *testing.T, p *store.TagResourceListParams)
	}{
		{name: "filter defaults offset 0 and limit 1000", body: filter(func(*api.ListResourceInstancesRequestBody) {}),
			check: func(t *testing.T, p *store.TagResourceListParams) {
				require.Equal(t, store.Page{Offset: 0, Limit: 1000}, p.Page)
				require.Equal(t, "p1", p.ProjectID)
				require.Equal(t, ResourceTypeServer, p.ResourceType)
			}},
		{name: "count baseline", body: api.ListResourceInstancesRequestBody{Action: "count"}},
		{name: "action other than filter or count", body: api.ListResourceInstancesRequestBody{Action: "list"}, want: CPS0047},
		{name: "action missing", body: api.ListResourceInstancesRequestBody{}, want: CPS0047},
		{name: "offset and limit are read from strings", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Offset, b.Limit = ptr("100"), ptr("100") }),
			check: func(t *testing.T, p *store.TagResourceListParams) {
				require.Equal(t, store.Page{Offset: 100, Limit: 100}, p.Page)
			}},
		{name: "offset a number", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Offset = ptr("ten") }), want: CPS0002},
		{name: "offset not empty", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Offset = ptr("") }), want: CPS0002},
		{name: "offset not negative", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Offset = ptr("-1") }), want: CPS0002},
		{name: "limit at least 1", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Limit = ptr("0") }), want: CPS0002},
		{name: "limit 1000", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Limit = ptr("1000") }), want: ""},
		{name: "limit at most 1000", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Limit = ptr("1001") }), want: CPS0002},
		{name: "limit a number", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Limit = ptr("1.5") }), want: CPS0002},
		{name: "count has no offset or limit", body: api.ListResourceInstancesRequestBody{Action: "count", Offset: ptr("x"), Limit: ptr("0")}},
		{name: "10 keys", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Tags = keys(10) })},
		{name: "at most 10 keys", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Tags = keys(11) }), want: CPS0309},
		{name: "key not empty", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Tags = []api.Tags{{Key: ""}} }), want: CPS0304},
		{name: "key at most 127 characters", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Tags = []api.Tags{{Key: strings.Repeat("键", 128)}}
		}), want: CPS0304},
		{name: "keys unique", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Tags = []api.Tags{{Key: "k"}, {Key: "k"}} }), want: CPS0303},
		{name: "10 values", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Tags = []api.Tags{{Key: "k", Values: values(10)}} })},
		{name: "at most 10 values per key", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Tags = []api.Tags{{Key: "k", Values: values(11)}}
		}), want: CPS0310},
		{name: "values unique", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Tags = []api.Tags{{Key: "k", Values: []string{"a", "b", "a"}}}
		}), want: CPS0315},
		{name: "value not empty", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Tags = []api.Tags{{Key: "k", Values: []string{""}}}
		}), want: CPS0305},
		{name: "value at most 255 characters", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Tags = []api.Tags{{Key: "k", Values: []string{strings.Repeat("值", 256)}}}
		}), want: CPS0305},
		{name: "empty values are any value", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Tags = []api.Tags{{Key: "a", Values: []string{}}, {Key: "b", Values: []string{"x", "y"}}}
		}), check: func(t *testing.T, p *store.TagResourceListParams) {
			require.Equal(t, []store.TagQuery{{Key: "a", Values: []string{}}, {Key: "b", Values: []string{"x", "y"}}}, p.Tags)
		}},
		{name: "_sys_ keys other than the enterprise project are reserved", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Tags = []api.Tags{{Key: "_sys_owner", Values: []string{"x"}}}
		}), want: CPS0306},
		{name: "enterprise project id 0 or a UUID", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Tags = []api.Tags{{Key: "_sys_enterprise_project_id", Values: []string{"0", uuid}}}
		}), check: func(t *testing.T, p *store.TagResourceListParams) {
			require.Equal(t, []string{"0", uuid}, p.EnterpriseProjectIDs)
			require.Empty(t, p.Tags)
		}},
		{name: "enterprise project id invalid", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Tags = []api.Tags{{Key: "_sys_enterprise_project_id", Values: []string{"default"}}}
		}), want: CPS0316},
		{name: "without_any_tag ignores tags", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.WithoutAnyTag, b.Tags = ptr(true), []api.Tags{{Key: "k"}}
		}), check: func(t *testing.T, p *store.TagResourceListParams) {
			require.True(t, p.WithoutAnyTag)
			require.Empty(t, p.Tags)
		}},
		{name: "without_any_tag still validates tags", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.WithoutAnyTag, b.Tags = ptr(true), []api.Tags{{Key: ""}}
		}), want: CPS0304},
		{name: "without_any_tag false changes nothing", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.WithoutAnyTag, b.Tags = ptr(false), []api.Tags{{Key: "k"}}
		}), check: func(t *testing.T, p *store.TagResourceListParams) {
			require.False(t, p.WithoutAnyTag)
			require.Len(t, p.Tags, 1)
		}},
		{name: "match resource_name exact", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Matches = []api.Match{{Key: "resource_name", Value: "cph-1"}}
		}), check: func(t *testing.T, p *store.TagResourceListParams) {
			require.Equal(t, ptr("cph-1"), p.Name)
		}},
		{name: "match has a key", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Matches = []api.Match{{Value: "x"}} }), want: CPS0312},
		{name: "match key only resource_name", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Matches = []api.Match{{Key: "resource_id", Value: "x"}}
		}), want: CPS0313},
		{name: "match value not empty", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Matches = []api.Match{{Key: "resource_name"}}
		}), want: CPS0314},
		{name: "match value at most 255 characters", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Matches = []api.Match{{Key: "resource_name", Value: strings.Repeat("n", 256)}}
		}), want: CPS0314},
		{name: "matches name resource_name once", body: filter(func(b *api.ListResourceInstancesRequestBody) {
			b.Matches = []api.Match{{Key: "resource_name", Value: "a"}, {Key: "resource_name", Value: "b"}}
		}), want: CPS0311},
		{name: "matches empty", body: filter(func(b *api.ListResourceInstancesRequestBody) { b.Matches = []api.Match{} }),
			check: func(t *testing.T, p *store.TagResourceListParams) { require.Nil(t, p.Name) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := resourceQuery("p1", &tt.body)
			requireCode(t, tt.want, err)
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

// tagService is a Service over a fresh SQLite store with two projects' servers: the tag
// operations need nothing else.
func tagService(t *testing.T) (*Service, store.Store) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "cph.db"))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	return &Service{st: st}, st
}

func TestTagActionRules(t *testing.T) {
	t.Parallel()
	svc, st := tagService(t)
	ctx := t.Context()
	sv := store.Server{ID: store.NewID(), ProjectID: "p1", Name: "mine"}
	require.NoError(t, st.ServerInsert(ctx, &sv))
	create := func(tags ...api.Tag) *api.BatchCreateTagsRequestBody {
		return &api.BatchCreateTagsRequestBody{Action: "create", Tags: tags}
	}
	list := func() []api.Tag {
		got, err := svc.ListResourceTags(ctx, "p1", ResourceTypeServer, sv.ID)
		require.NoError(t, err)
		return got
	}

	tests := []struct {
		name      string
		project   string
		typ       string
		id        string
		body      *api.BatchCreateTagsRequestBody
		want      Code
		wantAfter []api.Tag
	}{
		{name: "resource type other than cph-server", typ: "cph-phone", body: create(api.Tag{Key: "a", Value: "1"}), want: CPS0300},
		{name: "resource id of another format", id: "not-an-id", body: create(api.Tag{Key: "a", Value: "1"}), want: CPS0301},
		{name: "resource id upper case", id: strings.ToUpper(sv.ID), body: create(api.Tag{Key: "a", Value: "1"}), want: CPS0301},
		{name: "unknown resource", id: store.NewID(), body: create(api.Tag{Key: "a", Value: "1"}), want: CPS0302},
		{name: "another project's server is unknown", project: "p2", body: create(api.Tag{Key: "a", Value: "1"}), want: CPS0302},
		{name: "create", body: create(api.Tag{Key: "a", Value: "1"}, api.Tag{Key: "b", Value: "2"}),
			wantAfter: []api.Tag{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}},
		{name: "create an existing key replaces its value", body: create(api.Tag{Key: "a", Value: "9"}),
			wantAfter: []api.Tag{{Key: "a", Value: "9"}, {Key: "b", Value: "2"}}},
		{name: "invalid body changes nothing", body: create(api.Tag{Key: "c", Value: "3"}, api.Tag{Key: "_sys_d", Value: "4"}), want: CPS0306,
			wantAfter: []api.Tag{{Key: "a", Value: "9"}, {Key: "b", Value: "2"}}},
		{name: "delete a pair not held is no error", body: &api.BatchCreateTagsRequestBody{Action: "delete",
			Tags: []api.Tag{{Key: "a", Value: "1"}, {Key: "zz", Value: "1"}}},
			wantAfter: []api.Tag{{Key: "a", Value: "9"}, {Key: "b", Value: "2"}}},
		{name: "delete", body: &api.BatchCreateTagsRequestBody{Action: "delete", Tags: []api.Tag{{Key: "a", Value: "9"}}},
			wantAfter: []api.Tag{{Key: "b", Value: "2"}}},
	}
	for _, tt := range tests {
		project, typ, id := "p1", ResourceTypeServer, sv.ID
		if tt.project != "" {
			project = tt.project
		}
		if tt.typ != "" {
			typ = tt.typ
		}
		if tt.id != "" {
			id = tt.id
		}
		requireCode(t, tt.want, svc.TagAction(ctx, project, typ, id, tt.body))
		if tt.wantAfter != nil {
			require.Equal(t, tt.wantAfter, list(), tt.name)
		}
	}
}

func TestTagLimitPerResource(t *testing.T) {
	t.Parallel()
	svc, st := tagService(t)
	ctx := t.Context()
	sv := store.Server{ID: store.NewID(), ProjectID: "p1", Name: "full"}
	require.NoError(t, st.ServerInsert(ctx, &sv))
	body := &api.BatchCreateTagsRequestBody{Action: "create"}
	for i := range MaxTagsPerResource - 1 {
		body.Tags = append(body.Tags, api.Tag{Key: "k" + strings.Repeat("x", i), Value: "v"})
	}
	require.NoError(t, svc.TagAction(ctx, "p1", ResourceTypeServer, sv.ID, body))
	more := &api.BatchCreateTagsRequestBody{Action: "create", Tags: []api.Tag{{Key: "new1", Value: "v"}, {Key: "new2", Value: "v"}}}
	requireCode(t, CPS0307, svc.TagAction(ctx, "p1", ResourceTypeServer, sv.ID, more))
	got, err := svc.ListResourceTags(ctx, "p1", ResourceTypeServer, sv.ID)
	require.NoError(t, err)
	require.Len(t, got, MaxTagsPerResource-1, "a refused create adds none of its tags")
	more.Tags = more.Tags[:1]
	require.NoError(t, svc.TagAction(ctx, "p1", ResourceTypeServer, sv.ID, more), "the 20th tag fits")
}

func TestTagReadsCheckTheResource(t *testing.T) {
	t.Parallel()
	svc, _ := tagService(t)
	ctx := t.Context()
	_, err := svc.ListResourceTags(ctx, "p1", "server", store.NewID())
	requireCode(t, CPS0300, err)
	_, err = svc.ListResourceTags(ctx, "p1", ResourceTypeServer, "x")
	requireCode(t, CPS0301, err)
	_, err = svc.ListResourceTags(ctx, "p1", ResourceTypeServer, store.NewID())
	requireCode(t, CPS0302, err)
	_, err = svc.ListProjectTags(ctx, "p1", "cph-phone", store.Page{})
	requireCode(t, CPS0300, err)
	_, err = svc.ListResourceInstances(ctx, "p1", "", &api.ListResourceInstancesRequestBody{Action: "count"})
	requireCode(t, CPS0300, err)
}
