package server

import (
	"net/http"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/server/request"
	"github.com/opencph/opencph/internal/server/response"
)

// restartServers serves POST servers/batch-restart (5.1.5).
func restartServers(s *Server, r *http.Request) response.Response {
	var body api.RestartServersRequest
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	jobs, err := s.cph.RestartServers(r.Context(), r.PathValue("project_id"), request.ID(r.Context()), body.ServerIDs)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.ServerJobsResponse{RequestID: request.ID(r.Context()), Jobs: jobs})
}

// changeServer serves POST /v2/…/servers/{server_id}/change (5.1.6).
func changeServer(s *Server, r *http.Request) response.Response {
	var body api.ChangeServerRequest
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	resp, err := s.cph.ChangeServer(r.Context(), r.PathValue("project_id"), request.ID(r.Context()), r.PathValue("server_id"), &body)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(resp)
}

// changeServerModel serves POST servers/change-server-model (5.1.12).
func changeServerModel(s *Server, r *http.Request) response.Response {
	var body api.ChangeServerModelRequest
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	resp, err := s.cph.ChangeServerModel(r.Context(), r.PathValue("project_id"), request.ID(r.Context()), &body)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(resp)
}

// updateKeypairs serves PUT servers/open-access (5.5.1).
func updateKeypairs(s *Server, r *http.Request) response.Response {
	var body api.UpdateKeypairRequest
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	jobs, err := s.cph.UpdateKeypairs(r.Context(), r.PathValue("project_id"), request.ID(r.Context()), &body)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.ServerJobsResponse{RequestID: request.ID(r.Context()), Jobs: jobs})
}

// restartEncodeServers serves POST encode-servers/batch-restart (5.6.2).
func restartEncodeServers(s *Server, r *http.Request) response.Response {
	var body api.RestartEncodeServersRequest
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	jobs, err := s.cph.RestartEncodeServers(r.Context(), r.PathValue("project_id"), request.ID(r.Context()), body.EncodeServerIDs)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.RestartEncodeServersResponse{RequestID: request.ID(r.Context()), Jobs: jobs})
}
