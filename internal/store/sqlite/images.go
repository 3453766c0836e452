package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opencph/opencph/internal/store"
)

const imageCols = `id, project_id, domain_id, name, version, label, status, size, support_encrypt,
	source_phone_id, runtime_ref, created_at, updated_at`

// visibleTo is the condition under which a project sees an image: it owns it or is a member.
const visibleTo = `(project_id = ? OR id IN (SELECT image_id FROM image_members WHERE member_id = ?))`

// ImageInsert stores a new image. Zero CreatedAt/UpdatedAt become now and an empty RuntimeRef
// becomes nil; im is updated to what was stored so that it equals a later ImageGet.
func (s *Store) ImageInsert(ctx context.Context, im *store.Image) error {
	im.CreatedAt, im.UpdatedAt = createdUpdated(im.CreatedAt, im.UpdatedAt)
	if len(im.RuntimeRef) == 0 {
		im.RuntimeRef = nil
	}
	ref, err := encodeRef(im.RuntimeRef)
	if err != nil {
		return err
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO images (`+imageCols+`) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		im.ID, im.ProjectID, im.DomainID, im.Name, im.Version, im.Label, im.Status, im.Size,
		im.SupportEncrypt, im.SourcePhoneID, ref, micro(im.CreatedAt), micro(im.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert image %s: %w", im.ID, mapErr(err))
	}
	return nil
}

// ImageGet returns an image its viewer owns or is a member of; with no viewer, any image.
func (s *Store) ImageGet(ctx context.Context, p *store.ImageGetParams) (*store.Image, error) {
	q := `SELECT ` + imageCols + ` FROM images WHERE id = ?`
	args := []any{p.ID}
	if p.ViewerID != "" {
		q += ` AND ` + visibleTo
		args = append(args, p.ViewerID, p.ViewerID)
	}
	im, err := scanImage(s.q.QueryRowContext(ctx, q, args...))
	if err != nil {
		return nil, fmt.Errorf("get image %s: %w", p.ID, mapErr(err))
	}
	return im, nil
}

// ImageList returns one page of the images a project sees, newest first, and the total before
// paging. Own images come from the (project_id, created_at) index and shared ones through the
// member index, so neither walks other projects' images.
func (s *Store) ImageList(ctx context.Context, p *store.ImageListParams) ([]store.Image, int, error) {
	var w where
	switch {
	case p.Own && p.Shared:
		w.add(visibleTo, p.ViewerID, p.ViewerID)
	case p.Own:
		w.add("project_id = ?", p.ViewerID)
	case p.Shared:
		w.add("id IN (SELECT image_id FROM image_members WHERE member_id = ?)", p.ViewerID)
	default:
		return nil, 0, nil
	}
	if p.ID != "" {
		w.add("id = ?", p.ID)
	}
	if p.Name != "" {
		w.add("name = ?", p.Name)
	}
	if p.OwnerID != "" {
		w.add("project_id = ?", p.OwnerID)
	}
	if p.Status != nil {
		w.add("status = ?", *p.Status)
	}
	if p.CreatedSince != nil {
		w.add("created_at >= ?", ceilMicro(*p.CreatedSince))
	}
	if p.CreatedUntil != nil {
		w.add("created_at <= ?", p.CreatedUntil.UnixMicro())
	}
	var total int
	if err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM images`+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count images: %w", mapErr(err))
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+imageCols+` FROM images`+w.sql()+newestFirst, w.pageArgs(p.Page)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list images: %w", mapErr(err))
	}
	defer rows.Close()
	var out []store.Image
	for rows.Next() {
		im, err := scanImage(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list images: %w", mapErr(err))
		}
		out = append(out, *im)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list images: %w", mapErr(err))
	}
	return out, total, nil
}

// ImageUpdate changes the set fields of an image its project owns and bumps UpdatedAt.
func (s *Store) ImageUpdate(ctx context.Context, p *store.ImageUpdateParams) error {
	var set setter
	if p.Status != nil {
		set.add("status", *p.Status)
	}
	if p.Size != nil {
		set.add("size", *p.Size)
	}
	if p.RuntimeRef != nil {
		ref, err := encodeRef(p.RuntimeRef)
		if err != nil {
			return err
		}
		set.add("runtime_ref", ref)
	}
	if err := s.update(ctx, "images", p.ProjectID, p.ID, set); err != nil {
		return fmt.Errorf("update image %s: %w", p.ID, err)
	}
	return nil
}

// ImageDelete removes an image its project owns, and every share of it.
func (s *Store) ImageDelete(ctx context.Context, projectID, id string) error {
	return s.InTx(ctx, func(tx store.Store) error {
		q := tx.(*Store).q
		res, err := q.ExecContext(ctx, `DELETE FROM images WHERE id = ? AND project_id = ?`, id, projectID)
		if err != nil {
			return fmt.Errorf("delete image %s: %w", id, mapErr(err))
		}
		if err := mustAffect(res); err != nil {
			return fmt.Errorf("delete image %s: %w", id, err)
		}
		if _, err := q.ExecContext(ctx, `DELETE FROM image_members WHERE image_id = ?`, id); err != nil {
			return fmt.Errorf("delete members of image %s: %w", id, mapErr(err))
		}
		return nil
	})
}

// ImagePhoneCount counts the phones of every project whose image it is.
func (s *Store) ImagePhoneCount(ctx context.Context, imageID string) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM phones WHERE image_id = ?`, imageID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count phones of image %s: %w", imageID, mapErr(err))
	}
	return n, nil
}

// ImageMemberInsert shares an image with a project; a second share with it is ErrConflict.
func (s *Store) ImageMemberInsert(ctx context.Context, m *store.ImageMember) error {
	m.CreatedAt, m.UpdatedAt = createdUpdated(m.CreatedAt, m.UpdatedAt)
	_, err := s.q.ExecContext(ctx, `INSERT INTO image_members (image_id, member_id, created_at, updated_at)
		VALUES (?,?,?,?)`, m.ImageID, m.MemberID, micro(m.CreatedAt), micro(m.UpdatedAt))
	if err != nil {
		return fmt.Errorf("share image %s with %s: %w", m.ImageID, m.MemberID, mapErr(err))
	}
	return nil
}

// ImageMemberList returns the projects an image is shared with, newest first.
func (s *Store) ImageMemberList(ctx context.Context, imageID string) ([]store.ImageMember, error) {
	rows, err := s.q.QueryContext(ctx, `SELECT image_id, member_id, created_at, updated_at
		FROM image_members WHERE image_id = ? ORDER BY created_at DESC, member_id DESC`, imageID)
	if err != nil {
		return nil, fmt.Errorf("list members of image %s: %w", imageID, mapErr(err))
	}
	defer rows.Close()
	var out []store.ImageMember
	for rows.Next() {
		var m store.ImageMember
		if err := rows.Scan(&m.ImageID, &m.MemberID, timeCol{&m.CreatedAt}, timeCol{&m.UpdatedAt}); err != nil {
			return nil, fmt.Errorf("list members of image %s: %w", imageID, mapErr(err))
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list members of image %s: %w", imageID, mapErr(err))
	}
	return out, nil
}

// ImageMemberDelete ends the share of an image with a project.
func (s *Store) ImageMemberDelete(ctx context.Context, imageID, memberID string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM image_members WHERE image_id = ? AND member_id = ?`, imageID, memberID)
	if err != nil {
		return fmt.Errorf("unshare image %s from %s: %w", imageID, memberID, mapErr(err))
	}
	if err := mustAffect(res); err != nil {
		return fmt.Errorf("unshare image %s from %s: %w", imageID, memberID, err)
	}
	return nil
}

func scanImage(r rowScanner) (*store.Image, error) {
	var im store.Image
	var ref string
	if err := r.Scan(&im.ID, &im.ProjectID, &im.DomainID, &im.Name, &im.Version, &im.Label, &im.Status,
		&im.Size, &im.SupportEncrypt, &im.SourcePhoneID, &ref, timeCol{&im.CreatedAt},
		timeCol{&im.UpdatedAt}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(ref), &im.RuntimeRef); err != nil {
		return nil, fmt.Errorf("image %s: runtime_ref: %w", im.ID, err)
	}
	if len(im.RuntimeRef) == 0 {
		im.RuntimeRef = nil
	}
	return &im, nil
}

func encodeRef(ref map[string]string) (string, error) {
	if len(ref) == 0 {
		return "{}", nil
	}
	b, err := json.Marshal(ref)
	if err != nil {
		return "", fmt.Errorf("encode runtime_ref: %w", err)
	}
	return string(b), nil
}

// ceilMicro is t in stored microseconds, rounded up so that an inclusive lower bound with a
// sub-microsecond part does not take in the microsecond before it.
func ceilMicro(t time.Time) int64 {
	m := t.UnixMicro()
	if t.Nanosecond()%1000 != 0 {
		m++
	}
	return m
}
