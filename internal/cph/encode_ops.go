package cph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/store"
)

// RestartEncodeServers restarts encode servers (5.6.2), one job each. An encode server shows 3
// (restarting) from the request until its job ends, then 1 (running) again, as 5.6.1 lists them.
//
// A list that is empty or longer than MaxServersPerBatch is CPS.0122. Per encode server: a
// malformed id is CPS.0121, an unknown one CPS.0123, one being created CPS.0124, one already
// restarting CPS.0349, one whose server is frozen CPS.0195; the rest proceed. An abnormal encode
// server may restart.
func (s *Service) RestartEncodeServers(ctx context.Context, projectID, requestID string, ids []string) ([]api.EncodeServerJob, error) {
	if len(ids) == 0 || len(ids) > MaxServersPerBatch {
		return nil, CPS0122.Errf("give 1-%d encode server ids", MaxServersPerBatch)
	}
	// Encode servers have no rows of their own: each is derived from its server, so a project's
	// servers (a hundred by default) map the ids back.
	servers, _, err := s.st.ServerList(ctx, &store.ServerListParams{ProjectID: projectID})
	if err != nil {
		return nil, err
	}
	serverOf := make(map[string]string, len(servers))
	for _, srv := range servers {
		serverOf[derivedID(srv.ID, "encode-server")] = srv.ID
	}
	results, err := s.submitBatch(ctx, len(ids), func(tx store.Store, i int, now time.Time) (string, error) {
		return s.restartEncodeServer(ctx, tx, projectID, requestID, ids[i], serverOf[ids[i]], now)
	})
	if err != nil {
		return nil, err
	}
	out := make([]api.EncodeServerJob, len(ids))
	for i, r := range results {
		out[i] = api.EncodeServerJob{EncodeServerID: ids[i], JobID: r.jobID, ErrorCode: r.code, ErrorMsg: r.msg}
	}
	return out, nil
}

func (s *Service) restartEncodeServer(ctx context.Context, tx store.Store, projectID, requestID, id, serverID string, now time.Time) (string, error) {
	if !isHexID(id) {
		return "", CPS0121.Err()
	}
	if serverID == "" {
		return "", CPS0123.Err()
	}
	srv, err := tx.ServerGet(ctx, projectID, serverID)
	if err != nil {
		return "", notFound(err, CPS0123)
	}
	if srv.Status == store.ServerFrozen {
		return "", CPS0195.Err()
	}
	switch encodeStatus(srv) {
	case EncodeCreating:
		return "", CPS0124.Err()
	case EncodeRestarting:
		return "", CPS0349.Err()
	}
	restarting := EncodeRestarting
	if err := tx.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: projectID, ID: srv.ID, EncodeServerStatus: &restarting}); err != nil {
		return "", fmt.Errorf("encode server of %s: %w", srv.ID, err)
	}
	return queueServerJob(ctx, tx, projectID, requestID, kindEncodeRestart, srv.ID, nil, now)
}

// runEncodeRestart brings an encode server back to running. The encoder is part of its server's
// host and has no process of its own in the runtime drivers, so restarting it is recording it;
// the job is there so that the restart is observable and its outcome listed like any other.
func (s *Service) runEncodeRestart(ctx context.Context, j *store.Job) job.Outcome {
	var p serverJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Outcome{Err: fmt.Errorf("payload: %w", err)}
	}
	running := EncodeRunning
	return job.Outcome{
		ExecuteMsg: "encode server restarted",
		Apply: func(ctx context.Context, tx store.Store) error {
			err := tx.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: j.ProjectID, ID: p.ServerID, EncodeServerStatus: &running})
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		},
	}
}
