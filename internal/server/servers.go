package server

import (
	"net/http"
	"time"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/server/request"
	"github.com/opencph/opencph/internal/server/response"
	"github.com/opencph/opencph/internal/store"
)

// listServers serves GET servers (5.1.1).
func listServers(s *Server, r *http.Request) response.Response {
	offset, limit, err := request.Paging(r, 100, 100)
	if err != nil {
		return response.SmartError(err)
	}
	p := &store.ServerListParams{
		ProjectID: r.PathValue("project_id"), NameContains: request.Query(r, "server_name"),
		ServerID: request.Query(r, "server_id"), PhoneModelName: request.Query(r, "phone_model_name"),
		Page: store.Page{Offset: offset, Limit: limit},
	}
	if nv := request.Query(r, "network_version"); nv != "" {
		switch nv {
		case "v1", "V1":
			p.NetworkVersion = "v1"
		case "v2", "V2":
			p.NetworkVersion = "v2"
		default:
			return response.SmartError(cph.CPS0240.Err())
		}
	}
	if p.Status, err = request.QueryInt(r, "status", cph.CPS0010); err != nil {
		return response.SmartError(err)
	}
	if p.Status != nil && !cph.ServerStatusValid(*p.Status) {
		return response.SmartError(cph.CPS0010.Err())
	}
	for name, dst := range map[string]**time.Time{"create_since": &p.CreatedSince, "create_until": &p.CreatedUntil} {
		v, err := request.QueryInt64(r, name, cph.CPS0174)
		if err != nil {
			return response.SmartError(err)
		}
		if v != nil {
			t := epoch(*v)
			*dst = &t
		}
	}
	servers, total, err := s.cph.ListServers(r.Context(), p)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.ListServersResponse{RequestID: request.ID(r.Context()), Count: total, Servers: servers})
}

// epoch reads a create_since/create_until timestamp: seconds, or milliseconds when it is too
// large to be seconds (clients send both).
func epoch(v int64) time.Time {
	if v > 1e11 {
		return time.UnixMilli(v).UTC()
	}
	return time.Unix(v, 0).UTC()
}

// getServer serves GET servers/{server_id} (5.1.2).
func getServer(s *Server, r *http.Request) response.Response {
	d, err := s.cph.GetServer(r.Context(), r.PathValue("project_id"), r.PathValue("server_id"))
	if err != nil {
		return response.SmartError(err)
	}
	d.RequestID = request.ID(r.Context())
	return response.OK(d)
}

// renameServer serves PUT servers/{server_id} (5.1.13).
func renameServer(s *Server, r *http.Request) response.Response {
	var body api.UpdateServerNameRequest
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	if body.ServerName == nil {
		return response.SmartError(cph.CPS0087.Err())
	}
	err := s.cph.RenameServer(r.Context(), r.PathValue("project_id"), r.PathValue("server_id"), *body.ServerName)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.RequestOnly{RequestID: request.ID(r.Context())})
}

// createServers serves POST /v2/…/servers, the purchase (5.1.4).
func createServers(s *Server, r *http.Request) response.Response {
	var body api.CreateServersRequest
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	resp, err := s.cph.CreateServers(r.Context(), r.PathValue("project_id"), request.ID(r.Context()), &body)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(resp)
}

// listEncodeServers serves GET encode-servers (5.6.1).
func listEncodeServers(s *Server, r *http.Request) response.Response {
	offset, limit, err := request.Paging(r, 100, 100)
	if err != nil {
		return response.SmartError(err)
	}
	f := &cph.EncodeServerFilter{
		ProjectID: r.PathValue("project_id"), ServerID: request.Query(r, "server_id"),
		Page: store.Page{Offset: offset, Limit: limit},
	}
	if f.Type, err = request.QueryInt(r, "type", cph.CPS0116); err != nil {
		return response.SmartError(err)
	}
	if f.Type != nil && *f.Type != 0 && *f.Type != 1 {
		return response.SmartError(cph.CPS0116.Err())
	}
	if f.Status, err = request.QueryInt(r, "status", cph.CPS0010); err != nil {
		return response.SmartError(err)
	}
	if f.Status != nil && !cph.EncodeServerStatusValid(*f.Status) {
		return response.SmartError(cph.CPS0010.Err())
	}
	list, err := s.cph.ListEncodeServers(r.Context(), f)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.ListEncodeServersResponse{RequestID: request.ID(r.Context()), EncodeServers: list})
}
