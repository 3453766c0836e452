// Package sqlite is the embedded Store: one SQLite file in WAL mode, written by one connection at a
// time (SQLite's own rule), read by many.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
	"sync"

	"github.com/opencph/opencph/internal/store"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// querier is what both *sql.DB and *sql.Tx offer, so one method body serves inside and outside a
// transaction.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Store implements store.Store on SQLite.
//
// SQLite has one write lock per database. The process's writers take wmu before they ask for it,
// so they queue in Go, in order; left to SQLite's busy handler, a writer sleeps and retries and
// can lose the lock again and again under a busy job engine until busy_timeout fails a valid
// request. Readers never take wmu (WAL lets them run beside the writer).
type Store struct {
	db    *sql.DB
	wmu   *sync.Mutex
	tx    *sql.Tx // set on the Store that InTx hands to its function
	stmts *stmtCache
	q     querier
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database file at path and brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	// IMMEDIATE transactions take the write lock at BEGIN, so two writers queue on busy_timeout
	// instead of failing when a reader upgrades; foreign keys are off by default in SQLite.
	dsn := "file:" + path + "?_txlock=immediate&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=synchronous(NORMAL)&_pragma=foreign_keys(ON)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	// Keep connections open between requests: every new one re-runs the PRAGMAs above and
	// loses its prepared statements.
	db.SetMaxIdleConns(16)
	stmts := newStmtCache(db)
	wmu := &sync.Mutex{}
	s := &Store{db: db, wmu: wmu, stmts: stmts, q: cachedQuerier{cache: stmts, wmu: wmu}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	s.stmts.close()
	return s.db.Close()
}

// InTx runs fn in one IMMEDIATE transaction; nested calls reuse the outer transaction.
func (s *Store) InTx(ctx context.Context, fn func(tx store.Store) error) error {
	if s.tx != nil {
		return fn(s)
	}
	s.wmu.Lock()
	defer s.wmu.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	in := *s
	in.tx = tx
	in.q = cachedQuerier{cache: s.stmts, tx: tx}
	if err := fn(&in); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx,
		`CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		err := s.InTx(ctx, func(tx store.Store) error {
			// Migrations hold several statements, which only the unprepared path runs.
			q := tx.(*Store).tx
			var done int
			if err := q.QueryRowContext(ctx,
				`SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&done); err != nil {
				return err
			}
			if done > 0 {
				return nil
			}
			body, err := migrations.ReadFile(name)
			if err != nil {
				return err
			}
			if _, err := q.ExecContext(ctx, string(body)); err != nil {
				return err
			}
			_, err = q.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES (?)`, name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

// mapErr turns driver errors into the store's sentinel errors.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return store.ErrNotFound
	case strings.Contains(err.Error(), "UNIQUE constraint failed"),
		strings.Contains(err.Error(), "PRIMARY KEY"):
		return fmt.Errorf("%w: %v", store.ErrConflict, err)
	}
	return err
}

// Ping reports whether the database answers; /readyz uses it.
func (s *Store) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }
