package server

import (
	"context"
	"net/http"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/server/request"
	"github.com/opencph/opencph/internal/server/response"
)

// restartPhones serves POST phones/batch-restart (5.3.7).
func restartPhones(s *Server, r *http.Request) response.Response {
	return phoneBatch(r, s.cph.RestartPhones)
}

// resetPhones serves POST phones/batch-reset (5.3.6).
func resetPhones(s *Server, r *http.Request) response.Response {
	return phoneBatch(r, s.cph.ResetPhones)
}

// stopPhones serves POST phones/batch-stop (5.3.8).
func stopPhones(s *Server, r *http.Request) response.Response {
	return phoneBatch(r, s.cph.StopPhones)
}

// updatePhoneProperties serves POST phones/batch-update-property (5.3.10).
func updatePhoneProperties(s *Server, r *http.Request) response.Response {
	return phoneBatch(r, s.cph.UpdatePhoneProperties)
}

// setPhonesTraffic serves POST phones-traffic (5.3.13).
func setPhonesTraffic(s *Server, r *http.Request) response.Response {
	return phoneBatch(r, s.cph.SetPhonesTraffic)
}

// expandPhoneVolumes serves POST phones/expand-volume (5.3.14).
func expandPhoneVolumes(s *Server, r *http.Request) response.Response {
	return phoneBatch(r, s.cph.ExpandPhoneVolumes)
}

// phoneBatch decodes a phone batch body of type B, hands it to the domain and answers with the
// per-phone jobs under the request's id, which the jobs carry too.
func phoneBatch[B any](r *http.Request, op func(ctx context.Context, projectID, requestID string, body *B) ([]api.PhoneJob, error)) response.Response {
	var body B
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	rid := request.ID(r.Context())
	jobs, err := op(r.Context(), r.PathValue("project_id"), rid, &body)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.PhoneJobsResponse{RequestID: rid, Jobs: jobs})
}
