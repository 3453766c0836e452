package server

import (
	"encoding/json"
	"net/http"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/server/request"
	"github.com/opencph/opencph/internal/server/response"
	"github.com/opencph/opencph/internal/store"
)

// The tag routes (5.8) are /v1/{project_id}/{resource_type}/…. The table serves the one real
// type by its literal name; the wildcard form overlaps cloud-phone/servers/{server_id} (both match
// /v1/p/cloud-phone/servers/tags), so it lives among the fallback endpoints and only answers
// CPS.0300.
const (
	serverTags = "/v1/{project_id}/" + cph.ResourceTypeServer
	anyTags    = "/v1/{project_id}/{resource_type}"
)

// IAM actions of the tag routes (table 7-1).
const (
	actionTagResource   = "cph:resource:tagResource"
	actionUnTagResource = "cph:resource:unTagResource"
)

// tagActionFor picks the IAM action of POST …/tags/action from the body's action: create and
// delete share the path but not the permission. A body that names neither is checked against
// tagResource and then refused by validation.
func tagActionFor(body []byte) string {
	var b struct {
		Action string `json:"action"`
	}
	if json.Unmarshal(body, &b) == nil && b.Action == api.TagActionDelete {
		return actionUnTagResource
	}
	return actionTagResource
}

// listProjectTags serves GET {resource_type}/tags (5.8.1). offset and limit are the SDK's
// optional query parameters (limit 1 to 100, default 100); total_count is the number of keys.
func listProjectTags(s *Server, r *http.Request) response.Response {
	offset, limit, err := request.Paging(r, 100, 100)
	if err != nil {
		return response.SmartError(err)
	}
	resp, err := s.cph.ListProjectTags(r.Context(), r.PathValue("project_id"), cph.ResourceTypeServer,
		store.Page{Offset: offset, Limit: limit})
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(resp)
}

// listResourceTags serves GET {resource_type}/{resource_id}/tags (5.8.2).
func listResourceTags(s *Server, r *http.Request) response.Response {
	tags, err := s.cph.ListResourceTags(r.Context(), r.PathValue("project_id"), cph.ResourceTypeServer,
		r.PathValue("resource_id"))
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.ListResourceTagsResponse{Tags: tags})
}

// tagAction serves POST {resource_type}/{resource_id}/tags/action: create (5.8.4) or delete
// (5.8.5), 204 with no body.
func tagAction(s *Server, r *http.Request) response.Response {
	var body api.BatchCreateTagsRequestBody
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	err := s.cph.TagAction(r.Context(), r.PathValue("project_id"), cph.ResourceTypeServer,
		r.PathValue("resource_id"), &body)
	if err != nil {
		return response.SmartError(err)
	}
	return response.NoContent()
}

// listResourceInstances serves POST {resource_type}/resource_instances/action (5.8.3).
func listResourceInstances(s *Server, r *http.Request) response.Response {
	var body api.ListResourceInstancesRequestBody
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	resp, err := s.cph.ListResourceInstances(r.Context(), r.PathValue("project_id"), cph.ResourceTypeServer, &body)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(resp)
}

// badResourceType answers the tag routes of any resource type but cph-server.
func badResourceType(_ *Server, r *http.Request) response.Response {
	return response.SmartError(cph.CPS0300.Errf("%q is not a resource type; the only one is %s",
		r.PathValue("resource_type"), cph.ResourceTypeServer))
}
