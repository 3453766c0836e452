package cph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/store"
)

// A project sees three kinds of phone image (5.3.5, 5.9): public ones from the catalogue, its own
// private ones, and other projects' private ones shared with it. Private images come from
// capturing a stopped phone (image_capture.go) or from an operator's import (image_import.go);
// sharing is in image_members.go.

// isPublic values of table 5-125.
const (
	imagePublic  = 1
	imagePrivate = 2
)

// bootLookupTimeout bounds the store lookup of bootImage, whose callers carry no context.
const bootLookupTimeout = 10 * time.Second

// imageFor resolves an image a project may boot: a public image of the catalogue, or a private
// image the project owns or that is shared with it, and that is ready. Purchase (5.1.4), reset and
// restart (5.3.6, 5.3.7) and server change (5.1.6) all take their image through here, so each
// accepts exactly the images the project can see. An unknown or invisible image is CPS.0030, one
// still being created or whose creation failed is CPS.0220.
func (s *Service) imageFor(ctx context.Context, projectID, imageID string) (Image, error) {
	return s.imageIn(ctx, s.st, projectID, imageID)
}

// imageIn is imageFor on st, so that a transaction can check the image again where it commits.
func (s *Service) imageIn(ctx context.Context, st store.Store, projectID, imageID string) (Image, error) {
	if img, ok := s.cat.Image(imageID); ok {
		return img, nil
	}
	if !isHexID(imageID) {
		return Image{}, CPS0030.Errf("unknown image %q", imageID)
	}
	row, err := st.ImageGet(ctx, &store.ImageGetParams{ID: imageID, ViewerID: projectID})
	if errors.Is(err, store.ErrNotFound) {
		return Image{}, CPS0030.Errf("unknown image %q", imageID)
	}
	if err != nil {
		return Image{}, fmt.Errorf("looking up image: %w", err)
	}
	if row.Status != store.ImageReady {
		return Image{}, CPS0220.Errf("image %s is %s", imageID, imageStatusName(row.Status))
	}
	img := customImage(row)
	s.imgs.put(img)
	return img, nil
}

// bootImage finds the image a phone already runs, whichever project owns it: a phone keeps
// booting from an image after its share ends, so the lookup is not scoped. It serves the
// image_version of phone views and the runtime reference of phone specs, neither of which has a
// context; ready images never change, so they are cached, and a miss asks the store.
func (s *Service) bootImage(id string) (Image, bool) {
	if img, ok := s.cat.Image(id); ok {
		return img, true
	}
	if img, ok := s.imgs.get(id); ok {
		return img, true
	}
	if !isHexID(id) {
		return Image{}, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), bootLookupTimeout)
	defer cancel()
	row, err := s.st.ImageGet(ctx, &store.ImageGetParams{ID: id})
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			slog.Warn("looking up a phone's image", "image_id", id, "err", err)
		}
		return Image{}, false
	}
	if row.Status != store.ImageReady {
		return Image{}, false
	}
	img := customImage(row)
	s.imgs.put(img)
	return img, true
}

// imageCache holds ready custom images by id. Their fields never change once ready, so entries
// need no invalidation; a deleted image's entry is harmless, because visibility is always checked
// in the store (imageFor) and only phones that still name the image look it up here.
type imageCache struct{ m sync.Map }

func (c *imageCache) get(id string) (Image, bool) {
	v, ok := c.m.Load(id)
	if !ok {
		return Image{}, false
	}
	return v.(Image), true
}

func (c *imageCache) put(img Image) { c.m.Store(img.ImageID, img) }

// customImage is a stored image in the catalogue's shape, as purchase and phone specs use it.
func customImage(row *store.Image) Image {
	return Image{
		PhoneImage: api.PhoneImage{
			ImageName: row.Name, OSType: "aosp", IsPublic: imagePrivate, OSName: row.Version,
			ImageLabel: row.Label, ImageID: row.ID, IsSupportEncrypt: row.SupportEncrypt,
		},
		RuntimeRef: row.RuntimeRef,
	}
}

func imageStatusName(status int) string {
	switch status {
	case store.ImageCreating:
		return "still being created"
	case store.ImageFailed:
		return "a failed capture"
	}
	return "not ready"
}

// Image types of 5.3.5.
const (
	PhoneImagesPublic  = "public"
	PhoneImagesPrivate = "private"
	PhoneImagesShare   = "share"
	PhoneImagesAll     = "all"
)

// ListPhoneImages is the answer of 5.3.5: the images the project can boot, of one kind or all.
// Private and shared images show only once ready, as "available" images; both are is_public 2.
// Without a type the answer is the public images, as it was before custom images existed.
func (s *Service) ListPhoneImages(ctx context.Context, projectID, imageType string) ([]api.PhoneImage, error) {
	out := []api.PhoneImage{}
	p := &store.ImageListParams{ViewerID: projectID, Status: ptrTo(store.ImageReady)}
	switch imageType {
	case "", PhoneImagesPublic:
		return s.cat.PhoneImages(), nil
	case PhoneImagesAll:
		out = s.cat.PhoneImages()
		p.Own, p.Shared = true, true
	case PhoneImagesPrivate:
		p.Own = true
	case PhoneImagesShare:
		p.Shared = true
	default:
		return nil, CPS0116.Errf("image_type must be public, private, share or all")
	}
	rows, _, err := s.st.ImageList(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("listing images: %w", err)
	}
	for i := range rows {
		out = append(out, customImage(&rows[i]).PhoneImage)
	}
	return out, nil
}

// ListImagesParams are the filters of 5.9.1 (table 5-251) after the HTTP layer parsed them.
type ListImagesParams struct {
	ProjectID    string
	ImageType    string // "", private or share
	Status       *int
	ImageID      string
	ImageName    string
	CreateSince  *time.Time
	CreateUntil  *time.Time
	SrcProjectID string
	Page         store.Page
}

// ListImages is the answer of 5.9.1: the project's own and shared custom images, newest first,
// with the total before paging.
func (s *Service) ListImages(ctx context.Context, p *ListImagesParams) ([]api.ImageInfo, int, error) {
	q := &store.ImageListParams{
		ViewerID: p.ProjectID, ID: p.ImageID, Name: p.ImageName, OwnerID: p.SrcProjectID,
		Status: p.Status, CreatedSince: p.CreateSince, CreatedUntil: p.CreateUntil, Page: p.Page,
	}
	switch p.ImageType {
	case "":
		q.Own, q.Shared = true, true
	case api.ImageTypePrivate:
		q.Own = true
	case api.ImageTypeShare:
		q.Shared = true
	default:
		return nil, 0, CPS0116.Errf("image_type must be private or share")
	}
	if p.Status != nil && (*p.Status < store.ImageCreating || *p.Status > store.ImageFailed) {
		return nil, 0, CPS0010.Errf("status must be 0, 1 or 2")
	}
	rows, total, err := s.st.ImageList(ctx, q)
	if err != nil {
		return nil, 0, fmt.Errorf("listing images: %w", err)
	}
	out := make([]api.ImageInfo, len(rows))
	for i := range rows {
		out[i] = imageView(&rows[i], p.ProjectID)
	}
	return out, total, nil
}

// imageView is a stored image as viewer sees it (table 5-254): private with its project_id when
// the viewer owns it, share with the owner as src_project_id otherwise.
func imageView(row *store.Image, viewer string) api.ImageInfo {
	v := api.ImageInfo{
		DomainID: row.DomainID, ImageName: row.Name, ImageID: row.ID, ImageVersion: row.Version,
		ImageSize: row.Size, Status: row.Status,
		CreateTime: api.FormatTime(row.CreatedAt), UpdateTime: api.FormatTime(row.UpdatedAt),
	}
	if row.ProjectID == viewer {
		v.ImageType, v.ProjectID = api.ImageTypePrivate, row.ProjectID
	} else {
		v.ImageType, v.SrcProjectID = api.ImageTypeShare, row.ProjectID
	}
	return v
}

// ownImage finds an image the project may manage (delete, share): CPS.0166 when the project
// cannot see it, CPS.0001 when it sees it without owning it (a public image, or one shared with
// it), since only the owner manages an image.
func (s *Service) ownImage(ctx context.Context, st store.Store, projectID, imageID string) (*store.Image, error) {
	if _, ok := s.cat.Image(imageID); ok {
		return nil, CPS0001.Errf("public image %s cannot be changed", imageID)
	}
	if !isHexID(imageID) {
		return nil, CPS0166.Err()
	}
	row, err := st.ImageGet(ctx, &store.ImageGetParams{ID: imageID, ViewerID: projectID})
	if err != nil {
		return nil, notFound(err, CPS0166)
	}
	if row.ProjectID != projectID {
		return nil, CPS0001.Errf("only the image's owner may change it")
	}
	return row, nil
}

// DeleteImage deletes a private image (5.9.2). It is refused with CPS.0255 while the image is in
// use: being created, booted by any phone of any project (the image stays until they are reset
// to another image or deleted), or shared with another project (end the shares first). What the
// runtime keeps of the image is removed after the row is gone.
func (s *Service) DeleteImage(ctx context.Context, projectID, imageID string) error {
	var ref map[string]string
	err := s.st.InTx(ctx, func(tx store.Store) error {
		row, err := s.ownImage(ctx, tx, projectID, imageID)
		if err != nil {
			return err
		}
		if row.Status == store.ImageCreating {
			return CPS0255.Errf("image %s is still being created", imageID)
		}
		phones, err := tx.ImagePhoneCount(ctx, imageID)
		if err != nil {
			return err
		}
		if phones > 0 {
			return CPS0255.Errf("image %s is in use by %d phones", imageID, phones)
		}
		members, err := tx.ImageMemberList(ctx, imageID)
		if err != nil {
			return err
		}
		if len(members) > 0 {
			return CPS0255.Errf("image %s is shared with %d projects", imageID, len(members))
		}
		ref = row.RuntimeRef
		return tx.ImageDelete(ctx, projectID, imageID)
	})
	if err != nil {
		return err
	}
	if c, ok := s.rt.(runtime.ImageCapturer); ok && ref[s.rt.Name()] != "" {
		if err := c.RemoveImage(ctx, ref[s.rt.Name()]); err != nil {
			slog.WarnContext(ctx, "removing a deleted image's data", "image_id", imageID, "err", err)
		}
	}
	return nil
}

func ptrTo[T any](v T) *T { return &v }
