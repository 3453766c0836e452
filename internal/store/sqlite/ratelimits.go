package sqlite

import (
	"context"
	"fmt"

	"github.com/opencph/opencph/internal/store"
)

// RateLimitTake implements store.RateLimits. The count and the insert are one statement, which
// SQLite runs under the database's write lock, so two callers cannot both take the last slot.
// Expired rows of every key go first, which keeps the table as small as the live windows.
func (s *Store) RateLimitTake(ctx context.Context, p *store.RateLimitTakeParams) (bool, error) {
	now := p.Now.UnixMicro()
	if _, err := s.q.ExecContext(ctx, `DELETE FROM rate_calls WHERE expires <= ?`, now); err != nil {
		return false, fmt.Errorf("expire rate calls: %w", mapErr(err))
	}
	res, err := s.q.ExecContext(ctx, `INSERT INTO rate_calls (key, at, expires)
		SELECT ?, ?, ? WHERE (SELECT count(*) FROM rate_calls WHERE key = ? AND at > ?) < ?`,
		p.Key, now, now+p.Window.Microseconds(), p.Key, now-p.Window.Microseconds(), p.Limit)
	if err != nil {
		return false, fmt.Errorf("take rate slot %s: %w", p.Key, mapErr(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("take rate slot %s: %w", p.Key, err)
	}
	return n == 1, nil
}
