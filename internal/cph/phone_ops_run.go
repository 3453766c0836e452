package cph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/store"
)

// The runners of the phone operations. Each is safe to run again after its worker died: it reads
// the phone as stored, asks the runtime for an end state (running with this spec, stopped) rather
// than a change, and writes the final state in the job's finishing transaction. A runtime failure
// is CPS.0260 ("Sub job execute failed.") with the runtime's words in execute_msg: the request
// itself was fine (no 4xx parameter code fits) and it is not the service's internal error
// (CPS.0003); the phone takes the operation's failure status of 5.3.1.

// runPhoneRestart boots a phone again, stopped or not, keeping its data: restarting 4 → 2, or -6.
func (s *Service) runPhoneRestart(ctx context.Context, j *store.Job) job.Outcome {
	return s.runPhoneBoot(ctx, j, "restart", store.PhoneRestartFailed, s.rt.RestartPhone)
}

// runPhoneReset re-creates a phone with its data wiped: resetting 3 → 2, or -5.
func (s *Service) runPhoneReset(ctx context.Context, j *store.Job) job.Outcome {
	return s.runPhoneBoot(ctx, j, "reset", store.PhoneResetFailed, s.rt.ResetPhone)
}

// runPhoneBoot boots a phone through the runtime with the image and the properties of the
// request, and records them with the running status once it runs.
func (s *Service) runPhoneBoot(ctx context.Context, j *store.Job, verb string, failed int, boot func(context.Context, runtime.PhoneSpec) error) job.Outcome {
	var p phoneOpPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return s.phoneFailed(j, failed, fmt.Errorf("payload: %w", err), "")
	}
	ph, spec, err := s.loadPhoneSpec(ctx, j)
	if err != nil {
		return s.phoneFailed(j, failed, err, "")
	}
	imageID := ph.ImageID
	if p.ImageID != "" {
		img, err := s.imageFor(ctx, j.ProjectID, p.ImageID)
		if err == nil {
			err = s.imageFits(img, ph)
		}
		if err != nil {
			return s.phoneFailed(j, failed, err, "")
		}
		imageID = img.ImageID
		spec.ImageID, spec.ImageRef = img.ImageID, img.RuntimeRef[s.rt.Name()]
	}
	props := mergeProperties(storedProperties(ph.Property), p.Property)
	spec.Properties = props
	if err := boot(ctx, spec); err != nil {
		return s.phoneFailed(j, failed, CPS0260.Wrap(err), fmt.Sprintf("%s failed: %v", verb, err))
	}
	running, propJSON := store.PhoneRunning, propertiesJSON(props)
	return job.Outcome{
		ExecuteMsg: fmt.Sprintf("%s done: image %s", verb, imageID),
		Apply: s.applyPhone(j, &store.PhoneUpdateParams{
			Status: &running, ImageID: &imageID, Property: &propJSON,
		}),
	}
}

// runPhoneStop stops a phone: stopping 7 → 8, or -9.
func (s *Service) runPhoneStop(ctx context.Context, j *store.Job) job.Outcome {
	if err := s.rt.StopPhone(ctx, j.PhoneID); err != nil {
		return s.phoneFailed(j, store.PhoneStopFailed, CPS0260.Wrap(err), fmt.Sprintf("stop failed: %v", err))
	}
	stopped := store.PhoneStopped
	return job.Outcome{ExecuteMsg: "stop done", Apply: s.applyPhone(j, &store.PhoneUpdateParams{Status: &stopped})}
}

// runPhoneUpdateProperty applies a property update. Properties take effect when a phone boots,
// so a running phone is restarted with them (keeping its data, and its status 2 throughout, as
// the operation does not change status); a phone that is not running keeps them for its next
// start, as 5.3.10 says of abnormal phones. A failed restart leaves the phone restart-failed (-6)
// and the properties unapplied.
func (s *Service) runPhoneUpdateProperty(ctx context.Context, j *store.Job) job.Outcome {
	var p phoneOpPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Outcome{Err: fmt.Errorf("payload: %w", err)}
	}
	ph, spec, err := s.loadPhoneSpec(ctx, j)
	if err != nil {
		return job.Outcome{Err: err}
	}
	props := mergeProperties(storedProperties(ph.Property), p.Property)
	msg := "properties saved; they apply when the phone next boots"
	if ph.Status == store.PhoneRunning {
		spec.Properties = props
		if err := s.rt.RestartPhone(ctx, spec); err != nil {
			return s.phoneFailed(j, store.PhoneRestartFailed, CPS0260.Wrap(err),
				fmt.Sprintf("restart to apply properties failed: %v", err))
		}
		msg = "properties applied; phone restarted"
	}
	propJSON := propertiesJSON(props)
	return job.Outcome{ExecuteMsg: msg, Apply: s.applyPhone(j, &store.PhoneUpdateParams{Property: &propJSON})}
}

// runPhoneTraffic records a phone's traffic route. The runtimes have no separate encode
// containers to route through, so the route is the phone's recorded setting.
func (s *Service) runPhoneTraffic(ctx context.Context, j *store.Job) job.Outcome {
	var p phoneOpPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Outcome{Err: fmt.Errorf("payload: %w", err)}
	}
	if _, err := s.st.PhoneGet(ctx, j.ProjectID, j.PhoneID); err != nil {
		return job.Outcome{Err: notFound(err, CPS0005)}
	}
	return job.Outcome{
		ExecuteMsg: "traffic_type " + p.TrafficType,
		Apply:      s.applyPhone(j, &store.PhoneUpdateParams{TrafficType: &p.TrafficType}),
	}
}

// runPhoneExpandVolume records a phone's larger data volume. A volume never shrinks: a size that
// fell below the phone's own since the request (it cannot while the job holds the phone, but a
// repeated run reads it anew) fails with CPS.0347.
func (s *Service) runPhoneExpandVolume(ctx context.Context, j *store.Job) job.Outcome {
	var p phoneOpPayload
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Outcome{Err: fmt.Errorf("payload: %w", err)}
	}
	ph, err := s.st.PhoneGet(ctx, j.ProjectID, j.PhoneID)
	if err != nil {
		return job.Outcome{Err: notFound(err, CPS0005)}
	}
	if err := volumeFits(ph, p.NewSize); err != nil {
		return job.Outcome{Err: err}
	}
	return job.Outcome{
		ExecuteMsg: fmt.Sprintf("data volume %d GiB -> %d GiB", ph.VolumeSize, p.NewSize),
		Apply:      s.applyPhone(j, &store.PhoneUpdateParams{VolumeSize: &p.NewSize}),
	}
}

// loadPhoneSpec reads a job's phone with what the runtime needs to boot it.
func (s *Service) loadPhoneSpec(ctx context.Context, j *store.Job) (*store.Phone, runtime.PhoneSpec, error) {
	ph, err := s.st.PhoneGet(ctx, j.ProjectID, j.PhoneID)
	if err != nil {
		return nil, runtime.PhoneSpec{}, notFound(err, CPS0005)
	}
	srv, err := s.st.ServerGet(ctx, j.ProjectID, ph.ServerID)
	if err != nil {
		return nil, runtime.PhoneSpec{}, notFound(err, CPS0015)
	}
	host, err := s.st.HostGetByServer(ctx, srv.ID)
	if err != nil {
		return nil, runtime.PhoneSpec{}, fmt.Errorf("host of server %s: %w", srv.ID, err)
	}
	ports, err := s.st.PortListByPhones(ctx, []string{ph.ID})
	if err != nil {
		return nil, runtime.PhoneSpec{}, fmt.Errorf("ports of phone %s: %w", ph.ID, err)
	}
	byName := make(map[string]int, len(ports))
	for _, pa := range ports {
		byName[pa.Name] = pa.Port
	}
	return ph, s.phoneSpec(srv, host, ph, byName), nil
}

// phoneFailed ends a job with err and puts the phone in the operation's failure status. It also
// serves the engine's give-up run, whose cancelled context fails every step.
func (s *Service) phoneFailed(j *store.Job, status int, err error, msg string) job.Outcome {
	return job.Outcome{Err: err, ExecuteMsg: msg, Apply: s.applyPhone(j, &store.PhoneUpdateParams{Status: &status})}
}

// applyPhone writes a job's result to its phone in the finishing transaction. A phone deleted
// meanwhile (its server released) has nothing left to record.
func (s *Service) applyPhone(j *store.Job, p *store.PhoneUpdateParams) func(context.Context, store.Store) error {
	p.ProjectID, p.ID = j.ProjectID, j.PhoneID
	return func(ctx context.Context, tx store.Store) error {
		if err := tx.PhoneUpdate(ctx, p); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return nil
	}
}
