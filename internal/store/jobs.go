package store

import (
	"context"
	"time"
)

// Job statuses of section 5.4.
const (
	JobRunning = 1
	JobSuccess = 2
	JobFailed  = -1
)

// Job is one durable unit of asynchronous work, visible to clients through the jobs API. It is
// running (status 1) from insertion until a worker finishes it; the lease fields say which worker
// holds it and until when, so a job whose worker died is taken up again.
type Job struct {
	ID         string
	ProjectID  string
	RequestID  string
	Kind       string
	ServerID   string
	PhoneID    string
	Payload    []byte
	Status     int
	ErrorCode  string
	ErrorMsg   string
	ExecuteMsg string
	Attempt    int
	LeaseOwner string
	LeaseUntil time.Time
	RunAfter   time.Time
	BeginTime  time.Time
	EndTime    time.Time // zero while running
}

// JobListParams lists the jobs of some requests in one project.
type JobListParams struct {
	ProjectID  string
	RequestIDs []string
	Page       Page
}

// JobClaimParams takes up to Limit runnable jobs for a worker: jobs not yet leased, or whose
// lease has expired, whose RunAfter has passed, and whose server has fewer than PerServer jobs
// leased (0 means no bound).
type JobClaimParams struct {
	Owner     string
	Limit     int
	Lease     time.Duration
	PerServer int
	Now       time.Time
}

// JobFinishParams ends a job, if Owner still holds its lease.
type JobFinishParams struct {
	ID         string
	Owner      string
	Status     int
	ErrorCode  string
	ErrorMsg   string
	ExecuteMsg string
	Now        time.Time
}

// JobRetryParams gives a job back to the queue to run again after RunAfter.
type JobRetryParams struct {
	ID       string
	Owner    string
	RunAfter time.Time
}

// Jobs is the durable job queue.
type Jobs interface {
	JobInsert(ctx context.Context, j *Job) error
	JobGet(ctx context.Context, projectID, id string) (*Job, error)
	JobList(ctx context.Context, p *JobListParams) ([]Job, int, error)
	JobClaim(ctx context.Context, p *JobClaimParams) ([]Job, error)
	// JobFinish returns ErrConflict when the lease was lost to another worker.
	JobFinish(ctx context.Context, p *JobFinishParams) error
	JobRetry(ctx context.Context, p *JobRetryParams) error
	JobExtendLease(ctx context.Context, id, owner string, until time.Time) error
	JobDeleteFinishedBefore(ctx context.Context, before time.Time) (int, error)
	// JobRunningForPhone reports whether a phone of the project has a job still running (status
	// 1), so that operations on one phone exclude each other (CPS.0349).
	JobRunningForPhone(ctx context.Context, projectID, phoneID string) (bool, error)
}
