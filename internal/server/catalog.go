package server

import (
	"net/http"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/server/request"
	"github.com/opencph/opencph/internal/server/response"
	"github.com/opencph/opencph/internal/store"
)

// listServerModels serves GET server-models (5.1.3).
func listServerModels(s *Server, r *http.Request) response.Response {
	pt, err := request.QueryInt(r, "product_type", cph.CPS0144)
	if err != nil {
		return response.SmartError(err)
	}
	if pt != nil && *pt != 0 && *pt != 1 {
		return response.SmartError(cph.CPS0144.Err())
	}
	return response.OK(api.ListServerModelsResponse{
		RequestID: request.ID(r.Context()), ServerModels: s.cph.Catalog().ListServerModels(pt),
	})
}

// listPhoneModels serves GET phone-models (5.3.4).
func listPhoneModels(s *Server, r *http.Request) response.Response {
	offset, limit, err := request.Paging(r, 100, 100)
	if err != nil {
		return response.SmartError(err)
	}
	status, err := request.QueryInt(r, "status", cph.CPS0010)
	if err != nil {
		return response.SmartError(err)
	}
	if status != nil && *status != 0 && *status != 1 {
		return response.SmartError(cph.CPS0010.Err())
	}
	models := s.cph.Catalog().ListPhoneModels(status)
	return response.OK(api.ListPhoneModelsResponse{
		RequestID: request.ID(r.Context()), PhoneModels: cph.PageOf(models, store.Page{Offset: offset, Limit: limit}),
	})
}

// listPhoneImages serves GET phone-images (5.3.5): public, private, shared or all images the
// project can boot.
func listPhoneImages(s *Server, r *http.Request) response.Response {
	images, err := s.cph.ListPhoneImages(r.Context(), r.PathValue("project_id"), request.Query(r, "image_type"))
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.ListPhoneImagesResponse{RequestID: request.ID(r.Context()), PhoneImages: images})
}
