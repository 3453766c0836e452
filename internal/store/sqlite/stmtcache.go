package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"sync"
)

// maxCachedStmts bounds the cache: queries are built from a fixed set of filters, so the set of
// distinct texts is small, but a bound keeps a mistake from becoming a leak.
const maxCachedStmts = 512

// stmtCache keeps one prepared statement per query text. modernc's driver parses a statement's
// SQL on every call that is not prepared, which was a third of the time of a simple GET.
type stmtCache struct {
	db *sql.DB
	mu sync.RWMutex
	m  map[string]*sql.Stmt
}

func newStmtCache(db *sql.DB) *stmtCache { return &stmtCache{db: db, m: map[string]*sql.Stmt{}} }

// get returns the statement for query, preparing it once; nil when the cache is full, and the
// caller then runs the query unprepared.
func (c *stmtCache) get(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.RLock()
	st, ok := c.m[query]
	c.mu.RUnlock()
	if ok {
		return st, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if st, ok := c.m[query]; ok {
		return st, nil
	}
	if len(c.m) >= maxCachedStmts {
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.m[query] = st
	return st, nil
}

func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// cachedQuerier runs queries through the statement cache, on the database or, when tx is set,
// inside that transaction.
type cachedQuerier struct {
	cache *stmtCache
	tx    *sql.Tx
	wmu   *sync.Mutex // the Store's writer lock, taken by writes outside a transaction
}

// isWrite reports whether a statement changes the database, by its first keyword.
func isWrite(query string) bool {
	switch strings.ToUpper(strings.Fields(query + " x")[0]) {
	case "INSERT", "UPDATE", "DELETE", "REPLACE":
		return true
	}
	return false
}

func (q cachedQuerier) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	st, err := q.cache.get(ctx, query)
	if err != nil || st == nil {
		return nil, err
	}
	if q.tx != nil {
		// Bound to the transaction's connection; closed with the transaction.
		return q.tx.StmtContext(ctx, st), nil
	}
	return st, nil
}

func (q cachedQuerier) raw() querier {
	if q.tx != nil {
		return q.tx
	}
	return q.cache.db
}

func (q cachedQuerier) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if q.tx == nil && q.wmu != nil && isWrite(query) {
		q.wmu.Lock()
		defer q.wmu.Unlock()
	}
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return q.raw().ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (q cachedQuerier) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := q.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return q.raw().QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext reports a preparation error through the Row, as database/sql does.
func (q cachedQuerier) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := q.stmt(ctx, query)
	if err != nil || st == nil {
		return q.raw().QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}
