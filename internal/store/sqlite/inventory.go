package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/opencph/opencph/internal/store"
)

const hostCols = `id, driver, server_model_name, server_ip, public_ip, server_id, created_at`

// HostsUpsert registers the hosts a driver offers, in one transaction. A new host is inserted
// (with its ServerID if the driver reports it already holding one; zero CreatedAt becomes now);
// a known host only has its addresses refreshed, so re-registering at every start never frees or
// steals an allocation.
func (s *Store) HostsUpsert(ctx context.Context, p *store.HostsUpsertParams) error {
	err := s.InTx(ctx, func(tx store.Store) error {
		q := tx.(*Store).q
		for _, h := range p.Hosts {
			created := h.CreatedAt
			if created.IsZero() {
				created = now()
			}
			if _, err := q.ExecContext(ctx, `INSERT INTO hosts (`+hostCols+`)
				VALUES (?,?,?,?,?,?,?)
				ON CONFLICT (id) DO UPDATE SET server_ip = excluded.server_ip,
					public_ip = excluded.public_ip`,
				h.ID, h.Driver, h.ServerModelName, h.ServerIP, h.PublicIP, nullIfEmpty(h.ServerID),
				micro(created)); err != nil {
				return fmt.Errorf("host %s: %w", h.ID, mapErr(err))
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("upsert hosts: %w", err)
	}
	return nil
}

// HostAllocate gives the server the oldest free host of the model (created_at, then id, so the
// choice is deterministic). Choosing and taking happen in one UPDATE, so two concurrent
// purchases can never take the same host. No free host is ErrNotFound; a server that already
// holds a host is ErrConflict.
func (s *Store) HostAllocate(ctx context.Context, p *store.HostAllocateParams) (*store.Host, error) {
	if p.ServerID == "" {
		return nil, fmt.Errorf("allocate host: empty server id")
	}
	h, err := scanHost(s.q.QueryRowContext(ctx, `UPDATE hosts SET server_id = ?
		WHERE id = (SELECT id FROM hosts WHERE server_model_name = ? AND server_id IS NULL
			ORDER BY created_at, id LIMIT 1)
		RETURNING `+hostCols, p.ServerID, p.ServerModelName))
	if err != nil {
		return nil, fmt.Errorf("allocate host of %s for %s: %w", p.ServerModelName, p.ServerID, mapErr(err))
	}
	return h, nil
}

// HostGetByServer returns the host a server holds, ErrNotFound if none.
func (s *Store) HostGetByServer(ctx context.Context, serverID string) (*store.Host, error) {
	if serverID == "" {
		return nil, fmt.Errorf("get host: %w", store.ErrNotFound)
	}
	h, err := scanHost(s.q.QueryRowContext(ctx,
		`SELECT `+hostCols+` FROM hosts WHERE server_id = ?`, serverID))
	if err != nil {
		return nil, fmt.Errorf("get host of %s: %w", serverID, mapErr(err))
	}
	return h, nil
}

// HostRelease frees the host a server holds together with the ports handed out on it: a host
// holds one server at a time, so every port on it belonged to that server's phones. Releasing a
// server that holds nothing succeeds, so a deletion job can repeat it safely.
func (s *Store) HostRelease(ctx context.Context, p *store.HostReleaseParams) error {
	err := s.InTx(ctx, func(tx store.Store) error {
		q := tx.(*Store).q
		if _, err := q.ExecContext(ctx, `DELETE FROM port_allocations
			WHERE host_id IN (SELECT id FROM hosts WHERE server_id = ?)`, p.ServerID); err != nil {
			return mapErr(err)
		}
		_, err := q.ExecContext(ctx, `UPDATE hosts SET server_id = NULL WHERE server_id = ?`,
			p.ServerID)
		return mapErr(err)
	})
	if err != nil {
		return fmt.Errorf("release host of %s: %w", p.ServerID, err)
	}
	return nil
}

// PortAllocate hands out the lowest free port in [Min, Max] on the host. The candidate is Min if
// free, else the smallest allocated port in range whose successor is free, plus one; finding and
// inserting it is one statement under SQLite's write lock, and the (host_id, port) primary key
// backs that up, so a port is never handed out twice. An exhausted (or empty) range is
// ErrConflict.
func (s *Store) PortAllocate(ctx context.Context, p *store.PortAllocateParams) (*store.PortAllocation, error) {
	if p.Min > p.Max {
		return nil, fmt.Errorf("allocate port on %s: empty range [%d, %d]: %w",
			p.HostID, p.Min, p.Max, store.ErrConflict)
	}
	var port int
	err := s.q.QueryRowContext(ctx, `INSERT INTO port_allocations (host_id, port, phone_id, name)
		SELECT ?, port, ?, ? FROM (
			SELECT ? AS port WHERE NOT EXISTS (
				SELECT 1 FROM port_allocations WHERE host_id = ? AND port = ?)
			UNION ALL
			SELECT a.port + 1 FROM port_allocations a
			WHERE a.host_id = ? AND a.port >= ? AND a.port < ? AND NOT EXISTS (
				SELECT 1 FROM port_allocations b WHERE b.host_id = a.host_id AND b.port = a.port + 1)
			ORDER BY 1 LIMIT 1)
		RETURNING port`,
		p.HostID, p.PhoneID, p.Name,
		p.Min, p.HostID, p.Min,
		p.HostID, p.Min, p.Max).Scan(&port)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("allocate port on %s in [%d, %d]: exhausted: %w",
			p.HostID, p.Min, p.Max, store.ErrConflict)
	}
	if err != nil {
		return nil, fmt.Errorf("allocate port on %s: %w", p.HostID, mapErr(err))
	}
	return &store.PortAllocation{HostID: p.HostID, Port: port, PhoneID: p.PhoneID, Name: p.Name}, nil
}

// PortListByPhones returns the ports of the given phones, ordered by phone then port. The IDs
// travel as one JSON array parameter, so any number of phones costs one statement and no
// variable-count limit applies.
func (s *Store) PortListByPhones(ctx context.Context, phoneIDs []string) ([]store.PortAllocation, error) {
	if len(phoneIDs) == 0 {
		return nil, nil
	}
	ids, err := json.Marshal(phoneIDs)
	if err != nil {
		return nil, fmt.Errorf("list ports: %w", err)
	}
	rows, err := s.q.QueryContext(ctx, `SELECT host_id, port, phone_id, name FROM port_allocations
		WHERE phone_id IN (SELECT value FROM json_each(?)) ORDER BY phone_id, port`, string(ids))
	if err != nil {
		return nil, fmt.Errorf("list ports: %w", mapErr(err))
	}
	defer rows.Close()
	var out []store.PortAllocation
	for rows.Next() {
		var a store.PortAllocation
		if err := rows.Scan(&a.HostID, &a.Port, &a.PhoneID, &a.Name); err != nil {
			return nil, fmt.Errorf("list ports: %w", mapErr(err))
		}
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list ports: %w", mapErr(err))
	}
	return out, nil
}

func scanHost(r rowScanner) (*store.Host, error) {
	var h store.Host
	var serverID sql.NullString
	if err := r.Scan(&h.ID, &h.Driver, &h.ServerModelName, &h.ServerIP, &h.PublicIP, &serverID,
		timeCol{&h.CreatedAt}); err != nil {
		return nil, err
	}
	h.ServerID = serverID.String
	return &h, nil
}

// nullIfEmpty stores "" as NULL, for columns where NULL means "none" (hosts.server_id, whose
// unique index must ignore free hosts).
func nullIfEmpty(v string) any {
	if v == "" {
		return nil
	}
	return v
}
