package cph

import (
	"context"
	"errors"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// Job kinds of the phone operations. A server-wide operation that restarts every phone of a
// server can queue kindPhoneRestart jobs with opPhoneRestart and a phoneOpPayload.
const (
	kindPhoneRestart        = "phone.restart"
	kindPhoneReset          = "phone.reset"
	kindPhoneStop           = "phone.stop"
	kindPhoneUpdateProperty = "phone.update_property"
	kindPhoneTraffic        = "phone.traffic"
	kindPhoneExpandVolume   = "phone.expand_volume"
)

// Batch limits. The reference bounds phones-traffic (100, CPS.0209) and expand-volume (150,
// CPS.0356); it is silent for restart, reset, stop and update-property, which take at most
// MaxPhonesPerBatch (CPS.0209), the largest page of GET phones, so that a client can act on one
// full page at once.
const (
	MaxPhonesPerBatch = 200
	MaxTrafficPhones  = 100
	MaxExpandPhones   = 150
	MaxPhoneVolumeGiB = 32768
)

// Traffic types of 5.3.13: straight out, or through the server's encode server.
const (
	TrafficDirect  = "direct"
	TrafficRouting = "routing"
)

// phoneOpPayload is what a phone operation's job carries: the arguments of its phone.
type phoneOpPayload struct {
	ImageID     string            `json:"image_id,omitempty"`
	Property    map[string]string `json:"property,omitempty"`
	TrafficType string            `json:"traffic_type,omitempty"`
	NewSize     int               `json:"new_size,omitempty"`
}

// The operations. All are exclusive: a phone with any job running is refused (CPS.0349), so a
// property update that restarts a running phone cannot overlap a stop.
var (
	opPhoneRestart = phoneOp{kind: kindPhoneRestart, during: store.PhoneRestarting, check: bootable, exclusive: true}
	opPhoneReset   = phoneOp{kind: kindPhoneReset, during: store.PhoneResetting, check: bootable, exclusive: true}
	opPhoneStop    = phoneOp{kind: kindPhoneStop, during: store.PhoneStopping, check: stoppable, exclusive: true}
	// The operations that keep the phone's status accept it in any status the batch framework
	// lets through: a property set on a stopped or failed phone applies when it next boots, as
	// 5.3.10 says of phones in an abnormal state.
	opPhoneUpdateProperty = phoneOp{kind: kindPhoneUpdateProperty, exclusive: true}
	opPhoneTraffic        = phoneOp{kind: kindPhoneTraffic, exclusive: true}
	opPhoneExpandVolume   = phoneOp{kind: kindPhoneExpandVolume, exclusive: true}
)

// bootable admits a phone to restart or reset: running, stopped, or in a failure status that a
// boot can repair (reset, restart or stop failed, abnormal). A phone whose creation failed
// (-8) has nothing to boot; it is CPS.0165, like any other status these operations refuse.
func bootable(status int) error {
	switch status {
	case store.PhoneRunning, store.PhoneStopped, store.PhoneResetFailed, store.PhoneRestartFailed,
		store.PhoneStopFailed, store.PhoneAbnormal:
		return nil
	}
	return CPS0165.Err()
}

// stoppable admits a running phone, and one whose stop failed, which is still running as far as
// anyone knows; anything else is CPS.0141.
func stoppable(status int) error {
	if status == store.PhoneRunning || status == store.PhoneStopFailed {
		return nil
	}
	return CPS0141.Err()
}

// RestartPhones restarts phones (5.3.7), starting stopped ones: each boots from image_id when
// given, with its properties merged with the request's, keeping its data.
func (s *Service) RestartPhones(ctx context.Context, projectID, requestID string, req *api.RestartCloudPhoneRequestBody) ([]api.PhoneJob, error) {
	return s.bootPhones(ctx, projectID, requestID, opPhoneRestart, req.ImageID, req.Phones)
}

// ResetPhones resets phones to factory state (5.3.6): data wiped, booted from image_id when
// given, with its properties merged with the request's.
func (s *Service) ResetPhones(ctx context.Context, projectID, requestID string, req *api.ResetCloudPhoneRequestBody) ([]api.PhoneJob, error) {
	return s.bootPhones(ctx, projectID, requestID, opPhoneReset, req.ImageID, req.Phones)
}

// bootPhones validates a restart or reset as a whole — list size, image, every phone's
// properties — before anything is written, so a bad request changes nothing. An image that does
// not fit a phone's model is that phone's error (CPS.0222); the others proceed.
func (s *Service) bootPhones(ctx context.Context, projectID, requestID string, op phoneOp, imageID *string, phones []api.PhoneProperty) ([]api.PhoneJob, error) {
	if err := checkBatchSize(len(phones), MaxPhonesPerBatch, CPS0081, CPS0209); err != nil {
		return nil, err
	}
	var img *Image
	if imageID != nil {
		if *imageID == "" {
			return nil, CPS0029.Err()
		}
		im, err := s.imageFor(ctx, projectID, *imageID)
		if err != nil {
			return nil, err
		}
		img = &im
	}
	targets := make([]PhoneTarget, len(phones))
	for i, p := range phones {
		payload := phoneOpPayload{}
		if img != nil {
			payload.ImageID = img.ImageID
		}
		if p.Property != nil && *p.Property != "" {
			props, err := parsePhoneProperties(*p.Property)
			if err != nil {
				return nil, err
			}
			payload.Property = props
		}
		targets[i] = PhoneTarget{PhoneID: p.PhoneID, Payload: payload}
	}
	var fits func(int, *store.Phone) error
	if img != nil {
		fits = func(_ int, ph *store.Phone) error { return s.imageFits(*img, ph) }
	}
	return s.submitChecked(ctx, projectID, requestID, op, targets, fits)
}

// imageFits refuses an image whose label is not the phone model's (CPS.0222).
func (s *Service) imageFits(img Image, ph *store.Phone) error {
	pm, ok := s.cat.PhoneModel(ph.PhoneModelName)
	if !ok || pm.ImageLabel != img.ImageLabel {
		return CPS0222.Errf("image %s is labelled %s, phone model %s needs %s",
			img.ImageID, img.ImageLabel, ph.PhoneModelName, pm.ImageLabel)
	}
	return nil
}

// StopPhones stops running phones (5.3.8).
func (s *Service) StopPhones(ctx context.Context, projectID, requestID string, req *api.StopCloudPhoneRequestBody) ([]api.PhoneJob, error) {
	if err := checkBatchSize(len(req.PhoneIDs), MaxPhonesPerBatch, CPS0009, CPS0209); err != nil {
		return nil, err
	}
	return s.submitPhoneJobs(ctx, projectID, requestID, opPhoneStop, idTargets(req.PhoneIDs, phoneOpPayload{}))
}

// UpdatePhoneProperties sets properties of phones (5.3.10). A property that is not valid fails
// the whole request (400) rather than its phone: it is a malformed parameter, not a phone's
// state, and the client learns of it before any phone is touched.
func (s *Service) UpdatePhoneProperties(ctx context.Context, projectID, requestID string, req *api.UpdateCloudPhonePropertyRequestBody) ([]api.PhoneJob, error) {
	if err := checkBatchSize(len(req.Phones), MaxPhonesPerBatch, CPS0081, CPS0209); err != nil {
		return nil, err
	}
	targets := make([]PhoneTarget, len(req.Phones))
	for i, p := range req.Phones {
		props, err := parsePhoneProperties(p.Property)
		if err != nil {
			return nil, err
		}
		targets[i] = PhoneTarget{PhoneID: p.PhoneID, Payload: phoneOpPayload{Property: props}}
	}
	return s.submitPhoneJobs(ctx, projectID, requestID, opPhoneUpdateProperty, targets)
}

// SetPhonesTraffic routes phones' traffic directly or through the encode server (5.3.13).
func (s *Service) SetPhonesTraffic(ctx context.Context, projectID, requestID string, req *api.ImportTrafficRequestBody) ([]api.PhoneJob, error) {
	if err := checkBatchSize(len(req.PhoneIDs), MaxTrafficPhones, CPS0009, CPS0209); err != nil {
		return nil, err
	}
	if req.TrafficType != TrafficDirect && req.TrafficType != TrafficRouting {
		return nil, CPS0207.Errf("want %s or %s", TrafficDirect, TrafficRouting)
	}
	return s.submitPhoneJobs(ctx, projectID, requestID, opPhoneTraffic,
		idTargets(req.PhoneIDs, phoneOpPayload{TrafficType: req.TrafficType}))
}

// ExpandPhoneVolumes grows phones' data volumes (5.3.14). A size outside 1–32768 GiB fails the
// request; a size below a phone's current one is that phone's error, both CPS.0347.
func (s *Service) ExpandPhoneVolumes(ctx context.Context, projectID, requestID string, req *api.ExpandPhoneDataVolumeSizeRequestBody) ([]api.PhoneJob, error) {
	if err := checkBatchSize(len(req.Phones), MaxExpandPhones, CPS0081, CPS0356); err != nil {
		return nil, err
	}
	targets := make([]PhoneTarget, len(req.Phones))
	for i, p := range req.Phones {
		if p.NewSize == nil || *p.NewSize <= 0 || *p.NewSize > MaxPhoneVolumeGiB {
			return nil, CPS0347.Errf("new_size must be 1-%d GiB", MaxPhoneVolumeGiB)
		}
		targets[i] = PhoneTarget{PhoneID: p.PhoneID, Payload: phoneOpPayload{NewSize: *p.NewSize}}
	}
	noSmaller := func(i int, ph *store.Phone) error {
		return volumeFits(ph, targets[i].Payload.(phoneOpPayload).NewSize)
	}
	return s.submitChecked(ctx, projectID, requestID, opPhoneExpandVolume, targets, noSmaller)
}

// volumeFits refuses shrinking a phone's data volume.
func volumeFits(ph *store.Phone, newSize int) error {
	if newSize < ph.VolumeSize {
		return CPS0347.Errf("phone %s has %d GiB, new_size %d is smaller", ph.ID, ph.VolumeSize, newSize)
	}
	return nil
}

// submitChecked is submitPhoneJobs for operations with a rule that needs the whole phone (its
// model, its volume) rather than its status: fits runs on each known phone first and a phone it
// refuses gets its error entry, the rest are submitted, and the entries keep the request's
// order. The rule runs outside the batch's transaction; what it checks cannot change while the
// phone has a job, and the job checks it again when it runs.
func (s *Service) submitChecked(ctx context.Context, projectID, requestID string, op phoneOp, targets []PhoneTarget, fits func(int, *store.Phone) error) ([]api.PhoneJob, error) {
	if fits == nil {
		return s.submitPhoneJobs(ctx, projectID, requestID, op, targets)
	}
	out := make([]api.PhoneJob, len(targets))
	pass := make([]PhoneTarget, 0, len(targets))
	at := make([]int, 0, len(targets))
	for i, t := range targets {
		if isHexID(t.PhoneID) {
			ph, err := s.st.PhoneGet(ctx, projectID, t.PhoneID)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return nil, err
			}
			if ph != nil {
				if err := fits(i, ph); err != nil {
					var ce *Error
					if !errors.As(err, &ce) {
						return nil, err
					}
					out[i] = api.PhoneJob{PhoneID: t.PhoneID, ErrorCode: string(ce.Code), ErrorMsg: ce.Msg}
					continue
				}
			}
		}
		pass = append(pass, t)
		at = append(at, i)
	}
	jobs, err := s.submitPhoneJobs(ctx, projectID, requestID, op, pass)
	if err != nil {
		return nil, err
	}
	for k, j := range jobs {
		out[at[k]] = j
	}
	return out, nil
}

// checkBatchSize answers an empty list with empty and one longer than limit with tooMany.
func checkBatchSize(n, limit int, empty, tooMany Code) error {
	switch {
	case n == 0:
		return empty.Err()
	case n > limit:
		return tooMany.Errf("at most %d phones", limit)
	}
	return nil
}

func idTargets(ids []string, payload phoneOpPayload) []PhoneTarget {
	out := make([]PhoneTarget, len(ids))
	for i, id := range ids {
		out[i] = PhoneTarget{PhoneID: id, Payload: payload}
	}
	return out
}
