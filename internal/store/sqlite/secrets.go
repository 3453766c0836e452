package sqlite

import (
	"context"
	"fmt"
)

// SecretGetOrCreate stores value under name unless a secret is there already, then returns the
// stored one, so the first writer wins on every replica.
func (s *Store) SecretGetOrCreate(ctx context.Context, name string, value []byte) ([]byte, error) {
	if _, err := s.q.ExecContext(ctx,
		`INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
		return nil, fmt.Errorf("store secret %s: %w", name, mapErr(err))
	}
	var got []byte
	if err := s.q.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = ?`, name).Scan(&got); err != nil {
		return nil, fmt.Errorf("read secret %s: %w", name, mapErr(err))
	}
	return got, nil
}
