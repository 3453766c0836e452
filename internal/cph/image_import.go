package cph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
	"unicode"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/store"
)

// Limits of custom images' names and versions: table 5-125 bounds image_name at 128 bytes and
// os_name, which shows the version, at 36.
const (
	ImageNameMaxBytes    = 128
	ImageVersionMaxBytes = 36
)

// ValidImageName reports whether s may name a custom image: 1 to 128 bytes of ASCII letters and
// digits, CJK characters, '_', '-' and '.'. The reference states only the length; the characters
// are those of server and phone names plus the dot that versioned names ("game-1.2") need.
func ValidImageName(s string) bool {
	if s == "" || len(s) > ImageNameMaxBytes {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
		case unicode.Is(unicode.Han, r):
		default:
			return false
		}
	}
	return true
}

// validImageVersion accepts what the reference shows as versions ("AOSP 9.0", "AOSP11.0.0"): 1 to
// 36 bytes of ASCII letters, digits, spaces, '.', '_' and '-', not starting or ending in a space.
func validImageVersion(s string) bool {
	if s == "" || len(s) > ImageVersionMaxBytes || s[0] == ' ' || s[len(s)-1] == ' ' {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == ' ', r == '.', r == '_', r == '-':
		default:
			return false
		}
	}
	return true
}

// ImportImage registers an image made outside OpenCPH as a ready private image of a project: the
// admin call behind `cph admin images import` (docs/images.md). domainID is the admin's domain,
// in which req.Project is looked up by id or name. The runtime references say how each driver
// boots the image; the configured driver checks its own at once (CPS.0261), so a typo fails here
// and not at the first phone. Other refusals: CPS.0046 unknown project, CPS.0162 name, CPS.0254
// version, CPS.0142 label.
func (s *Service) ImportImage(ctx context.Context, domainID, requestID string, req *api.ImportImageRequest) (*api.ImportImageResponse, error) {
	if req.Project == "" {
		return nil, CPS0046.Errf("project is required")
	}
	proj, err := s.st.ProjectGet(ctx, &store.ProjectGetParams{ID: req.Project, DomainID: domainID})
	if errors.Is(err, store.ErrNotFound) {
		proj, err = s.st.ProjectGet(ctx, &store.ProjectGetParams{DomainID: domainID, Name: req.Project})
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, CPS0046.Errf("no project %q in the domain", req.Project)
	}
	if err != nil {
		return nil, fmt.Errorf("looking up project: %w", err)
	}
	if !ValidImageName(req.ImageName) {
		return nil, CPS0162.Errf("image_name must be 1-%d bytes of letters, digits, CJK characters, '_', '-' or '.'", ImageNameMaxBytes)
	}
	if !validImageVersion(req.ImageVersion) {
		return nil, CPS0254.Errf("image_version must be 1-%d bytes such as \"AOSP 11\"", ImageVersionMaxBytes)
	}
	if !slices.Contains(imageLabels, req.ImageLabel) {
		return nil, CPS0142.Errf("image_label must be one of %v", imageLabels)
	}
	refs := map[string]string{}
	for driver, ref := range req.RuntimeRef {
		if driver == "" || ref == "" {
			return nil, CPS0261.Errf("runtime_ref needs a driver name and a reference")
		}
		refs[driver] = ref
	}
	if c, ok := s.rt.(runtime.ImageCapturer); ok && refs[s.rt.Name()] != "" {
		if err := c.CheckImageRef(ctx, refs[s.rt.Name()]); err != nil {
			return nil, CPS0261.Errf("%v", err)
		}
	}
	now := time.Now().UTC()
	row := &store.Image{
		ID: store.NewID(), ProjectID: proj.ID, DomainID: proj.DomainID, Name: req.ImageName,
		Version: req.ImageVersion, Label: req.ImageLabel, Status: store.ImageReady,
		SupportEncrypt: req.IsSupportEncrypt, RuntimeRef: refs, CreatedAt: now, UpdatedAt: now,
	}
	if err := s.st.ImageInsert(ctx, row); err != nil {
		return nil, fmt.Errorf("recording image: %w", err)
	}
	view := api.ImportedImage{ImageInfo: imageView(row, proj.ID), ImageLabel: row.Label, RuntimeRef: row.RuntimeRef}
	if view.RuntimeRef == nil {
		view.RuntimeRef = map[string]string{}
	}
	return &api.ImportImageResponse{RequestID: requestID, Image: view}, nil
}
