package cph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/store"
)

// phoneResult is how one phone's provisioning ended.
type phoneResult struct {
	info runtime.PhoneInfo
	err  error
}

// runServerCreate creates every phone of a bought server that is still being created, a bounded
// number at a time, and finishes with the server's status: 5 when every phone runs, 2 (abnormal)
// otherwise. Phones already running (from an earlier run of this job) are left alone, so the job
// is safe to repeat.
func (s *Service) runServerCreate(ctx context.Context, j *store.Job) job.Outcome {
	var p serverJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Outcome{Err: fmt.Errorf("payload: %w", err)}
	}
	srv, err := s.st.ServerGet(ctx, j.ProjectID, p.ServerID)
	if err != nil {
		return s.failServer(j, p.ServerID, err)
	}
	host, err := s.st.HostGetByServer(ctx, srv.ID)
	if err != nil {
		return s.failServer(j, srv.ID, err)
	}
	phones, _, err := s.st.PhoneList(ctx, &store.PhoneListParams{ProjectID: j.ProjectID, ServerID: srv.ID})
	if err != nil {
		return s.failServer(j, srv.ID, err)
	}
	ids := make([]string, len(phones))
	for i := range phones {
		ids[i] = phones[i].ID
	}
	ports, err := s.st.PortListByPhones(ctx, ids)
	if err != nil {
		return s.failServer(j, srv.ID, err)
	}
	byPhone := map[string]map[string]int{}
	for _, pa := range ports {
		if byPhone[pa.PhoneID] == nil {
			byPhone[pa.PhoneID] = map[string]int{}
		}
		byPhone[pa.PhoneID][pa.Name] = pa.Port
	}

	results := map[string]phoneResult{}
	var mu sync.Mutex
	sem := make(chan struct{}, s.cfg.ProvisionParallelism)
	var wg sync.WaitGroup
	for i := range phones {
		ph := &phones[i]
		if ph.Status != store.PhoneCreating {
			continue
		}
		spec := s.phoneSpec(srv, host, ph, byPhone[ph.ID])
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			info, err := s.rt.CreatePhone(ctx, spec)
			mu.Lock()
			results[ph.ID] = phoneResult{info: info, err: err}
			mu.Unlock()
			if err == nil {
				// Show progress phone by phone; the job's final transaction writes it again.
				s.markPhone(ctx, j.ProjectID, ph.ID, store.PhoneRunning, info.PhoneIP)
			}
		}()
	}
	wg.Wait()

	failed := 0
	var firstErr error
	for _, r := range results {
		if r.err != nil {
			failed++
			if firstErr == nil {
				firstErr = r.err
			}
		}
	}
	out := job.Outcome{
		ExecuteMsg: fmt.Sprintf("%d phones created, %d failed", len(results)-failed, failed),
		Apply: func(ctx context.Context, tx store.Store) error {
			for id, r := range results {
				status, ip := store.PhoneRunning, &r.info.PhoneIP
				if r.err != nil {
					status, ip = store.PhoneCreateFailed, nil
				}
				if err := tx.PhoneUpdate(ctx, &store.PhoneUpdateParams{
					ProjectID: j.ProjectID, ID: id, Status: &status, PhoneIP: ip,
				}); err != nil {
					return err
				}
			}
			return s.settleServer(ctx, tx, j.ProjectID, srv.ID)
		},
	}
	if failed > 0 {
		out.Err = CPS0092.Errf("%d of %d phones failed: %v", failed, len(results), firstErr)
	}
	return out
}

// settleServer sets a provisioned server's status from its phones: running when all run.
func (s *Service) settleServer(ctx context.Context, tx store.Store, projectID, serverID string) error {
	phones, _, err := tx.PhoneList(ctx, &store.PhoneListParams{ProjectID: projectID, ServerID: serverID})
	if err != nil {
		return err
	}
	status := store.ServerRunning
	for _, ph := range phones {
		if ph.Status != store.PhoneRunning {
			status = store.ServerAbnormal
			break
		}
	}
	return tx.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: projectID, ID: serverID, Status: &status})
}

// failServer ends a provisioning job that could not even start: the server is abnormal.
func (s *Service) failServer(j *store.Job, serverID string, err error) job.Outcome {
	return job.Outcome{
		Err: CPS0092.Wrap(err),
		Apply: func(ctx context.Context, tx store.Store) error {
			status := store.ServerAbnormal
			uerr := tx.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: j.ProjectID, ID: serverID, Status: &status})
			if uerr != nil && !errors.Is(uerr, store.ErrNotFound) {
				return uerr
			}
			return nil
		},
	}
}

func (s *Service) markPhone(ctx context.Context, projectID, id string, status int, ip string) {
	err := s.st.PhoneUpdate(ctx, &store.PhoneUpdateParams{ProjectID: projectID, ID: id, Status: &status, PhoneIP: &ip})
	if err != nil && ctx.Err() == nil {
		slog.Warn("recording phone progress", "phone_id", id, "err", err)
	}
}

func (s *Service) phoneSpec(srv *store.Server, h *store.Host, ph *store.Phone, ports map[string]int) runtime.PhoneSpec {
	pm, known := s.cat.PhoneModel(ph.PhoneModelName)
	spec := runtime.PhoneSpec{
		ID: ph.ID, HostID: h.ID, Index: ph.Index, ImageID: ph.ImageID, IMEI: ph.IMEI,
		Ports: map[int]int{adbPort: ports["adb"]}, Properties: map[string]string{},
	}
	if img, ok := s.bootImage(ph.ImageID); ok {
		spec.ImageRef = img.RuntimeRef[s.rt.Name()]
	}
	if known {
		spec.Model = runtime.PhoneModel{
			Name: pm.PhoneModelName, CPU: pm.CPU, MemoryGiB: (pm.Memory + 1023) / 1024,
			DiskGiB: pm.Disk, Resolution: pm.Resolution, DPI: pm.Dpi,
		}
	}
	for _, p := range srv.Ports {
		spec.Ports[p.ListenPort] = ports[p.Name]
	}
	if ph.Property != "" {
		_ = json.Unmarshal([]byte(ph.Property), &spec.Properties)
	}
	return spec
}
