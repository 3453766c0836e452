package server

import (
	"net/http"
	"strings"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/server/request"
	"github.com/opencph/opencph/internal/server/response"
	"github.com/opencph/opencph/internal/store"
)

// getJob serves GET jobs/{job_id} (5.4.1).
func getJob(s *Server, r *http.Request) response.Response {
	j, err := s.cph.GetJob(r.Context(), r.PathValue("project_id"), r.PathValue("job_id"))
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.JobDetail{RequestID: request.ID(r.Context()), Job: *j})
}

// listJobs serves GET jobs (5.4.2): request_ids (comma separated, at most 20) wins over
// request_id; one of them is required.
func listJobs(s *Server, r *http.Request) response.Response {
	offset, limit, err := request.Paging(r, 100, 100)
	if err != nil {
		return response.SmartError(err)
	}
	var ids []string
	if raw := request.Query(r, "request_ids"); raw != "" {
		for _, id := range strings.Split(raw, ",") {
			if id = strings.TrimSpace(id); id != "" {
				ids = append(ids, id)
			}
		}
		if len(ids) > cph.MaxRequestIDs {
			return response.SmartError(cph.CPS0161.Err())
		}
	} else if id := strings.TrimSpace(request.Query(r, "request_id")); id != "" {
		ids = []string{id}
	}
	if len(ids) == 0 {
		return response.SmartError(cph.CPS0049.Err())
	}
	jobs, err := s.cph.ListJobs(r.Context(), r.PathValue("project_id"), ids, store.Page{Offset: offset, Limit: limit})
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.ListJobsResponse{RequestID: request.ID(r.Context()), Jobs: jobs})
}
