package sqlite

import (
	"context"
	"fmt"

	"github.com/opencph/opencph/internal/store"
)

const phoneCols = `id, project_id, server_id, name, phone_model_name, image_id, status, type, imei,
	traffic_type, volume_mode, volume_type, volume_size, property, phone_ip, idx, created_at,
	updated_at`

// PhoneInsert stores a new phone. Zero CreatedAt/UpdatedAt become now; p is updated to what was
// stored so that it equals a later PhoneGet. A duplicate ID is ErrConflict.
func (s *Store) PhoneInsert(ctx context.Context, p *store.Phone) error {
	p.CreatedAt, p.UpdatedAt = createdUpdated(p.CreatedAt, p.UpdatedAt)
	_, err := s.q.ExecContext(ctx, `INSERT INTO phones (`+phoneCols+`)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		p.ID, p.ProjectID, p.ServerID, p.Name, p.PhoneModelName, p.ImageID, p.Status, p.Type,
		p.IMEI, p.TrafficType, p.VolumeMode, p.VolumeType, p.VolumeSize, p.Property, p.PhoneIP,
		p.Index, micro(p.CreatedAt), micro(p.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert phone %s: %w", p.ID, mapErr(err))
	}
	return nil
}

// PhoneGet returns a phone of the project; another project's phone is ErrNotFound.
func (s *Store) PhoneGet(ctx context.Context, projectID, id string) (*store.Phone, error) {
	p, err := scanPhone(s.q.QueryRowContext(ctx,
		`SELECT `+phoneCols+` FROM phones WHERE id = ? AND project_id = ?`, id, projectID))
	if err != nil {
		return nil, fmt.Errorf("get phone %s: %w", id, mapErr(err))
	}
	return p, nil
}

// PhoneList returns one page of a project's phones, newest first, and the total before paging.
// The indexes (project_id[, server_id | status], created_at, id) let SQLite walk the page in
// order and count from the index alone, which keeps it fast at 100k phones.
func (s *Store) PhoneList(ctx context.Context, p *store.PhoneListParams) ([]store.Phone, int, error) {
	var w where
	w.add("project_id = ?", p.ProjectID)
	w.contains("name", p.NameContains)
	if p.ServerID != "" {
		w.add("server_id = ?", p.ServerID)
	}
	if p.Status != nil {
		w.add("status = ?", *p.Status)
	}
	if p.Type != nil {
		w.add("type = ?", *p.Type)
	}
	var total int
	if err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM phones`+w.sql(), w.args...).
		Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count phones: %w", mapErr(err))
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+phoneCols+` FROM phones`+w.sql()+newestFirst,
		w.pageArgs(p.Page)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list phones: %w", mapErr(err))
	}
	defer rows.Close()
	var out []store.Phone
	for rows.Next() {
		ph, err := scanPhone(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list phones: %w", mapErr(err))
		}
		out = append(out, *ph)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list phones: %w", mapErr(err))
	}
	return out, total, nil
}

// PhoneUpdate changes the set fields of a project's phone and bumps UpdatedAt.
func (s *Store) PhoneUpdate(ctx context.Context, p *store.PhoneUpdateParams) error {
	var set setter
	if p.Name != nil {
		set.add("name", *p.Name)
	}
	if p.Status != nil {
		set.add("status", *p.Status)
	}
	if p.ImageID != nil {
		set.add("image_id", *p.ImageID)
	}
	if p.Property != nil {
		set.add("property", *p.Property)
	}
	if p.TrafficType != nil {
		set.add("traffic_type", *p.TrafficType)
	}
	if p.VolumeSize != nil {
		set.add("volume_size", *p.VolumeSize)
	}
	if p.PhoneIP != nil {
		set.add("phone_ip", *p.PhoneIP)
	}
	if err := s.update(ctx, "phones", p.ProjectID, p.ID, set); err != nil {
		return fmt.Errorf("update phone %s: %w", p.ID, err)
	}
	return nil
}

func scanPhone(r rowScanner) (*store.Phone, error) {
	var p store.Phone
	if err := r.Scan(&p.ID, &p.ProjectID, &p.ServerID, &p.Name, &p.PhoneModelName, &p.ImageID,
		&p.Status, &p.Type, &p.IMEI, &p.TrafficType, &p.VolumeMode, &p.VolumeType, &p.VolumeSize,
		&p.Property, &p.PhoneIP, &p.Index, timeCol{&p.CreatedAt}, timeCol{&p.UpdatedAt}); err != nil {
		return nil, err
	}
	return &p, nil
}
