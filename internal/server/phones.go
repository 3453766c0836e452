package server

import (
	"net/http"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/server/request"
	"github.com/opencph/opencph/internal/server/response"
	"github.com/opencph/opencph/internal/store"
)

// listPhones serves GET phones (5.3.1).
func listPhones(s *Server, r *http.Request) response.Response {
	offset, limit, err := request.Paging(r, 100, 200)
	if err != nil {
		return response.SmartError(err)
	}
	p := &store.PhoneListParams{
		ProjectID: r.PathValue("project_id"), NameContains: request.Query(r, "phone_name"),
		ServerID: request.Query(r, "server_id"), Page: store.Page{Offset: offset, Limit: limit},
	}
	if p.Status, err = request.QueryInt(r, "status", cph.CPS0010); err != nil {
		return response.SmartError(err)
	}
	if p.Status != nil && !cph.PhoneStatusValid(*p.Status) {
		return response.SmartError(cph.CPS0010.Err())
	}
	if p.Type, err = request.QueryInt(r, "type", cph.CPS0116); err != nil {
		return response.SmartError(err)
	}
	if p.Type != nil && *p.Type != 0 && *p.Type != 1 {
		return response.SmartError(cph.CPS0116.Err())
	}
	phones, total, err := s.cph.ListPhones(r.Context(), p)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.ListPhonesResponse{RequestID: request.ID(r.Context()), Count: total, Phones: phones})
}

// getPhone serves GET phones/{phone_id} (5.3.2).
func getPhone(s *Server, r *http.Request) response.Response {
	d, err := s.cph.GetPhone(r.Context(), r.PathValue("project_id"), r.PathValue("phone_id"))
	if err != nil {
		return response.SmartError(err)
	}
	d.RequestID = request.ID(r.Context())
	return response.OK(d)
}

// renamePhone serves PUT phones/{phone_id} (5.3.9).
func renamePhone(s *Server, r *http.Request) response.Response {
	var body api.UpdatePhoneNameRequest
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	if body.PhoneName == nil {
		return response.SmartError(cph.CPS0025.Err())
	}
	err := s.cph.RenamePhone(r.Context(), r.PathValue("project_id"), r.PathValue("phone_id"), *body.PhoneName)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.RequestOnly{RequestID: request.ID(r.Context())})
}
