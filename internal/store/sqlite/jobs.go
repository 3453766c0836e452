package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"time"

	"github.com/opencph/opencph/internal/store"
)

const jobCols = `id, project_id, request_id, kind, server_id, phone_id, payload, status, error_code,
	error_msg, execute_msg, attempt, lease_owner, lease_until, run_after, begin_time, end_time`

// JobInsert enqueues a job: status running, attempt 0, no lease, no end time. A zero BeginTime
// (when the job was accepted) becomes now and a zero RunAfter becomes BeginTime. j is updated to
// what was stored. Call it inside InTx with the state change it belongs to, so the job exists
// exactly when the change does.
func (s *Store) JobInsert(ctx context.Context, j *store.Job) error {
	if j.BeginTime.IsZero() {
		j.BeginTime = now()
	}
	j.BeginTime = normTime(j.BeginTime)
	if j.RunAfter.IsZero() {
		j.RunAfter = j.BeginTime
	}
	j.RunAfter = normTime(j.RunAfter)
	j.Status, j.Attempt = store.JobRunning, 0
	j.ErrorCode, j.ErrorMsg, j.ExecuteMsg = "", "", ""
	j.LeaseOwner, j.LeaseUntil, j.EndTime = "", time.Time{}, time.Time{}
	if len(j.Payload) == 0 {
		j.Payload = nil
	}
	_, err := s.q.ExecContext(ctx, `INSERT INTO jobs (`+jobCols+`)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		j.ID, j.ProjectID, j.RequestID, j.Kind, j.ServerID, j.PhoneID, j.Payload, j.Status,
		j.ErrorCode, j.ErrorMsg, j.ExecuteMsg, j.Attempt, j.LeaseOwner, micro(j.LeaseUntil),
		micro(j.RunAfter), micro(j.BeginTime), micro(j.EndTime))
	if err != nil {
		return fmt.Errorf("insert job %s: %w", j.ID, mapErr(err))
	}
	return nil
}

// JobGet returns a job of the project; another project's job is ErrNotFound.
func (s *Store) JobGet(ctx context.Context, projectID, id string) (*store.Job, error) {
	j, err := scanJob(s.q.QueryRowContext(ctx,
		`SELECT `+jobCols+` FROM jobs WHERE id = ? AND project_id = ?`, id, projectID))
	if err != nil {
		return nil, fmt.Errorf("get job %s: %w", id, mapErr(err))
	}
	return j, nil
}

// JobList returns one page of a project's jobs belonging to any of RequestIDs (all of the
// project's jobs when RequestIDs is empty), newest first by BeginTime, and the total.
func (s *Store) JobList(ctx context.Context, p *store.JobListParams) ([]store.Job, int, error) {
	var w where
	w.add("project_id = ?", p.ProjectID)
	if len(p.RequestIDs) > 0 {
		ids, err := json.Marshal(p.RequestIDs)
		if err != nil {
			return nil, 0, fmt.Errorf("list jobs: %w", err)
		}
		w.add("request_id IN (SELECT value FROM json_each(?))", string(ids))
	}
	var total int
	if err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM jobs`+w.sql(), w.args...).
		Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count jobs: %w", mapErr(err))
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+jobCols+` FROM jobs`+w.sql()+
		` ORDER BY begin_time DESC, id DESC LIMIT ? OFFSET ?`, w.pageArgs(p.Page)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list jobs: %w", mapErr(err))
	}
	out, err := collectJobs(rows)
	if err != nil {
		return nil, 0, fmt.Errorf("list jobs: %w", err)
	}
	return out, total, nil
}

// claimSimple takes the first Limit runnable jobs: running, due, and not leased or with an
// expired lease (its worker died). It is one UPDATE, so under SQLite's single writer two
// claimers can never take the same job.
const claimSimple = `UPDATE jobs SET lease_owner = ?, lease_until = ?, attempt = attempt + 1
	WHERE id IN (
		SELECT id FROM jobs
		WHERE status = 1 AND run_after <= ? AND (lease_owner = '' OR lease_until < ?)
		ORDER BY run_after, begin_time, id LIMIT ?)
	RETURNING ` + jobCols

// claimPerServer is claimSimple with the per-server bound: a runnable job qualifies while the
// runnable jobs ahead of it on its server plus the server's live leases stay below the bound, so
// no claim, concurrent or not, can push a server past PerServer live leases. It walks the queue in
// order and stops at its LIMIT; the count ahead is capped at the bound, so each job walked costs at
// most PerServer index steps (jobs_server_runnable) instead of a sort of the whole backlog. Jobs
// without a server are not bounded.
const claimPerServer = `UPDATE jobs SET lease_owner = ?, lease_until = ?, attempt = attempt + 1
	WHERE id IN (
		WITH live AS (
			SELECT server_id, count(*) AS n FROM jobs
			WHERE status = 1 AND server_id <> '' AND lease_owner <> '' AND lease_until >= ?
			GROUP BY server_id)
		SELECT j.id FROM jobs j LEFT JOIN live l ON l.server_id = j.server_id
		WHERE j.status = 1 AND j.run_after <= ? AND (j.lease_owner = '' OR j.lease_until < ?)
			AND (j.server_id = '' OR coalesce(l.n, 0) + (
				SELECT count(*) FROM (SELECT 1 FROM jobs k
					WHERE k.server_id = j.server_id AND k.status = 1 AND k.run_after <= ?
						AND (k.lease_owner = '' OR k.lease_until < ?)
						AND (k.run_after, k.begin_time, k.id) < (j.run_after, j.begin_time, j.id)
					LIMIT ?)) < ?)
		ORDER BY j.run_after, j.begin_time, j.id LIMIT ?)
	RETURNING ` + jobCols

// JobClaim leases up to Limit runnable jobs to Owner until Now+Lease and counts an attempt on
// each. The jobs come back in claim order (RunAfter, BeginTime, ID). A zero Now is the clock.
func (s *Store) JobClaim(ctx context.Context, p *store.JobClaimParams) ([]store.Job, error) {
	if p.Limit <= 0 {
		return nil, nil
	}
	if p.Owner == "" || p.Lease <= 0 {
		return nil, fmt.Errorf("claim jobs: owner and a positive lease are required")
	}
	at := p.Now
	if at.IsZero() {
		at = now()
	}
	at = normTime(at)
	nowUS, until := at.UnixMicro(), at.Add(p.Lease).UnixMicro()
	query, args := claimSimple, []any{p.Owner, until, nowUS, nowUS, p.Limit}
	if p.PerServer > 0 {
		query = claimPerServer
		args = []any{p.Owner, until, nowUS, nowUS, nowUS, nowUS, nowUS, p.PerServer, p.PerServer, p.Limit}
	}
	// The claim is one UPDATE … RETURNING; running it in a transaction makes it queue for the
	// writer lock like every other write.
	var out []store.Job
	err := s.InTx(ctx, func(tx store.Store) error {
		rows, err := tx.(*Store).q.QueryContext(ctx, query, args...)
		if err != nil {
			return fmt.Errorf("claim jobs: %w", mapErr(err))
		}
		if out, err = collectJobs(rows); err != nil {
			return fmt.Errorf("claim jobs: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// RETURNING gives rows in no promised order.
	sort.Slice(out, func(a, b int) bool {
		x, y := out[a], out[b]
		if !x.RunAfter.Equal(y.RunAfter) {
			return x.RunAfter.Before(y.RunAfter)
		}
		if !x.BeginTime.Equal(y.BeginTime) {
			return x.BeginTime.Before(y.BeginTime)
		}
		return x.ID < y.ID
	})
	return out, nil
}

// JobFinish ends a running job held by Owner with Status (JobSuccess or JobFailed), its error
// fields and execute_msg, and clears the lease. A finish from a worker that no longer holds the
// lease (it expired and someone else claimed it, or the job is already finished) is ErrConflict,
// so a job's outcome is written exactly once. An expired lease nobody took over still counts as
// held: the work is done, and recording it beats redoing it.
func (s *Store) JobFinish(ctx context.Context, p *store.JobFinishParams) error {
	if p.Status != store.JobSuccess && p.Status != store.JobFailed {
		return fmt.Errorf("finish job %s: status %d is not final", p.ID, p.Status)
	}
	end := p.Now
	if end.IsZero() {
		end = now()
	}
	res, err := s.q.ExecContext(ctx, `UPDATE jobs SET status = ?, error_code = ?, error_msg = ?,
			execute_msg = ?, end_time = ?, lease_owner = '', lease_until = NULL
		WHERE id = ? AND lease_owner = ? AND status = 1`,
		p.Status, p.ErrorCode, p.ErrorMsg, p.ExecuteMsg, micro(normTime(end)), p.ID, p.Owner)
	return leaseResult("finish", p.ID, p.Owner, res, err)
}

// JobRetry gives a job Owner holds back to the queue, runnable again from RunAfter. The attempt
// counter keeps its value, so the worker can see how often the job was tried.
func (s *Store) JobRetry(ctx context.Context, p *store.JobRetryParams) error {
	res, err := s.q.ExecContext(ctx, `UPDATE jobs SET lease_owner = '', lease_until = NULL,
			run_after = ?
		WHERE id = ? AND lease_owner = ? AND status = 1`,
		micro(normTime(p.RunAfter)), p.ID, p.Owner)
	return leaseResult("retry", p.ID, p.Owner, res, err)
}

// JobExtendLease moves the lease of a job owner holds to until, for long operations; a lost
// lease is ErrConflict and tells the worker to stop.
func (s *Store) JobExtendLease(ctx context.Context, id, owner string, until time.Time) error {
	res, err := s.q.ExecContext(ctx, `UPDATE jobs SET lease_until = ?
		WHERE id = ? AND lease_owner = ? AND status = 1`, micro(normTime(until)), id, owner)
	return leaseResult("extend lease of", id, owner, res, err)
}

// JobDeleteFinishedBefore deletes finished jobs that ended before the cutoff and says how many;
// running jobs are never deleted, however old.
func (s *Store) JobDeleteFinishedBefore(ctx context.Context, before time.Time) (int, error) {
	res, err := s.q.ExecContext(ctx,
		`DELETE FROM jobs WHERE status <> 1 AND end_time < ?`, before.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("delete finished jobs: %w", mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("delete finished jobs: %w", err)
	}
	return int(n), nil
}

// JobRunningForPhone reports whether the project's phone has a running job; the partial index
// jobs_phone_running answers it without touching finished jobs.
func (s *Store) JobRunningForPhone(ctx context.Context, projectID, phoneID string) (bool, error) {
	var n int
	err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM jobs
		WHERE project_id = ? AND phone_id = ? AND status = 1`, projectID, phoneID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("running jobs of phone %s: %w", phoneID, mapErr(err))
	}
	return n > 0, nil
}

// leaseResult turns an owner-guarded UPDATE's outcome into the lease errors.
func leaseResult(verb, id, owner string, res interface{ RowsAffected() (int64, error) }, err error) error {
	if err != nil {
		return fmt.Errorf("%s job %s: %w", verb, id, mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s job %s: %w", verb, id, err)
	}
	if n == 0 {
		return fmt.Errorf("%s job %s: not running under a lease of %q: %w",
			verb, id, owner, store.ErrConflict)
	}
	return nil
}

// collectJobs reads and closes rows of jobCols.
func collectJobs(rows interface {
	Next() bool
	Scan(...any) error
	Err() error
	Close() error
}) ([]store.Job, error) {
	defer rows.Close()
	var out []store.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, mapErr(err)
		}
		out = append(out, *j)
	}
	if err := rows.Err(); err != nil {
		return nil, mapErr(err)
	}
	// Close reports errors of the statement's final step, which for UPDATE … RETURNING is
	// where a commit failure would surface.
	if err := rows.Close(); err != nil {
		return nil, mapErr(err)
	}
	return out, nil
}

func scanJob(r rowScanner) (*store.Job, error) {
	var j store.Job
	if err := r.Scan(&j.ID, &j.ProjectID, &j.RequestID, &j.Kind, &j.ServerID, &j.PhoneID,
		&j.Payload, &j.Status, &j.ErrorCode, &j.ErrorMsg, &j.ExecuteMsg, &j.Attempt, &j.LeaseOwner,
		timeCol{&j.LeaseUntil}, timeCol{&j.RunAfter}, timeCol{&j.BeginTime},
		timeCol{&j.EndTime}); err != nil {
		return nil, err
	}
	if len(j.Payload) == 0 {
		j.Payload = nil
	}
	return &j, nil
}
