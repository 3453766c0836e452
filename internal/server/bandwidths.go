package server

import (
	"net/http"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/server/request"
	"github.com/opencph/opencph/internal/server/response"
	"github.com/opencph/opencph/internal/store"
)

// listBandwidths serves GET bandwidths (5.2.1).
func listBandwidths(s *Server, r *http.Request) response.Response {
	offset, limit, err := request.Paging(r, 100, 100)
	if err != nil {
		return response.SmartError(err)
	}
	list, err := s.cph.ListBandwidths(r.Context(), r.PathValue("project_id"), store.Page{Offset: offset, Limit: limit})
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.ListBandwidthsResponse{RequestID: request.ID(r.Context()), BandWidths: list})
}

// updateBandwidth serves PUT bandwidths/{band_width_id} (5.2.2).
func updateBandwidth(s *Server, r *http.Request) response.Response {
	var body api.UpdateBandwidthRequest
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	err := s.cph.UpdateBandwidth(r.Context(), r.PathValue("project_id"), r.PathValue("band_width_id"), body.BandWidthSize)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.RequestOnly{RequestID: request.ID(r.Context())})
}
