package cph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/store"
)

// kindImageCreate captures a stopped phone's data into a private image.
const kindImageCreate = "image.create"

// imageJob is the payload of an image capture job; the phone is the job's own phone_id.
type imageJob struct {
	ImageID string `json:"image_id"`
}

// CreateImage makes a private image of a stopped phone: OpenCPH's extension POST
// phones/{phone_id}/image (docs/images.md). The image is recorded in status 0 (creating) with
// a capture job in one transaction; the job ends it in 1 (ready) or 2 (failed). The image runs on
// the phone's model (its image_label) and carries the AOSP version and encryption support of the
// image the phone runs.
//
// Refusals: CPS.0162 for a bad name, CPS.0004 / CPS.0005 for a malformed or unknown phone, the
// busy codes of any phone operation (CPS.0213, CPS.0053, CPS.0349), CPS.0216 for a phone that is
// not stopped, and CPS.0219 on a runtime that cannot capture images.
func (s *Service) CreateImage(ctx context.Context, projectID, requestID, phoneID string, name *string) (*api.CreateImageResponse, error) {
	if name == nil || !ValidImageName(*name) {
		return nil, CPS0162.Errf("image_name must be 1-%d bytes of letters, digits, CJK characters, '_', '-' or '.'", ImageNameMaxBytes)
	}
	if !isHexID(phoneID) {
		return nil, CPS0004.Err()
	}
	if _, ok := s.rt.(runtime.ImageCapturer); !ok {
		return nil, CPS0219.Errf("the %s runtime cannot capture images", s.rt.Name())
	}
	ph, err := s.st.PhoneGet(ctx, projectID, phoneID)
	if err != nil {
		return nil, notFound(err, CPS0005)
	}
	proj, err := s.st.ProjectGet(ctx, &store.ProjectGetParams{ID: projectID})
	if err != nil {
		return nil, fmt.Errorf("looking up project: %w", err)
	}
	now := time.Now().UTC()
	img := &store.Image{
		ID: store.NewID(), ProjectID: projectID, DomainID: proj.DomainID, Name: *name,
		Status: store.ImageCreating, SourcePhoneID: ph.ID, CreatedAt: now, UpdatedAt: now,
	}
	if src, ok := s.bootImage(ph.ImageID); ok {
		img.Version, img.Label, img.SupportEncrypt = src.OSName, src.ImageLabel, src.IsSupportEncrypt
	}
	if pm, ok := s.cat.PhoneModel(ph.PhoneModelName); ok {
		img.Label = pm.ImageLabel
	}
	payload, _ := json.Marshal(imageJob{ImageID: img.ID})
	j := &store.Job{
		ID: store.NewID(), ProjectID: projectID, RequestID: requestID, Kind: kindImageCreate,
		ServerID: ph.ServerID, PhoneID: ph.ID, Payload: payload, Status: store.JobRunning,
		BeginTime: now, RunAfter: now,
	}
	err = s.st.InTx(ctx, func(tx store.Store) error {
		// The status is checked where the image is committed, so that a phone started meanwhile
		// is refused rather than captured while it changes.
		cur, err := tx.PhoneGet(ctx, projectID, phoneID)
		if err != nil {
			return notFound(err, CPS0005)
		}
		if err := phoneBusy(cur.Status); err != nil {
			return err
		}
		if cur.Status != store.PhoneStopped {
			return CPS0216.Err()
		}
		if err := tx.ImageInsert(ctx, img); err != nil {
			return fmt.Errorf("recording image: %w", err)
		}
		if err := tx.JobInsert(ctx, j); err != nil {
			return fmt.Errorf("queueing capture: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.eng.Notify()
	return &api.CreateImageResponse{RequestID: requestID, ImageID: img.ID, JobID: j.ID}, nil
}

// runImageCreate captures the phone's data through the runtime and finishes the image: ready with
// its size and runtime reference, or failed. The phone must still be stopped when the job runs;
// a phone started in between fails the image with CPS.0216. A repeated run of a job whose image
// is no longer creating does nothing, and a capture cut short is simply made again.
func (s *Service) runImageCreate(ctx context.Context, j *store.Job) job.Outcome {
	var p imageJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Outcome{Err: fmt.Errorf("payload: %w", err)}
	}
	row, err := s.st.ImageGet(ctx, &store.ImageGetParams{ID: p.ImageID, ViewerID: j.ProjectID})
	if errors.Is(err, store.ErrNotFound) {
		return job.Outcome{Err: CPS0166.Err()}
	}
	if err != nil {
		return s.failImage(j, p.ImageID, err)
	}
	if row.Status != store.ImageCreating {
		return job.Outcome{ExecuteMsg: "image " + row.ID + " was already finished"}
	}
	c, ok := s.rt.(runtime.ImageCapturer)
	if !ok {
		return s.failImage(j, row.ID, CPS0219.Errf("the %s runtime cannot capture images", s.rt.Name()))
	}
	if err := ctx.Err(); err != nil {
		return s.failImage(j, row.ID, CPS0260.Wrap(err))
	}
	ph, err := s.st.PhoneGet(ctx, j.ProjectID, j.PhoneID)
	if err != nil {
		return s.failImage(j, row.ID, notFound(err, CPS0005))
	}
	if ph.Status != store.PhoneStopped {
		return s.failImage(j, row.ID, CPS0216.Err())
	}
	captured, err := c.CaptureImage(ctx, ph.ID, row.ID)
	if err != nil {
		slog.WarnContext(ctx, "capturing phone image", "image_id", row.ID, "phone_id", ph.ID, "err", err)
		return s.failImage(j, row.ID, CPS0260.Wrap(err))
	}
	ready, size := store.ImageReady, captured.Size
	return job.Outcome{
		ExecuteMsg: fmt.Sprintf("image %s captured from phone %s, %d bytes", row.ID, ph.ID, size),
		Apply: func(ctx context.Context, tx store.Store) error {
			return tx.ImageUpdate(ctx, &store.ImageUpdateParams{
				ProjectID: j.ProjectID, ID: row.ID, Status: &ready, Size: &size,
				RuntimeRef: map[string]string{s.rt.Name(): captured.Ref},
			})
		},
	}
}

// failImage ends a capture job with err and the image in status 2.
func (s *Service) failImage(j *store.Job, imageID string, err error) job.Outcome {
	return job.Outcome{
		Err:        err,
		ExecuteMsg: "image " + imageID + " was not created",
		Apply: func(ctx context.Context, tx store.Store) error {
			failed := store.ImageFailed
			uerr := tx.ImageUpdate(ctx, &store.ImageUpdateParams{ProjectID: j.ProjectID, ID: imageID, Status: &failed})
			if uerr != nil && !errors.Is(uerr, store.ErrNotFound) {
				return uerr
			}
			return nil
		},
	}
}
