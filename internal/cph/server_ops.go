package cph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/opencph/opencph/api"
	"github.com/opencph/opencph/internal/job"
	"github.com/opencph/opencph/internal/runtime"
	"github.com/opencph/opencph/internal/store"
)

// Job kinds of the server operations.
const (
	// kindServerRestart restarts every phone of a server that is marked restarting, a bounded
	// number at a time: a server batch-restart (5.1.5) and a model change (5.1.12) queue it.
	kindServerRestart = "server.restart"
	// kindServerChange removes a switched server's old phones and creates its new ones (5.1.6).
	kindServerChange = "server.change"
	// kindServerKeypair gives a server the keypair its adb access is checked against (5.5.1).
	kindServerKeypair = "server.keypair"
	// kindEncodeRestart restarts a server's encode server (5.6.2).
	kindEncodeRestart = "encode.restart"
)

// MaxServersPerBatch bounds a server batch: 5.1.5 states 1–100 server_ids; 5.5.1 and 5.6.2 name
// no bound, and take the same one, the most servers a project may hold by default.
const MaxServersPerBatch = 100

// registerServerOps registers the job kinds of this file's operations with the engine.
func (s *Service) registerServerOps() {
	s.eng.Register(kindServerRestart, s.runServerRestart)
	s.eng.Register(kindServerChange, s.runServerChange)
	s.eng.Register(kindServerKeypair, s.runServerKeypair)
	s.eng.Register(kindEncodeRestart, s.runEncodeRestart)
}

// serverTarget is one server of a batch call and its job's payload (serverJob when nil).
type serverTarget struct {
	ServerID string
	Payload  any
}

// serverBegin checks a server, and the target's payload, inside the batch transaction and moves
// the server, and its phones where the operation takes them down, into the operation's
// transitional statuses. It must check everything before it writes anything: a coded error
// refuses this server alone and the transaction goes on.
type serverBegin func(ctx context.Context, tx store.Store, srv *store.Server, payload any) error

// submitServerJobs is the common half of every asynchronous server batch, as submitPhoneJobs is
// for phones: in one transaction each server is checked, moved into its transitional status and
// given a job, so a job exists exactly when its server's transition does. A malformed id
// (CPS.0097), an unknown server (CPS.0015) or one begin refuses gets an error entry and the rest
// proceed. The entries keep the request's order.
func (s *Service) submitServerJobs(ctx context.Context, projectID, requestID, kind string, begin serverBegin, targets []serverTarget) ([]api.ServerJob, error) {
	results, err := s.submitBatch(ctx, len(targets), func(tx store.Store, i int, now time.Time) (string, error) {
		return s.submitServerJob(ctx, tx, projectID, requestID, kind, begin, targets[i], now)
	})
	if err != nil {
		return nil, err
	}
	out := make([]api.ServerJob, len(targets))
	for i, r := range results {
		out[i] = api.ServerJob{ServerID: targets[i].ServerID, JobID: r.jobID, ErrorCode: r.code, ErrorMsg: r.msg}
	}
	return out, nil
}

func (s *Service) submitServerJob(ctx context.Context, tx store.Store, projectID, requestID, kind string,
	begin serverBegin, t serverTarget, now time.Time) (string, error) {
	if !isHexID(t.ServerID) {
		return "", CPS0097.Err()
	}
	srv, err := tx.ServerGet(ctx, projectID, t.ServerID)
	if err != nil {
		return "", notFound(err, CPS0015)
	}
	if err := begin(ctx, tx, srv, t.Payload); err != nil {
		return "", err
	}
	return queueServerJob(ctx, tx, projectID, requestID, kind, srv.ID, t.Payload, now)
}

// queueServerJob inserts a server's job in tx; a nil payload is serverJob{ServerID}.
func queueServerJob(ctx context.Context, tx store.Store, projectID, requestID, kind, serverID string, payload any, now time.Time) (string, error) {
	if payload == nil {
		payload = serverJob{ServerID: serverID}
	}
	b, err := json.Marshal(payload)
	if err != nil {
		return "", fmt.Errorf("payload: %w", err)
	}
	j := &store.Job{
		ID: store.NewID(), ProjectID: projectID, RequestID: requestID, Kind: kind,
		ServerID: serverID, Payload: b, Status: store.JobRunning, BeginTime: now, RunAfter: now,
	}
	if err := tx.JobInsert(ctx, j); err != nil {
		return "", fmt.Errorf("queue job: %w", err)
	}
	return j.ID, nil
}

// checkServerBatch answers an empty list CPS.0095 and one longer than MaxServersPerBatch CPS.0096.
func checkServerBatch(n int) error {
	switch {
	case n == 0:
		return CPS0095.Err()
	case n > MaxServersPerBatch:
		return CPS0096.Errf("at most %d servers", MaxServersPerBatch)
	}
	return nil
}

// RestartServers restarts servers (5.1.5): every phone of each server restarts, keeping its data.
//
// Each server gets one job, which restarts its phones a bounded number at a time (as provisioning
// creates them) rather than one job per phone: the job_id a client is given then ends exactly when
// the server's restart does, and the job's finishing transaction sets the server's status from
// its phones. Phones show restarting (4) from the request until each is back (2, or -6 when its
// restart failed); the server shows 13 (starting, the transitional status of 5.1.1 that a restart
// passes through) until every phone is done, then 5, or 2 when any phone failed.
func (s *Service) RestartServers(ctx context.Context, projectID, requestID string, ids []string) ([]api.ServerJob, error) {
	if err := checkServerBatch(len(ids)); err != nil {
		return nil, err
	}
	targets := make([]serverTarget, len(ids))
	for i, id := range ids {
		targets[i] = serverTarget{ServerID: id}
	}
	return s.submitServerJobs(ctx, projectID, requestID, kindServerRestart, s.beginServerRestart, targets)
}

// restartable refuses a server a restart cannot take: one being switched (CPS.1105), one already
// restarting (CPS.0349), and any other that is neither running nor abnormal (CPS.0158), such as
// one being created or frozen. An abnormal server may restart: that is how it recovers.
func restartable(status int) error {
	switch status {
	case store.ServerRunning, store.ServerAbnormal:
		return nil
	case store.ServerChanging:
		return CPS1105.Err()
	case store.ServerStarting, store.ServerStopping:
		return CPS0349.Err()
	}
	return CPS0158.Err()
}

// beginServerRestart marks a server restarting (13) and its phones restarting (4). A phone in
// another operation's transitional status, or with any job running, refuses the server
// (CPS.0349), since its restart would overlap that operation. A frozen phone stays as it is. A
// phone left in status 1 by a provisioning that has ended (the server is running or abnormal) is
// restarted too: its restart creates it.
func (s *Service) beginServerRestart(ctx context.Context, tx store.Store, srv *store.Server, _ any) error {
	if err := restartable(srv.Status); err != nil {
		return err
	}
	return s.markServerRestarting(ctx, tx, srv)
}

// markServerRestarting is beginServerRestart without the server status check.
func (s *Service) markServerRestarting(ctx context.Context, tx store.Store, srv *store.Server) error {
	phones, err := s.idlePhones(ctx, tx, srv)
	if err != nil {
		return err
	}
	restarting := store.PhoneRestarting
	for _, ph := range phones {
		if ph.Status == store.PhoneFrozen {
			continue
		}
		if err := tx.PhoneUpdate(ctx, &store.PhoneUpdateParams{ProjectID: srv.ProjectID, ID: ph.ID, Status: &restarting}); err != nil {
			return fmt.Errorf("phone %s: %w", ph.ID, err)
		}
	}
	starting := store.ServerStarting
	return tx.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: srv.ProjectID, ID: srv.ID, Status: &starting})
}

// idlePhones lists a server's phones and refuses (CPS.0349) when any is held by another operation:
// in a transitional status, or with a job running.
func (s *Service) idlePhones(ctx context.Context, tx store.Store, srv *store.Server) ([]store.Phone, error) {
	phones, _, err := tx.PhoneList(ctx, &store.PhoneListParams{ProjectID: srv.ProjectID, ServerID: srv.ID})
	if err != nil {
		return nil, fmt.Errorf("phones of %s: %w", srv.ID, err)
	}
	for _, ph := range phones {
		switch ph.Status {
		case store.PhoneResetting, store.PhoneRestarting, store.PhoneStopping:
			return nil, CPS0349.Errf("phone %s is in an operation", ph.ID)
		}
		running, err := tx.JobRunningForPhone(ctx, srv.ProjectID, ph.ID)
		if err != nil {
			return nil, fmt.Errorf("phone %s: %w", ph.ID, err)
		}
		if running {
			return nil, CPS0349.Errf("phone %s is in an operation", ph.ID)
		}
	}
	return phones, nil
}

// serverState is what a server job works from: the server, its host, its phones and each phone's
// host ports by name.
type serverState struct {
	srv    *store.Server
	host   *store.Host
	phones []store.Phone
	ports  map[string]map[string]int
}

func (s *Service) loadServerState(ctx context.Context, projectID, serverID string) (*serverState, error) {
	srv, err := s.st.ServerGet(ctx, projectID, serverID)
	if err != nil {
		return nil, notFound(err, CPS0015)
	}
	host, err := s.st.HostGetByServer(ctx, srv.ID)
	if err != nil {
		return nil, fmt.Errorf("host of %s: %w", srv.ID, err)
	}
	phones, _, err := s.st.PhoneList(ctx, &store.PhoneListParams{ProjectID: projectID, ServerID: srv.ID})
	if err != nil {
		return nil, fmt.Errorf("phones of %s: %w", srv.ID, err)
	}
	ids := make([]string, len(phones))
	for i := range phones {
		ids[i] = phones[i].ID
	}
	allocs, err := s.st.PortListByPhones(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("ports of %s: %w", srv.ID, err)
	}
	st := &serverState{srv: srv, host: host, phones: phones, ports: map[string]map[string]int{}}
	for _, pa := range allocs {
		if st.ports[pa.PhoneID] == nil {
			st.ports[pa.PhoneID] = map[string]int{}
		}
		st.ports[pa.PhoneID][pa.Name] = pa.Port
	}
	return st, nil
}

// inStatus picks the phones whose status is want.
func inStatus(phones []store.Phone, want int) []*store.Phone {
	var out []*store.Phone
	for i := range phones {
		if phones[i].Status == want {
			out = append(out, &phones[i])
		}
	}
	return out
}

// eachPhone runs fn on phones, at most ProvisionParallelism at once, as provisioning does, and
// reports each phone's result by id.
func (s *Service) eachPhone(phones []*store.Phone, fn func(ph *store.Phone) phoneResult) map[string]phoneResult {
	results := map[string]phoneResult{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, s.cfg.ProvisionParallelism)
	for _, ph := range phones {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r := fn(ph)
			mu.Lock()
			results[ph.ID] = r
			mu.Unlock()
		}()
	}
	wg.Wait()
	return results
}

// failures counts the failed results and keeps the first error.
func failures(results map[string]phoneResult) (int, error) {
	n := 0
	var first error
	for _, r := range results {
		if r.err != nil {
			n++
			if first == nil {
				first = r.err
			}
		}
	}
	return n, first
}

// runServerRestart restarts every phone of the server still marked restarting and finishes with
// each phone's status (2, or -6) and the server's (5 when all came back, 2 otherwise). A
// phone already back from an earlier run of this job is left alone, and restarting one twice is
// harmless, so the job is safe to repeat.
func (s *Service) runServerRestart(ctx context.Context, j *store.Job) job.Outcome {
	var p serverJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return s.failServerRestart(j, "", fmt.Errorf("payload: %w", err))
	}
	st, err := s.loadServerState(ctx, j.ProjectID, p.ServerID)
	if err != nil {
		return s.failServerRestart(j, p.ServerID, err)
	}
	results := s.eachPhone(inStatus(st.phones, store.PhoneRestarting), func(ph *store.Phone) phoneResult {
		r := s.restartPhone(ctx, st, ph)
		if r.err == nil {
			// Show progress phone by phone; the job's final transaction writes it again.
			s.markPhone(ctx, j.ProjectID, ph.ID, store.PhoneRunning, r.info.PhoneIP)
		}
		return r
	})
	failed, firstErr := failures(results)
	out := job.Outcome{
		ExecuteMsg: fmt.Sprintf("%d phones restarted, %d failed", len(results)-failed, failed),
		Apply: func(ctx context.Context, tx store.Store) error {
			for id, r := range results {
				// A phone shown back (2) may have been taken by an operation of its own since; that
				// operation writes the phone's final status, not this job.
				busy, err := tx.JobRunningForPhone(ctx, j.ProjectID, id)
				if err != nil {
					return err
				}
				if busy {
					continue
				}
				status, ip := store.PhoneRunning, &r.info.PhoneIP
				if r.err != nil {
					status, ip = store.PhoneRestartFailed, nil
				}
				if err := tx.PhoneUpdate(ctx, &store.PhoneUpdateParams{
					ProjectID: j.ProjectID, ID: id, Status: &status, PhoneIP: ip,
				}); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
			return s.settleRestart(ctx, tx, j.ProjectID, st.srv.ID, failed)
		},
	}
	if failed > 0 {
		out.Err = CPS0260.Errf("%d of %d phones failed to restart: %v", failed, len(results), firstErr)
	}
	return out
}

// settleRestart ends a server's restart: running (5) when every phone it restarted came back,
// abnormal (2) when any failed. It goes by the restart's own results rather than the phones'
// statuses, which operations on single phones may have changed since.
func (s *Service) settleRestart(ctx context.Context, tx store.Store, projectID, serverID string, failed int) error {
	status := store.ServerRunning
	if failed > 0 {
		status = store.ServerAbnormal
	}
	err := tx.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: projectID, ID: serverID, Status: &status})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// restartPhone restarts one phone with its current spec, keeping its data. A phone the runtime
// does not have (its creation failed, or was cut short) has nothing to restart: restarting its
// server creates it, which is what brings an abnormal server back.
func (s *Service) restartPhone(ctx context.Context, st *serverState, ph *store.Phone) phoneResult {
	spec := s.phoneSpec(st.srv, st.host, ph, st.ports[ph.ID])
	err := s.rt.RestartPhone(ctx, spec)
	if errors.Is(err, runtime.ErrNotFound) {
		info, err := s.rt.CreatePhone(ctx, spec)
		return phoneResult{info: info, err: err}
	}
	if err != nil {
		return phoneResult{err: err}
	}
	info, err := s.rt.Phone(ctx, ph.ID)
	return phoneResult{info: info, err: err}
}

// failServerRestart ends a restart job that could not start: the phones it was to restart failed
// (-6) and the server is abnormal. A coded cause (the server is gone, CPS.0015) is the job's
// error; anything else is CPS.0260.
func (s *Service) failServerRestart(j *store.Job, serverID string, err error) job.Outcome {
	var ce *Error
	if !errors.As(err, &ce) {
		err = CPS0260.Wrap(err)
	}
	return job.Outcome{
		Err: err,
		Apply: func(ctx context.Context, tx store.Store) error {
			if serverID == "" {
				return nil
			}
			return s.abandonServer(ctx, tx, j.ProjectID, serverID, store.PhoneRestarting, store.PhoneRestartFailed)
		},
	}
}

// abandonServer ends a failed server job: the server's phones still in status from take status
// to, and the server is abnormal. A server that is gone is no error.
func (s *Service) abandonServer(ctx context.Context, tx store.Store, projectID, serverID string, from, to int) error {
	phones, _, err := tx.PhoneList(ctx, &store.PhoneListParams{ProjectID: projectID, ServerID: serverID})
	if err != nil {
		return err
	}
	for _, ph := range phones {
		if ph.Status != from {
			continue
		}
		if err := tx.PhoneUpdate(ctx, &store.PhoneUpdateParams{ProjectID: projectID, ID: ph.ID, Status: &to}); err != nil {
			return err
		}
	}
	abnormal := store.ServerAbnormal
	err = tx.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: projectID, ID: serverID, Status: &abnormal})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// keypairJob is the payload of an open-access job.
type keypairJob struct {
	ServerID    string `json:"server_id"`
	KeypairName string `json:"keypair_name"`
}

// UpdateKeypairs gives servers the keypair their phones' adb access is checked against (5.5.1),
// one job per server; the server shows the new keypair_name once its job ends. Each keypair must
// exist in the project: an empty name is CPS.0068, an unknown one CPS.0067, for that server
// alone. A server being created, switched or frozen is not ready (CPS.0099).
func (s *Service) UpdateKeypairs(ctx context.Context, projectID, requestID string, req *api.UpdateKeypairRequest) ([]api.ServerJob, error) {
	if req == nil {
		return nil, CPS0095.Err()
	}
	if err := checkServerBatch(len(req.Servers)); err != nil {
		return nil, err
	}
	// The keypairs are looked up before the transaction: the lookup is another service's.
	exists := map[string]bool{}
	targets := make([]serverTarget, len(req.Servers))
	for i, sk := range req.Servers {
		targets[i] = serverTarget{ServerID: sk.ServerID, Payload: keypairJob(sk)}
		name := sk.KeypairName
		if _, seen := exists[name]; seen || name == "" || len(name) > KeypairNameMaxBytes {
			continue
		}
		ok, err := s.kp(ctx, projectID, name)
		if err != nil {
			return nil, fmt.Errorf("looking up keypair: %w", err)
		}
		exists[name] = ok
	}
	begin := func(_ context.Context, _ store.Store, srv *store.Server, payload any) error {
		name := payload.(keypairJob).KeypairName
		switch {
		case name == "":
			return CPS0068.Err()
		case !exists[name]:
			return CPS0067.Errf("%s", name)
		}
		return keypairReady(srv.Status)
	}
	return s.submitServerJobs(ctx, projectID, requestID, kindServerKeypair, begin, targets)
}

// keypairReady refuses a server whose phones do not exist yet or are frozen: nothing to open.
func keypairReady(status int) error {
	switch status {
	case store.ServerCreating, store.ServerChanging, 3, 4, store.ServerFrozen:
		return CPS0099.Err()
	}
	return nil
}

// runServerKeypair records the server's new keypair. The SSH gateway checks adb access against the
// server's keypair_name whenever a connection opens, so recording it is what applies it.
func (s *Service) runServerKeypair(ctx context.Context, j *store.Job) job.Outcome {
	var p keypairJob
	if err := json.Unmarshal(j.Payload, &p); err != nil {
		return job.Outcome{Err: fmt.Errorf("payload: %w", err)}
	}
	if _, err := s.st.ServerGet(ctx, j.ProjectID, p.ServerID); err != nil {
		return job.Outcome{Err: notFound(err, CPS0015)}
	}
	return job.Outcome{
		ExecuteMsg: "keypair " + p.KeypairName,
		Apply: func(ctx context.Context, tx store.Store) error {
			err := tx.ServerUpdate(ctx, &store.ServerUpdateParams{ProjectID: j.ProjectID, ID: p.ServerID, KeypairName: &p.KeypairName})
			if errors.Is(err, store.ErrNotFound) {
				return nil
			}
			return err
		},
	}
}

// applyBandwidth gives the host of every server that uses a bandwidth its new size (5.2.2), where
// the runtime can shape traffic; it runs in the resize's transaction, so a runtime that refuses
// leaves the recorded size as it was, and repeating the request converges.
func (s *Service) applyBandwidth(ctx context.Context, tx store.Store, projectID, bandwidthID string, mbits int) error {
	bs, ok := s.rt.(runtime.BandwidthSetter)
	if !ok {
		return nil
	}
	servers, _, err := tx.ServerList(ctx, &store.ServerListParams{ProjectID: projectID, BandwidthID: bandwidthID})
	if err != nil {
		return fmt.Errorf("servers of bandwidth %s: %w", bandwidthID, err)
	}
	for _, srv := range servers {
		h, err := tx.HostGetByServer(ctx, srv.ID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("host of %s: %w", srv.ID, err)
		}
		if err := bs.SetBandwidth(ctx, h.ID, mbits); err != nil {
			return fmt.Errorf("bandwidth of server %s: %w", srv.ID, err)
		}
	}
	return nil
}
