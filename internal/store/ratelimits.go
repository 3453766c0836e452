package store

import (
	"context"
	"time"
)

// RateLimitTakeParams asks to admit one call of Key at Now under a quota of Limit calls per
// sliding Window.
type RateLimitTakeParams struct {
	Key    string
	Limit  int
	Window time.Duration
	Now    time.Time
}

// RateLimits counts calls in sliding windows that every replica shares, for quotas that hold per
// user rather than per process, such as the six sync-commands calls per user per minute of 5.7.5.
type RateLimits interface {
	// RateLimitTake admits the call and records it when fewer than p.Limit calls of p.Key were
	// admitted in (p.Now-p.Window, p.Now]; a refused call is not recorded, so a client that keeps
	// retrying is admitted again as soon as its oldest call leaves the window. Concurrent callers,
	// on any replica, never get more than p.Limit calls admitted in one window.
	RateLimitTake(ctx context.Context, p *RateLimitTakeParams) (bool, error)
}
