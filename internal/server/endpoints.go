package server

import (
	"net/http"

	"github.com/opencph/opencph/internal/server/response"
)

// endpoint is one row of the route table: what it serves, and the IAM action (table 7-1) a caller
// must be allowed.
type endpoint struct {
	Method  string
	Path    string
	Action  string
	Handler func(s *Server, r *http.Request) response.Response
}

const (
	v1 = "/v1/{project_id}/cloud-phone"
	v2 = "/v2/{project_id}/cloud-phone"
)

// endpoints is the route table of the CPH API.
func (s *Server) endpoints() []endpoint {
	return []endpoint{
		{"GET", v1 + "/servers", "cph:servers:list", listServers},
		{"GET", v1 + "/servers/{server_id}", "cph:servers:get", getServer},
		{"PUT", v1 + "/servers/{server_id}", "cph:servers:updateName", renameServer},
		{"POST", v2 + "/servers", "cph:servers:create", createServers},
		{"GET", v1 + "/server-models", "cph:system:listServerTypes", listServerModels},
		{"GET", v1 + "/phone-models", "cph:system:listPhoneSpecifications", listPhoneModels},
		{"GET", v1 + "/phone-images", "cph:images:list", listPhoneImages},
		{"GET", v1 + "/bandwidths", "cph:bandwidths:list", listBandwidths},
		{"PUT", v1 + "/bandwidths/{band_width_id}", "cph:bandwidths:put", updateBandwidth},
		{"GET", v1 + "/phones", "cph:phones:list", listPhones},
		{"GET", v1 + "/phones/{phone_id}", "cph:phones:get", getPhone},
		{"PUT", v1 + "/phones/{phone_id}", "cph:phones:updateName", renamePhone},
		{"POST", v1 + "/phones/batch-connection", "cph:phones:getConnections", batchConnection},
		{"POST", v1 + "/phones/batch-restart", "cph:phones:restart", restartPhones},
		{"POST", v1 + "/phones/batch-reset", "cph:phones:reset", resetPhones},
		{"POST", v1 + "/phones/batch-stop", "cph:phones:stop", stopPhones},
		{"POST", v1 + "/phones/batch-update-property", "cph:phones:updateProperty", updatePhoneProperties},
		{"POST", v1 + "/phones-traffic", "cph:phones:createTrafficRoute", setPhonesTraffic},
		{"POST", v1 + "/phones/expand-volume", "cph:phones:expandVolume", expandPhoneVolumes},
		{"POST", v1 + "/phones/commands", "cph:phones:execCommands", runCommand},
		{"POST", v1 + "/phones/sync-commands", "cph:phones:execSyncCommands", runSyncCommand},
		{"GET", v1 + "/encode-servers", "cph:servers:listEncodeServers", listEncodeServers},
		{"POST", v1 + "/servers/batch-restart", "cph:servers:restart", restartServers},
		{"POST", v2 + "/servers/{server_id}/change", "cph:servers:change", changeServer},
		{"POST", v1 + "/servers/change-server-model", "cph:servers:changeType", changeServerModel},
		{"PUT", v1 + "/servers/open-access", "cph:servers:updateKeypair", updateKeypairs},
		{"POST", v1 + "/encode-servers/batch-restart", "cph:servers:restartEncodeServers", restartEncodeServers},
		{"GET", v1 + "/jobs/{job_id}", "cph:jobs:get", getJob},
		{"GET", v1 + "/jobs", "cph:jobs:list", listJobs},
		{"GET", v1 + "/images", "cph:images:list", listImages},
		{"DELETE", v1 + "/images/{image_id}", "cph:images:delete", deleteImage},
		{"POST", v1 + "/images/{image_id}/members", "cph:images:addMembers", addImageMember},
		{"GET", v1 + "/images/{image_id}/members", "cph:images:listMembers", listImageMembers},
		{"DELETE", v1 + "/images/{image_id}/members/{member_id}", "cph:images:deleteMembers", deleteImageMember},
		{"POST", v1 + "/phones/{phone_id}/image", actionImagesCreate, createImage},
		{"POST", "/admin/v1/images", actionImagesImport, importImage},
		{"GET", serverTags + "/tags", "cph:resource:listTags", listProjectTags},
		{"GET", serverTags + "/{resource_id}/tags", "cph:resource:listTagsForResource", listResourceTags},
		{"POST", serverTags + "/{resource_id}/tags/action", actionTagResource, tagAction},
		{"POST", serverTags + "/resource_instances/action", "cph:resource:listResourcesByTag", listResourceInstances},
	}
}

// fallbackEndpoints are tried only for paths the table above matches nowhere: their patterns
// overlap the table's, which one ServeMux refuses. The tag routes of other resource types answer
// CPS.0300, after the same authentication and authorization as the real ones.
func (s *Server) fallbackEndpoints() []endpoint {
	return []endpoint{
		{"GET", anyTags + "/tags", "cph:resource:listTags", badResourceType},
		{"GET", anyTags + "/{resource_id}/tags", "cph:resource:listTagsForResource", badResourceType},
		{"POST", anyTags + "/{resource_id}/tags/action", actionTagResource, badResourceType},
		{"POST", anyTags + "/resource_instances/action", "cph:resource:listResourcesByTag", badResourceType},
	}
}

// bodyActions holds the routes whose IAM action depends on the body, where one path serves
// several operations of table 7-1 (tags/action: create or delete), keyed by "METHOD path" of a
// row; the row's Action stays the action of a body that selects nothing. It is a table of its
// own rather than a field of endpoint so that the rows keep their four-value form.
var bodyActions = map[string]func(body []byte) string{
	"POST " + serverTags + "/{resource_id}/tags/action": tagActionFor,
	"POST " + anyTags + "/{resource_id}/tags/action":    tagActionFor,
}

// action is the IAM action a call of ep with body needs.
func (ep endpoint) action(body []byte) string {
	if f := bodyActions[ep.Method+" "+ep.Path]; f != nil {
		return f(body)
	}
	return ep.Action
}
