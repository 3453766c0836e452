package cph

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// MaxImageMembers is how many projects one image may be shared with (5.9.3).
const MaxImageMembers = 10

// Only an image's owner manages its members; a member sees the image as "share" in its lists and
// may boot it, until the owner ends the share. Phones a member already runs on the image keep
// running and keep it through restarts; they cannot be reset or bought with it any more.
//
// The reference names no codes for sharing. OpenCPH answers: CPS.0166 for an image the caller
// cannot see, CPS.0001 for one it sees but does not own, CPS.0046 for a member that is not a
// project id or is the owner itself, CPS.0243 (404) for a project that does not exist and for a
// member that is not one, CPS.0220 for an image that is not ready, CPS.0332 for a project the
// image is already shared with, CPS.0196 beyond MaxImageMembers.

// AddImageMember shares an image with another project of the deployment (5.9.3). A deployment is
// one region, so every existing project qualifies, whatever its domain, as the reference lets an
// image go to another account.
func (s *Service) AddImageMember(ctx context.Context, projectID, imageID string, member *string) error {
	row, err := s.ownImage(ctx, s.st, projectID, imageID)
	if err != nil {
		return err
	}
	if member == nil || !isHexID(*member) {
		return CPS0046.Errf("member must be a project id")
	}
	if *member == projectID {
		return CPS0046.Errf("an image cannot be shared with the project that owns it")
	}
	if row.Status != store.ImageReady {
		return CPS0220.Errf("image %s is %s", imageID, imageStatusName(row.Status))
	}
	_, err = s.st.ProjectGet(ctx, &store.ProjectGetParams{ID: *member})
	if errors.Is(err, store.ErrNotFound) {
		return CPS0243.Errf("project %s does not exist", *member)
	}
	if err != nil {
		return fmt.Errorf("looking up project: %w", err)
	}
	return s.st.InTx(ctx, func(tx store.Store) error {
		// Again inside the transaction: the image may have been deleted, and two shares at once
		// must not pass the limit together.
		if _, err := s.ownImage(ctx, tx, projectID, imageID); err != nil {
			return err
		}
		members, err := tx.ImageMemberList(ctx, imageID)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(members, func(m store.ImageMember) bool { return m.MemberID == *member }) {
			return CPS0332.Errf("image %s is already shared with project %s", imageID, *member)
		}
		if len(members) >= MaxImageMembers {
			return CPS0196.Errf("an image is shared with at most %d projects", MaxImageMembers)
		}
		now := time.Now().UTC()
		err = tx.ImageMemberInsert(ctx, &store.ImageMember{ImageID: imageID, MemberID: *member, CreatedAt: now, UpdatedAt: now})
		if errors.Is(err, store.ErrConflict) {
			return CPS0332.Errf("image %s is already shared with project %s", imageID, *member)
		}
		return err
	})
}

// ListImageMembers lists the projects an image is shared with, newest first (5.9.4).
func (s *Service) ListImageMembers(ctx context.Context, projectID, imageID string) ([]api.ImageMember, error) {
	if _, err := s.ownImage(ctx, s.st, projectID, imageID); err != nil {
		return nil, err
	}
	rows, err := s.st.ImageMemberList(ctx, imageID)
	if err != nil {
		return nil, fmt.Errorf("listing members: %w", err)
	}
	out := make([]api.ImageMember, len(rows))
	for i, m := range rows {
		out[i] = api.ImageMember{
			ImageID: m.ImageID, MemberID: m.MemberID,
			CreateTime: m.CreatedAt.UnixMilli(), UpdateTime: m.UpdatedAt.UnixMilli(),
		}
	}
	return out, nil
}

// DeleteImageMember ends a share (5.9.5): the image leaves the member's lists at once.
func (s *Service) DeleteImageMember(ctx context.Context, projectID, imageID, memberID string) error {
	if _, err := s.ownImage(ctx, s.st, projectID, imageID); err != nil {
		return err
	}
	if !isHexID(memberID) {
		return CPS0046.Errf("member_id must be a project id")
	}
	err := s.st.ImageMemberDelete(ctx, imageID, memberID)
	if errors.Is(err, store.ErrNotFound) {
		return CPS0243.Errf("image %s is not shared with project %s", imageID, memberID)
	}
	return err
}
