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

// IAM actions of OpenCPH's image extensions, which table 7-1 does not have (docs/images.md).
const (
	actionImagesCreate = "cph:images:create"
	actionImagesImport = "cph:images:import"
)

// listImages serves GET images (5.9.1).
func listImages(s *Server, r *http.Request) response.Response {
	offset, limit, err := request.Paging(r, 100, 100)
	if err != nil {
		return response.SmartError(err)
	}
	p := &cph.ListImagesParams{
		ProjectID: r.PathValue("project_id"), ImageType: request.Query(r, "image_type"),
		ImageID: request.Query(r, "image_id"), ImageName: request.Query(r, "image_name"),
		SrcProjectID: request.Query(r, "src_project_id"), Page: store.Page{Offset: offset, Limit: limit},
	}
	if p.Status, err = request.QueryInt(r, "status", cph.CPS0010); err != nil {
		return response.SmartError(err)
	}
	for name, dst := range map[string]**time.Time{"create_since": &p.CreateSince, "create_until": &p.CreateUntil} {
		v, err := request.QueryInt64(r, name, cph.CPS0174)
		if err != nil {
			return response.SmartError(err)
		}
		if v != nil {
			t := epoch(*v)
			*dst = &t
		}
	}
	images, total, err := s.cph.ListImages(r.Context(), p)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.ListImagesResponse{ImageInfos: images, Total: total, RequestID: request.ID(r.Context())})
}

// deleteImage serves DELETE images/{image_id} (5.9.2).
func deleteImage(s *Server, r *http.Request) response.Response {
	if err := s.cph.DeleteImage(r.Context(), r.PathValue("project_id"), r.PathValue("image_id")); err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.RequestOnly{RequestID: request.ID(r.Context())})
}

// addImageMember serves POST images/{image_id}/members (5.9.3).
func addImageMember(s *Server, r *http.Request) response.Response {
	var body api.AddImageMemberRequest
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	err := s.cph.AddImageMember(r.Context(), r.PathValue("project_id"), r.PathValue("image_id"), body.Member)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.RequestOnly{RequestID: request.ID(r.Context())})
}

// listImageMembers serves GET images/{image_id}/members (5.9.4).
func listImageMembers(s *Server, r *http.Request) response.Response {
	members, err := s.cph.ListImageMembers(r.Context(), r.PathValue("project_id"), r.PathValue("image_id"))
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.ListImageMembersResponse{Members: members})
}

// deleteImageMember serves DELETE images/{image_id}/members/{member_id} (5.9.5).
func deleteImageMember(s *Server, r *http.Request) response.Response {
	err := s.cph.DeleteImageMember(r.Context(), r.PathValue("project_id"), r.PathValue("image_id"), r.PathValue("member_id"))
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(api.RequestOnly{RequestID: request.ID(r.Context())})
}

// createImage serves OpenCPH's POST phones/{phone_id}/image: a private image of a stopped phone.
func createImage(s *Server, r *http.Request) response.Response {
	var body api.CreateImageRequest
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	resp, err := s.cph.CreateImage(r.Context(), r.PathValue("project_id"), request.ID(r.Context()),
		r.PathValue("phone_id"), body.ImageName)
	if err != nil {
		return response.SmartError(err)
	}
	return response.OK(resp)
}

// importImage serves the admin call POST /admin/v1/images (`cph admin images import`). Like the
// rest of the admin API it is for the domain's admins only, whatever their policy allows: the
// route's action is checked first, then the caller must be an admin (CPS.0001 otherwise).
func importImage(s *Server, r *http.Request) response.Response {
	p, err := s.iam.Authenticate(r, request.Body(r))
	if err != nil {
		return response.SmartError(err)
	}
	if !p.Admin {
		return response.SmartError(cph.CPS0001.Errf("only an admin may import images"))
	}
	var body api.ImportImageRequest
	if err := request.DecodeJSON(r, &body); err != nil {
		return response.SmartError(err)
	}
	resp, err := s.cph.ImportImage(r.Context(), p.DomainID, request.ID(r.Context()), &body)
	if err != nil {
		return response.SmartError(err)
	}
	return response.JSON(http.StatusCreated, resp)
}
