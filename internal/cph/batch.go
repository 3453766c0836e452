package cph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// phoneOp is an asynchronous operation on phones, run as one job per phone (section 5.4).
type phoneOp struct {
	kind string
	// during is the phone's status while its job runs (restarting 4, resetting 3, stopping 7);
	// 0 keeps the status as it is, for operations that do not take the phone down.
	during int
	// check refuses a phone whose status does not allow the operation, with the operation's own
	// code (CPS.0141 "not running", CPS.0165 "must be stopped or running", …); nil allows all.
	check func(status int) error
	// exclusive refuses a phone while any other job of it runs (CPS.0349), which the status alone
	// cannot tell for operations that keep it (a property update restarting a running phone).
	exclusive bool
}

// PhoneTarget is one phone of a batch call and its own arguments, stored as the job's payload.
type PhoneTarget struct {
	PhoneID string
	Payload any
}

// submitPhoneJobs is the common half of every asynchronous phone batch: in one transaction it
// checks each phone, moves the accepted ones into op.during and queues a job for each, so a job
// exists exactly when its phone's transition does. A phone that cannot run (malformed id
// CPS.0004, unknown CPS.0005, being created CPS.0213, frozen CPS.0053, another operation running
// CPS.0349, a status op.check refuses) gets an error entry and the rest proceed. The entries keep
// the request's order.
func (s *Service) submitPhoneJobs(ctx context.Context, projectID, requestID string, op phoneOp, targets []PhoneTarget) ([]api.PhoneJob, error) {
	results, err := s.submitBatch(ctx, len(targets), func(tx store.Store, i int, now time.Time) (string, error) {
		return s.submitPhoneJob(ctx, tx, projectID, requestID, op, targets[i], now)
	})
	if err != nil {
		return nil, err
	}
	out := make([]api.PhoneJob, len(targets))
	for i, r := range results {
		out[i] = api.PhoneJob{PhoneID: targets[i].PhoneID, JobID: r.jobID, ErrorCode: r.code, ErrorMsg: r.msg}
	}
	return out, nil
}

// batchResult is how one target of a batch call ended: queued as jobID, or refused with a code.
type batchResult struct {
	jobID, code, msg string
}

// submitBatch runs submit for each of n targets in one transaction, so that every accepted
// target's state change and job commit together. A coded error refuses only its target; any
// other error aborts the whole call and changes nothing. The engine is woken once at the end.
func (s *Service) submitBatch(ctx context.Context, n int, submit func(tx store.Store, i int, now time.Time) (string, error)) ([]batchResult, error) {
	out := make([]batchResult, n)
	now := time.Now().UTC()
	err := s.st.InTx(ctx, func(tx store.Store) error {
		for i := range n {
			jobID, err := submit(tx, i, now)
			var ce *Error
			switch {
			case errors.As(err, &ce):
				out[i] = batchResult{code: string(ce.Code), msg: ce.Msg}
			case err != nil:
				return err
			default:
				out[i] = batchResult{jobID: jobID}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.eng.Notify()
	return out, nil
}

func (s *Service) submitPhoneJob(ctx context.Context, tx store.Store, projectID, requestID string, op phoneOp, t PhoneTarget, now time.Time) (string, error) {
	if !isHexID(t.PhoneID) {
		return "", CPS0004.Err()
	}
	ph, err := tx.PhoneGet(ctx, projectID, t.PhoneID)
	if err != nil {
		return "", notFound(err, CPS0005)
	}
	if err := phoneBusy(ph.Status); err != nil {
		return "", err
	}
	if op.check != nil {
		if err := op.check(ph.Status); err != nil {
			return "", err
		}
	}
	if op.exclusive {
		running, err := tx.JobRunningForPhone(ctx, projectID, ph.ID)
		if err != nil {
			return "", fmt.Errorf("phone %s: %w", ph.ID, err)
		}
		if running {
			return "", CPS0349.Err()
		}
	}
	if op.during != 0 {
		if err := tx.PhoneUpdate(ctx, &store.PhoneUpdateParams{ProjectID: projectID, ID: ph.ID, Status: &op.during}); err != nil {
			return "", fmt.Errorf("phone %s: %w", ph.ID, err)
		}
	}
	payload, err := json.Marshal(t.Payload)
	if err != nil {
		return "", fmt.Errorf("payload: %w", err)
	}
	j := &store.Job{
		ID: store.NewID(), ProjectID: projectID, RequestID: requestID, Kind: op.kind,
		ServerID: ph.ServerID, PhoneID: ph.ID, Payload: payload, Status: store.JobRunning,
		BeginTime: now, RunAfter: now,
	}
	if err := tx.JobInsert(ctx, j); err != nil {
		return "", fmt.Errorf("queue job: %w", err)
	}
	return j.ID, nil
}

// phoneBusy refuses a phone that another operation holds: one being created, frozen, or in a
// transitional status of a running job.
func phoneBusy(status int) error {
	switch status {
	case store.PhoneCreating:
		return CPS0213.Err()
	case store.PhoneFrozen:
		return CPS0053.Err()
	case store.PhoneResetting, store.PhoneRestarting, store.PhoneStopping:
		return CPS0349.Err()
	}
	return nil
}
