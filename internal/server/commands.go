package server

import (
	"errors"
	"net/http"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/server/request"
	"github.com/opencph/opencph/internal/server/response"
)

// runCommand serves POST phones/commands (5.7.1–5.7.4), whose body's command chooses push,
// install, install-multiple, uninstall or shell; all of them are the one IAM action of the path.
func runCommand(s *Server, r *http.Request) response.Response {
	return phoneBatch(r, s.cph.RunCommand)
}

// runSyncCommand serves POST phones/sync-commands (5.7.5). Its quota is per user, so the
// handler passes the caller on.
func runSyncCommand(s *Server, r *http.Request) response.Response {
	p := principal(r)
	if p == nil {
		return response.SmartError(errors.New("sync-commands: no authenticated caller"))
	}
	var body api.RunSyncCommandRequestBody
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	rid := request.ID(r.Context())
	jobs, err := s.cph.RunSyncCommand(r.Context(), r.PathValue("project_id"), rid, p.UserID, &body)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.RunSyncCommandResponse{RequestID: rid, Jobs: jobs})
}
