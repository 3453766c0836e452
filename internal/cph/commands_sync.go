package cph

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/store"
)

// RunSyncCommand serves POST phones/sync-commands (5.7.5): a shell command on up to MaxSyncPhones
// phones, answered with each phone's output. The phones run at once, each within
// SyncPhoneTimeout — a phone that takes longer fails alone, with CPS.0054 and what it printed so
// far — and the call within SyncCallTimeout; the reference's "the more phones, the longer the
// call" describes a service that runs them one after another, which the parallel run bounds
// instead by the slowest phone. Nothing is queued, so these job ids are not kept: GET jobs does
// not know them, and a phone refused before running (unknown, not running) has none.
//
// userID is the caller, whose calls the quota of SyncCallsPerMinute per minute counts. It is the
// API gateway's throttle, answered with 429 APIGW.0308, and checked before anything else, so
// every call that reaches it counts, valid or not; a refused call does not count.
func (s *Service) RunSyncCommand(ctx context.Context, projectID, requestID, userID string, req *api.RunSyncCommandRequestBody) ([]api.RunSyncCommandJob, error) {
	l := s.limits()
	if err := s.takeSyncSlot(ctx, userID, l); err != nil {
		return nil, err
	}
	if req.Command != CommandShell {
		return nil, CPS0117.Errf("command %q: sync-commands runs %s only", req.Command, CommandShell)
	}
	if err := ValidateCommandContent(req.Content); err != nil {
		return nil, err
	}
	targets, err := s.commandTargets(ctx, projectID, req, MaxSyncPhones, CPS0359, MaxSyncPhones)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, l.syncCall)
	defer cancel()
	out := make([]api.RunSyncCommandJob, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		if t.refused != nil {
			out[i] = api.RunSyncCommandJob{Status: store.JobFailed, ErrorCode: string(t.refused.Code), ErrorMsg: t.refused.Msg}
			continue
		}
		wg.Go(func() { out[i], errs[i] = s.syncCommand(ctx, projectID, t.phoneID, req.Content, l.syncPhone) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// syncCommand runs one phone's part of a sync-commands call. Its error is only ever the service's
// own (the store failing); everything about the phone is in the entry.
func (s *Service) syncCommand(ctx context.Context, projectID, phoneID, cmd string, timeout time.Duration) (api.RunSyncCommandJob, error) {
	entry := api.RunSyncCommandJob{PhoneID: phoneID, Status: store.JobFailed}
	ph, err := s.commandPhone(ctx, projectID, phoneID)
	var ce *Error
	if errors.As(err, &ce) {
		entry.ErrorCode, entry.ErrorMsg = string(ce.Code), ce.Msg
		return entry, nil
	}
	if err != nil {
		return entry, err
	}
	entry.JobID = store.NewID()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := s.phoneShell(ctx, ph.ID, cmd)
	entry.ExecuteMsg, err = commandOutcome(res, err, timeout)
	if err != nil {
		ce = AsError(err)
		entry.ErrorCode, entry.ErrorMsg = string(ce.Code), ce.Msg
		return entry, nil
	}
	entry.Status = store.JobSuccess
	return entry, nil
}

// commandPhone checks a phone of a sync-commands call as submitPhoneJob checks one of an
// asynchronous call: well-formed id (CPS.0004), known (CPS.0005), not held by another operation,
// running (CPS.0141).
func (s *Service) commandPhone(ctx context.Context, projectID, id string) (*store.Phone, error) {
	if !isHexID(id) {
		return nil, CPS0004.Err()
	}
	ph, err := s.st.PhoneGet(ctx, projectID, id)
	if err != nil {
		return nil, notFound(err, CPS0005)
	}
	if err := phoneBusy(ph.Status); err != nil {
		return nil, err
	}
	if err := commandable(ph.Status); err != nil {
		return nil, err
	}
	return ph, nil
}

// takeSyncSlot admits one sync-commands call of the user under the per-minute quota. The window
// is kept in the store, so the quota holds for the user across every replica, not per process.
func (s *Service) takeSyncSlot(ctx context.Context, userID string, l commandLimits) error {
	ok, err := s.st.RateLimitTake(ctx, &store.RateLimitTakeParams{
		Key: "sync-commands:" + userID, Limit: l.syncCalls, Window: l.syncWindow, Now: time.Now(),
	})
	if err != nil {
		return fmt.Errorf("sync-commands quota of user %s: %w", userID, err)
	}
	if !ok {
		// The API gateway's own wording of a per-user throttle.
		return APIGW0308.Errf("policy user over ratelimit,limit:%d,time:%s", l.syncCalls, windowText(l.syncWindow))
	}
	return nil
}

// windowText renders a throttle window the way the API gateway does: "1 minute".
func windowText(d time.Duration) string {
	if d == time.Minute {
		return "1 minute"
	}
	return d.String()
}
