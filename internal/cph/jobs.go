package cph

import (
	"context"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// MaxRequestIDs is how many request ids one GET jobs may name (5.4.2).
const MaxRequestIDs = 20

// GetJob is one job of the project (5.4.1); CPS.0011 when there is none.
func (s *Service) GetJob(ctx context.Context, projectID, id string) (*api.Job, error) {
	j, err := s.st.JobGet(ctx, projectID, id)
	if err != nil {
		return nil, notFound(err, CPS0011)
	}
	v := jobView(j)
	return &v, nil
}

// ListJobs lists the jobs of up to MaxRequestIDs requests (5.4.2).
func (s *Service) ListJobs(ctx context.Context, projectID string, requestIDs []string, page store.Page) ([]api.Job, error) {
	rows, _, err := s.st.JobList(ctx, &store.JobListParams{ProjectID: projectID, RequestIDs: requestIDs, Page: page})
	if err != nil {
		return nil, err
	}
	out := make([]api.Job, len(rows))
	for i := range rows {
		out[i] = jobView(&rows[i])
	}
	return out, nil
}

func jobView(j *store.Job) api.Job {
	v := api.Job{
		PhoneID: j.PhoneID, ServerID: j.ServerID, JobID: j.ID, Status: j.Status,
		BeginTime: api.FormatTime(j.BeginTime), EndTime: api.FormatTime(j.EndTime),
		ErrorCode: j.ErrorCode, ErrorMsg: j.ErrorMsg, ExecuteMsg: j.ExecuteMsg,
	}
	if j.ServerID != "" {
		v.NodeID = j.ServerID
	}
	return v
}
