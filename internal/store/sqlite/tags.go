package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/opencph/opencph/internal/store"
)

// tagTables maps a tag resource type to the table of its resources. Queries name the table from
// here, never from input.
var tagTables = map[string]string{store.TagResourceServer: "servers"}

func tagTable(resourceType string) (string, error) {
	t, ok := tagTables[resourceType]
	if !ok {
		return "", fmt.Errorf("unknown tag resource type %q", resourceType)
	}
	return t, nil
}

// TagList returns a resource's tags, keys ascending. One query answers both "does the resource
// exist" and "what are its tags": the LEFT JOIN yields one NULL row for an untagged resource and
// none for a missing one.
func (s *Store) TagList(ctx context.Context, r *store.TagResource) ([]store.Tag, error) {
	table, err := tagTable(r.ResourceType)
	if err != nil {
		return nil, err
	}
	rows, err := s.q.QueryContext(ctx, `SELECT t.key, t.value FROM `+table+` r
		LEFT JOIN tags t ON t.project_id = r.project_id AND t.resource_type = ? AND t.resource_id = r.id
		WHERE r.id = ? AND r.project_id = ? ORDER BY t.key`, r.ResourceType, r.ResourceID, r.ProjectID)
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", r.ResourceID, mapErr(err))
	}
	defer rows.Close()
	found := false
	out := []store.Tag{}
	for rows.Next() {
		found = true
		var k, v *string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, fmt.Errorf("list tags of %s: %w", r.ResourceID, err)
		}
		if k != nil {
			out = append(out, store.Tag{Key: *k, Value: *v})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", r.ResourceID, mapErr(err))
	}
	if !found {
		return nil, fmt.Errorf("list tags of %s: %w", r.ResourceID, store.ErrNotFound)
	}
	return out, nil
}

// TagUpsert writes the tags and checks the limit in one transaction, so that two concurrent
// calls cannot each stay under it and together exceed it.
func (s *Store) TagUpsert(ctx context.Context, p *store.TagUpsertParams) error {
	err := s.InTx(ctx, func(tx store.Store) error {
		q := tx.(*Store).q
		if err := resourceExists(ctx, q, &p.TagResource); err != nil {
			return err
		}
		for _, t := range p.Tags {
			if _, err := q.ExecContext(ctx, `INSERT INTO tags (project_id, resource_type, resource_id, key, value)
				VALUES (?,?,?,?,?) ON CONFLICT (project_id, resource_type, resource_id, key)
				DO UPDATE SET value = excluded.value`,
				p.ProjectID, p.ResourceType, p.ResourceID, t.Key, t.Value); err != nil {
				return mapErr(err)
			}
		}
		var n int
		if err := q.QueryRowContext(ctx, `SELECT count(*) FROM tags
			WHERE project_id = ? AND resource_type = ? AND resource_id = ?`,
			p.ProjectID, p.ResourceType, p.ResourceID).Scan(&n); err != nil {
			return mapErr(err)
		}
		if n > p.Max {
			return fmt.Errorf("%w: %d tags, at most %d", store.ErrTagLimit, n, p.Max)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("tag %s: %w", p.ResourceID, err)
	}
	return nil
}

// TagDelete removes the pairs the resource holds.
func (s *Store) TagDelete(ctx context.Context, p *store.TagDeleteParams) error {
	err := s.InTx(ctx, func(tx store.Store) error {
		q := tx.(*Store).q
		if err := resourceExists(ctx, q, &p.TagResource); err != nil {
			return err
		}
		for _, t := range p.Tags {
			if _, err := q.ExecContext(ctx, `DELETE FROM tags WHERE project_id = ? AND resource_type = ?
				AND resource_id = ? AND key = ? AND value = ?`,
				p.ProjectID, p.ResourceType, p.ResourceID, t.Key, t.Value); err != nil {
				return mapErr(err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("untag %s: %w", p.ResourceID, err)
	}
	return nil
}

func resourceExists(ctx context.Context, q querier, r *store.TagResource) error {
	table, err := tagTable(r.ResourceType)
	if err != nil {
		return err
	}
	var one int
	return mapErr(q.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = ? AND project_id = ?`,
		r.ResourceID, r.ProjectID).Scan(&one))
}

// TagKeyList pages the keys, then reads the values of the page's keys only.
func (s *Store) TagKeyList(ctx context.Context, p *store.TagKeyListParams) ([]store.TagKey, int, error) {
	if _, err := tagTable(p.ResourceType); err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.q.QueryRowContext(ctx, `SELECT count(DISTINCT key) FROM tags
		WHERE project_id = ? AND resource_type = ?`, p.ProjectID, p.ResourceType).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count tag keys: %w", mapErr(err))
	}
	var w where
	w.add("project_id = ? AND resource_type = ?", p.ProjectID, p.ResourceType)
	args := append([]any{p.ProjectID, p.ResourceType}, w.pageArgs(p.Page)...)
	rows, err := s.q.QueryContext(ctx, `SELECT key, value FROM tags
		WHERE project_id = ? AND resource_type = ? AND key IN (
			SELECT DISTINCT key FROM tags`+w.sql()+` ORDER BY key LIMIT ? OFFSET ?)
		GROUP BY key, value ORDER BY key, value`, args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list tag keys: %w", mapErr(err))
	}
	defer rows.Close()
	out := []store.TagKey{}
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, 0, fmt.Errorf("list tag keys: %w", err)
		}
		if n := len(out); n == 0 || out[n-1].Key != k {
			out = append(out, store.TagKey{Key: k})
		}
		last := &out[len(out)-1]
		last.Values = append(last.Values, v)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list tag keys: %w", mapErr(err))
	}
	return out, total, nil
}

// TagResourceList runs the filter in SQL and then reads the tags of the page's resources in one
// more query.
func (s *Store) TagResourceList(ctx context.Context, p *store.TagResourceListParams) ([]store.TaggedResource, int, error) {
	table, w, err := tagFilter(p)
	if err != nil {
		return nil, 0, err
	}
	var total int
	if err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` s`+w.sql(), w.args...).
		Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count tagged resources: %w", mapErr(err))
	}
	rows, err := s.q.QueryContext(ctx, `SELECT s.id, s.name FROM `+table+` s`+w.sql()+
		` ORDER BY s.created_at DESC, s.id DESC LIMIT ? OFFSET ?`, w.pageArgs(p.Page)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list tagged resources: %w", mapErr(err))
	}
	defer rows.Close()
	out := []store.TaggedResource{}
	index := map[string]int{}
	for rows.Next() {
		var r store.TaggedResource
		if err := rows.Scan(&r.ID, &r.Name); err != nil {
			return nil, 0, fmt.Errorf("list tagged resources: %w", err)
		}
		r.Tags = []store.Tag{}
		index[r.ID] = len(out)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list tagged resources: %w", mapErr(err))
	}
	if len(out) == 0 {
		return out, total, nil
	}
	if err := s.fillTags(ctx, p, out, index); err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

func (s *Store) fillTags(ctx context.Context, p *store.TagResourceListParams, out []store.TaggedResource, index map[string]int) error {
	ids := make([]string, len(out))
	for i := range out {
		ids[i] = out[i].ID
	}
	idsJSON, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("encode ids: %w", err)
	}
	rows, err := s.q.QueryContext(ctx, `SELECT resource_id, key, value FROM tags
		WHERE project_id = ? AND resource_type = ? AND resource_id IN (SELECT value FROM json_each(?))
		ORDER BY resource_id, key`, p.ProjectID, p.ResourceType, string(idsJSON))
	if err != nil {
		return fmt.Errorf("tags of tagged resources: %w", mapErr(err))
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var t store.Tag
		if err := rows.Scan(&id, &t.Key, &t.Value); err != nil {
			return fmt.Errorf("tags of tagged resources: %w", err)
		}
		r := &out[index[id]]
		r.Tags = append(r.Tags, t)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("tags of tagged resources: %w", mapErr(err))
	}
	return nil
}

// TagResourceCount counts what TagResourceList would list.
func (s *Store) TagResourceCount(ctx context.Context, p *store.TagResourceListParams) (int, error) {
	table, w, err := tagFilter(p)
	if err != nil {
		return 0, err
	}
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM `+table+` s`+w.sql(), w.args...).
		Scan(&n); err != nil {
		return 0, fmt.Errorf("count tagged resources: %w", mapErr(err))
	}
	return n, nil
}

// tagFilter builds the filter's conditions on the resource table aliased s. Each key is one
// EXISTS probe of the tags primary key (resource, key), so keys AND together and the values of
// one key OR together inside it; the values travel as one JSON array, which keeps the query text
// (and its cached statement) the same whatever their number.
func tagFilter(p *store.TagResourceListParams) (string, where, error) {
	table, err := tagTable(p.ResourceType)
	if err != nil {
		return "", where{}, err
	}
	const onResource = `SELECT 1 FROM tags t WHERE t.project_id = s.project_id
		AND t.resource_type = ? AND t.resource_id = s.id`
	var w where
	w.add("s.project_id = ?", p.ProjectID)
	if p.WithoutAnyTag {
		w.add("NOT EXISTS ("+onResource+")", p.ResourceType)
	}
	for _, q := range p.Tags {
		if len(q.Values) == 0 {
			w.add("EXISTS ("+onResource+" AND t.key = ?)", p.ResourceType, q.Key)
			continue
		}
		values, err := json.Marshal(q.Values)
		if err != nil {
			return "", where{}, fmt.Errorf("encode tag values: %w", err)
		}
		w.add("EXISTS ("+onResource+" AND t.key = ? AND t.value IN (SELECT value FROM json_each(?)))",
			p.ResourceType, q.Key, string(values))
	}
	if p.Name != nil {
		w.add("s.name = ?", *p.Name)
	}
	if len(p.EnterpriseProjectIDs) > 0 {
		eps, err := json.Marshal(p.EnterpriseProjectIDs)
		if err != nil {
			return "", where{}, fmt.Errorf("encode enterprise projects: %w", err)
		}
		w.add("s.enterprise_project_id IN (SELECT value FROM json_each(?))", string(eps))
	}
	return table, w, nil
}
