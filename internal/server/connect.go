package server

import (
	"net/http"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/server/request"
	"github.com/opencph/opencph/internal/server/response"
)

// batchConnection serves POST phones/batch-connection (5.3.3).
func batchConnection(s *Server, r *http.Request) response.Response {
	var body api.ConnectionRequest
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	resp, err := s.cph.BatchConnection(r.Context(), r.PathValue("project_id"), &body)
	if err != nil {
		return response.SmartError(err)
	}
	resp.RequestID = request.ID(r.Context())
	return response.OK(resp)
}
