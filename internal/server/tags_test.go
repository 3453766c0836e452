package server

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestEndpointActionFromBody(t *testing.T) {
	t.Parallel()
	s := &Server{}
	find := func(eps []endpoint, method, path string) endpoint {
		for _, ep := range eps {
			if ep.Method == method && ep.Path == path {
				return ep
			}
		}
		t.Fatalf("no route %s %s", method, path)
		return endpoint{}
	}
	tagRoute := find(s.endpoints(), "POST", serverTags+"/{resource_id}/tags/action")
	otherType := find(s.fallbackEndpoints(), "POST", anyTags+"/{resource_id}/tags/action")
	listTags := find(s.endpoints(), "GET", serverTags+"/{resource_id}/tags")
	tests := []struct {
		name string
		ep   endpoint
		body string
		want string
	}{
		{"create tags", tagRoute, `{"action":"create","tags":[]}`, "cph:resource:tagResource"},
		{"delete tags", tagRoute, `{"action":"delete","tags":[]}`, "cph:resource:unTagResource"},
		{"delete tags of another resource type", otherType, `{"action":"delete"}`, "cph:resource:unTagResource"},
		{"unknown action falls back to the row's", tagRoute, `{"action":"remove"}`, "cph:resource:tagResource"},
		{"malformed body falls back to the row's", tagRoute, `{"action":`, "cph:resource:tagResource"},
		{"action of the wrong type falls back to the row's", tagRoute, `{"action":1}`, "cph:resource:tagResource"},
		{"empty body falls back to the row's", tagRoute, ``, "cph:resource:tagResource"},
		{"a route without body rule keeps its action", listTags, `{"action":"delete"}`, "cph:resource:listTagsForResource"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.ep.action([]byte(tt.body)))
		})
	}
}

// TestRouteTablesRegister checks that each table is a valid ServeMux on its own (ServeMux panics
// on overlapping patterns), that every route names an IAM action, and that every body rule names
// a route.
func TestRouteTablesRegister(t *testing.T) {
	t.Parallel()
	s := &Server{}
	routes := map[string]bool{}
	for _, eps := range [][]endpoint{s.endpoints(), s.fallbackEndpoints()} {
		mux := http.NewServeMux()
		seen := map[string]bool{}
		for _, ep := range eps {
			require.NotEmpty(t, ep.Action, "%s %s", ep.Method, ep.Path)
			routes[ep.Method+" "+ep.Path] = true
			if !seen[ep.Path] {
				require.NotPanics(t, func() { mux.Handle(ep.Path, http.NotFoundHandler()) }, ep.Path)
				seen[ep.Path] = true
			}
		}
	}
	for key := range bodyActions {
		require.True(t, routes[key], "body rule for %s has no route", key)
	}
}
