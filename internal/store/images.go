package store

import (
	"context"
	"time"
)

// Image statuses of section 5.9.1.
const (
	ImageCreating = 0
	ImageReady    = 1
	ImageFailed   = 2
)

// Image is a custom phone image: private to the project that owns it, and visible to the
// projects it is shared with (its members). Public images are the catalogue's, never stored.
type Image struct {
	ID             string
	ProjectID      string // the owner
	DomainID       string // the owner's domain
	Name           string
	Version        string // the AOSP version shown as image_version and os_name
	Label          string // image_label: the phone models it runs on
	Status         int
	Size           int64 // bytes
	SupportEncrypt bool
	SourcePhoneID  string // the phone it was captured from; empty for an imported image
	// RuntimeRef maps a runtime driver's name to its reference for the image (a container image,
	// a template directory). Nil when the image has none yet.
	RuntimeRef map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// ImageGetParams finds an image as ViewerID sees it: its own, or one shared with it. An empty
// ViewerID finds any image; only the control plane's own bookkeeping (what a phone booted from)
// may look images up that way, never a caller's request.
type ImageGetParams struct {
	ID       string
	ViewerID string
}

// ImageListParams lists the images one project sees (5.9.1): its own (Own) and those shared with
// it (Shared). The other fields are filters; nil and empty ones do not filter.
type ImageListParams struct {
	ViewerID     string
	Own          bool
	Shared       bool
	ID           string
	Name         string // exact
	OwnerID      string // src_project_id: the project that owns (and shared) the image
	Status       *int
	CreatedSince *time.Time
	CreatedUntil *time.Time
	Page         Page
}

// ImageUpdateParams changes the set fields of an image of ProjectID (the owner).
type ImageUpdateParams struct {
	ProjectID  string
	ID         string
	Status     *int
	Size       *int64
	RuntimeRef map[string]string // nil leaves it
}

// ImageMember is one project an image is shared with.
type ImageMember struct {
	ImageID   string
	MemberID  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Images persists custom images and their members.
type Images interface {
	// ImageInsert stores a new image; a duplicate ID is ErrConflict.
	ImageInsert(ctx context.Context, im *Image) error
	// ImageGet returns ErrNotFound for an image the viewer neither owns nor is a member of.
	ImageGet(ctx context.Context, p *ImageGetParams) (*Image, error)
	// ImageList returns one page, newest first, and the total before paging.
	ImageList(ctx context.Context, p *ImageListParams) ([]Image, int, error)
	// ImageUpdate returns ErrNotFound unless ProjectID owns the image.
	ImageUpdate(ctx context.Context, p *ImageUpdateParams) error
	// ImageDelete removes an image of the project with its members; ErrNotFound if it has none.
	ImageDelete(ctx context.Context, projectID, id string) error
	// ImagePhoneCount counts the phones, of every project, whose image it is.
	ImagePhoneCount(ctx context.Context, imageID string) (int, error)

	// ImageMemberInsert shares an image; sharing it twice with one project is ErrConflict.
	ImageMemberInsert(ctx context.Context, m *ImageMember) error
	// ImageMemberList returns an image's members, newest first.
	ImageMemberList(ctx context.Context, imageID string) ([]ImageMember, error)
	// ImageMemberDelete ends a share; ErrNotFound if there is none.
	ImageMemberDelete(ctx context.Context, imageID, memberID string) error
}
