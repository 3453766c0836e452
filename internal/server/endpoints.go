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
		{"GET", v1 + "/encode-servers", "cph:servers:listEncodeServers", listEncodeServers},
		{"GET", v1 + "/jobs/{job_id}", "cph:jobs:get", getJob},
		{"GET", v1 + "/jobs", "cph:jobs:list", listJobs},
	}
}
