package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/opencph/opencph/internal/store"
)

// The IAM methods follow the store's conventions: a zero CreatedAt becomes now, and the struct is
// updated to what was stored (UTC, microsecond precision) so it equals a later Get.

// iamStamp normalises t to what an INTEGER microsecond column gives back, using now for zero.
func iamStamp(t time.Time) time.Time {
	if t.IsZero() {
		t = time.Now()
	}
	return t.UTC().Truncate(time.Microsecond)
}

func iamTime(us int64) time.Time { return time.UnixMicro(us).UTC() }

// iamScanner is a *sql.Row or *sql.Rows.
type iamScanner interface{ Scan(dest ...any) error }

// iamWhere builds a WHERE clause from ANDed conditions.
type iamWhere struct {
	conds []string
	args  []any
}

func (w *iamWhere) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *iamWhere) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// iamAffected turns an UPDATE or DELETE that touched no row into ErrNotFound.
func iamAffected(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// iamErr maps driver errors like mapErr and also turns a foreign key failure into ErrNotFound:
// the row referred to (user, project, domain) does not exist.
func iamErr(err error) error {
	if err != nil && strings.Contains(err.Error(), "FOREIGN KEY constraint failed") {
		return fmt.Errorf("%w: %v", store.ErrNotFound, err)
	}
	return mapErr(err)
}

// DomainInsert stores a new domain; a taken ID or name is ErrConflict.
func (s *Store) DomainInsert(ctx context.Context, d *store.Domain) error {
	d.CreatedAt = iamStamp(d.CreatedAt)
	_, err := s.q.ExecContext(ctx, `INSERT INTO iam_domains (id, name, created_at) VALUES (?,?,?)`,
		d.ID, d.Name, d.CreatedAt.UnixMicro())
	if err != nil {
		return fmt.Errorf("insert domain %s: %w", d.Name, iamErr(err))
	}
	return nil
}

// DomainGet finds a domain by ID, or by name when ID is empty.
func (s *Store) DomainGet(ctx context.Context, p *store.DomainGetParams) (*store.Domain, error) {
	col, key := "id", p.ID
	if key == "" {
		col, key = "name", p.Name
	}
	var d store.Domain
	var created int64
	err := s.q.QueryRowContext(ctx, `SELECT id, name, created_at FROM iam_domains WHERE `+col+` = ?`, key).
		Scan(&d.ID, &d.Name, &created)
	if err != nil {
		return nil, fmt.Errorf("get domain %s: %w", key, iamErr(err))
	}
	d.CreatedAt = iamTime(created)
	return &d, nil
}

const iamProjectCols = `p.id, p.domain_id, p.name, p.description, p.created_at`

func iamScanProject(r iamScanner) (*store.Project, error) {
	var p store.Project
	var created int64
	if err := r.Scan(&p.ID, &p.DomainID, &p.Name, &p.Description, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = iamTime(created)
	return &p, nil
}

// ProjectInsert stores a new project; a taken ID or a name taken in the domain is ErrConflict,
// an unknown domain ErrNotFound.
func (s *Store) ProjectInsert(ctx context.Context, p *store.Project) error {
	p.CreatedAt = iamStamp(p.CreatedAt)
	_, err := s.q.ExecContext(ctx, `INSERT INTO iam_projects (id, domain_id, name, description, created_at)
		VALUES (?,?,?,?,?)`, p.ID, p.DomainID, p.Name, p.Description, p.CreatedAt.UnixMicro())
	if err != nil {
		return fmt.Errorf("insert project %s: %w", p.Name, iamErr(err))
	}
	return nil
}

// ProjectGet finds a project by ID, or by domain and name when ID is empty.
func (s *Store) ProjectGet(ctx context.Context, p *store.ProjectGetParams) (*store.Project, error) {
	var w iamWhere
	if p.ID != "" {
		w.add("p.id = ?", p.ID)
		if p.DomainID != "" {
			w.add("p.domain_id = ?", p.DomainID)
		}
	} else {
		w.add("p.domain_id = ?", p.DomainID)
		w.add("p.name = ?", p.Name)
	}
	pr, err := iamScanProject(s.q.QueryRowContext(ctx,
		`SELECT `+iamProjectCols+` FROM iam_projects p`+w.sql(), w.args...))
	if err != nil {
		return nil, fmt.Errorf("get project %s%s: %w", p.ID, p.Name, iamErr(err))
	}
	return pr, nil
}

// ProjectList returns the matching projects ordered by name.
func (s *Store) ProjectList(ctx context.Context, p *store.ProjectListParams) ([]store.Project, error) {
	var w iamWhere
	from := ` FROM iam_projects p`
	if p.UserID != "" {
		from += ` JOIN iam_user_projects g ON g.project_id = p.id`
		w.add("g.user_id = ?", p.UserID)
	}
	if p.DomainID != "" {
		w.add("p.domain_id = ?", p.DomainID)
	}
	if p.Name != "" {
		w.add("p.name = ?", p.Name)
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+iamProjectCols+from+w.sql()+` ORDER BY p.name, p.id`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", iamErr(err))
	}
	defer rows.Close()
	var out []store.Project
	for rows.Next() {
		pr, err := iamScanProject(rows)
		if err != nil {
			return nil, fmt.Errorf("scan project: %w", err)
		}
		out = append(out, *pr)
	}
	return out, rows.Err()
}

const iamUserCols = `id, domain_id, name, password_hash, admin, created_at`

func iamScanUser(r iamScanner) (*store.User, error) {
	var u store.User
	var created int64
	if err := r.Scan(&u.ID, &u.DomainID, &u.Name, &u.PasswordHash, &u.Admin, &created); err != nil {
		return nil, err
	}
	u.CreatedAt = iamTime(created)
	return &u, nil
}

// UserInsert stores a new user; a taken ID or a name taken in the domain is ErrConflict.
func (s *Store) UserInsert(ctx context.Context, u *store.User) error {
	u.CreatedAt = iamStamp(u.CreatedAt)
	_, err := s.q.ExecContext(ctx, `INSERT INTO iam_users (`+iamUserCols+`) VALUES (?,?,?,?,?,?)`,
		u.ID, u.DomainID, u.Name, u.PasswordHash, u.Admin, u.CreatedAt.UnixMicro())
	if err != nil {
		return fmt.Errorf("insert user %s: %w", u.Name, iamErr(err))
	}
	return nil
}

// UserGet finds a user by ID, or by domain and name when ID is empty.
func (s *Store) UserGet(ctx context.Context, p *store.UserGetParams) (*store.User, error) {
	var w iamWhere
	if p.ID != "" {
		w.add("id = ?", p.ID)
		if p.DomainID != "" {
			w.add("domain_id = ?", p.DomainID)
		}
	} else {
		w.add("domain_id = ?", p.DomainID)
		w.add("name = ?", p.Name)
	}
	u, err := iamScanUser(s.q.QueryRowContext(ctx, `SELECT `+iamUserCols+` FROM iam_users`+w.sql(), w.args...))
	if err != nil {
		return nil, fmt.Errorf("get user %s%s: %w", p.ID, p.Name, iamErr(err))
	}
	return u, nil
}

// UserList returns the users of a domain (all users when DomainID is empty) ordered by name.
func (s *Store) UserList(ctx context.Context, p *store.UserListParams) ([]store.User, error) {
	var w iamWhere
	if p.DomainID != "" {
		w.add("domain_id = ?", p.DomainID)
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+iamUserCols+` FROM iam_users`+w.sql()+` ORDER BY name, id`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", iamErr(err))
	}
	defer rows.Close()
	var out []store.User
	for rows.Next() {
		u, err := iamScanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("scan user: %w", err)
		}
		out = append(out, *u)
	}
	return out, rows.Err()
}

// UserUpdate changes the set fields of a user; a missing user is ErrNotFound.
func (s *Store) UserUpdate(ctx context.Context, p *store.UserUpdateParams) error {
	if p.PasswordHash == nil {
		_, err := s.UserGet(ctx, &store.UserGetParams{ID: p.ID})
		return err
	}
	res, err := s.q.ExecContext(ctx, `UPDATE iam_users SET password_hash = ? WHERE id = ?`, *p.PasswordHash, p.ID)
	if err != nil {
		return fmt.Errorf("update user %s: %w", p.ID, iamErr(err))
	}
	if err := iamAffected(res); err != nil {
		return fmt.Errorf("update user %s: %w", p.ID, err)
	}
	return nil
}

// UserProjectInsert grants a project; a repeated grant is a no-op, an unknown user or project
// ErrNotFound.
func (s *Store) UserProjectInsert(ctx context.Context, g *store.UserProject) error {
	_, err := s.q.ExecContext(ctx, `INSERT INTO iam_user_projects (user_id, project_id) VALUES (?,?)
		ON CONFLICT DO NOTHING`, g.UserID, g.ProjectID)
	if err != nil {
		return fmt.Errorf("grant project %s to %s: %w", g.ProjectID, g.UserID, iamErr(err))
	}
	return nil
}

// UserProjectGet reports whether the project is granted to the user (ErrNotFound if not).
func (s *Store) UserProjectGet(ctx context.Context, userID, projectID string) (*store.UserProject, error) {
	var g store.UserProject
	err := s.q.QueryRowContext(ctx, `SELECT user_id, project_id FROM iam_user_projects
		WHERE user_id = ? AND project_id = ?`, userID, projectID).Scan(&g.UserID, &g.ProjectID)
	if err != nil {
		return nil, fmt.Errorf("get grant of %s to %s: %w", projectID, userID, iamErr(err))
	}
	return &g, nil
}

const iamKeyCols = `k.access_key, k.user_id, k.secret, k.description, k.created_at`

func iamScanAccessKey(r iamScanner) (*store.AccessKey, error) {
	var k store.AccessKey
	var created int64
	if err := r.Scan(&k.AccessKey, &k.UserID, &k.Secret, &k.Description, &created); err != nil {
		return nil, err
	}
	k.CreatedAt = iamTime(created)
	return &k, nil
}

// AccessKeyInsert stores a new key; a taken access key is ErrConflict, an unknown user ErrNotFound.
func (s *Store) AccessKeyInsert(ctx context.Context, k *store.AccessKey) error {
	k.CreatedAt = iamStamp(k.CreatedAt)
	_, err := s.q.ExecContext(ctx, `INSERT INTO iam_access_keys (access_key, user_id, secret, description, created_at)
		VALUES (?,?,?,?,?)`, k.AccessKey, k.UserID, k.Secret, k.Description, k.CreatedAt.UnixMicro())
	if err != nil {
		return fmt.Errorf("insert access key: %w", iamErr(err))
	}
	return nil
}

// AccessKeyGet finds a key by its access key.
func (s *Store) AccessKeyGet(ctx context.Context, accessKey string) (*store.AccessKey, error) {
	k, err := iamScanAccessKey(s.q.QueryRowContext(ctx,
		`SELECT `+iamKeyCols+` FROM iam_access_keys k WHERE k.access_key = ?`, accessKey))
	if err != nil {
		return nil, fmt.Errorf("get access key: %w", iamErr(err))
	}
	return k, nil
}

// AccessKeyList returns the matching keys, oldest first.
func (s *Store) AccessKeyList(ctx context.Context, p *store.AccessKeyListParams) ([]store.AccessKey, error) {
	var w iamWhere
	if p.DomainID != "" {
		w.add("u.domain_id = ?", p.DomainID)
	}
	if p.UserID != "" {
		w.add("k.user_id = ?", p.UserID)
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+iamKeyCols+` FROM iam_access_keys k
		JOIN iam_users u ON u.id = k.user_id`+w.sql()+` ORDER BY k.created_at, k.access_key`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", iamErr(err))
	}
	defer rows.Close()
	var out []store.AccessKey
	for rows.Next() {
		k, err := iamScanAccessKey(rows)
		if err != nil {
			return nil, fmt.Errorf("scan access key: %w", err)
		}
		out = append(out, *k)
	}
	return out, rows.Err()
}

// AccessKeyDelete removes a key; a missing key is ErrNotFound.
func (s *Store) AccessKeyDelete(ctx context.Context, accessKey string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM iam_access_keys WHERE access_key = ?`, accessKey)
	if err != nil {
		return fmt.Errorf("delete access key: %w", iamErr(err))
	}
	if err := iamAffected(res); err != nil {
		return fmt.Errorf("delete access key: %w", err)
	}
	return nil
}

// TokenInsert stores an issued token by its hash.
func (s *Store) TokenInsert(ctx context.Context, t *store.Token) error {
	t.IssuedAt = iamStamp(t.IssuedAt)
	t.ExpiresAt = t.ExpiresAt.UTC().Truncate(time.Microsecond)
	_, err := s.q.ExecContext(ctx, `INSERT INTO iam_tokens (hash, user_id, project_id, issued_at, expires_at)
		VALUES (?,?,?,?,?)`, t.Hash, t.UserID, t.ProjectID, t.IssuedAt.UnixMicro(), t.ExpiresAt.UnixMicro())
	if err != nil {
		return fmt.Errorf("insert token: %w", iamErr(err))
	}
	return nil
}

// TokenGet finds a token by its hash, expired or not: the caller decides with its own clock.
func (s *Store) TokenGet(ctx context.Context, hash string) (*store.Token, error) {
	var t store.Token
	var issued, expires int64
	err := s.q.QueryRowContext(ctx, `SELECT hash, user_id, project_id, issued_at, expires_at
		FROM iam_tokens WHERE hash = ?`, hash).Scan(&t.Hash, &t.UserID, &t.ProjectID, &issued, &expires)
	if err != nil {
		return nil, fmt.Errorf("get token: %w", iamErr(err))
	}
	t.IssuedAt, t.ExpiresAt = iamTime(issued), iamTime(expires)
	return &t, nil
}

// TokenDeleteExpired removes the tokens that expired before p.Before.
func (s *Store) TokenDeleteExpired(ctx context.Context, p *store.TokenDeleteExpiredParams) (int, error) {
	res, err := s.q.ExecContext(ctx, `DELETE FROM iam_tokens WHERE expires_at < ?`, p.Before.UnixMicro())
	if err != nil {
		return 0, fmt.Errorf("delete expired tokens: %w", iamErr(err))
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// PolicySet replaces the user's policy; an unknown user is ErrNotFound.
func (s *Store) PolicySet(ctx context.Context, p *store.Policy) error {
	p.UpdatedAt = iamStamp(p.UpdatedAt)
	allow, err := json.Marshal(iamNonNil(p.Allow))
	if err != nil {
		return fmt.Errorf("encode allow: %w", err)
	}
	deny, err := json.Marshal(iamNonNil(p.Deny))
	if err != nil {
		return fmt.Errorf("encode deny: %w", err)
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO iam_policies (user_id, allow, deny, updated_at) VALUES (?,?,?,?)
		ON CONFLICT (user_id) DO UPDATE SET allow = excluded.allow, deny = excluded.deny,
		updated_at = excluded.updated_at`, p.UserID, string(allow), string(deny), p.UpdatedAt.UnixMicro())
	if err != nil {
		return fmt.Errorf("set policy of %s: %w", p.UserID, iamErr(err))
	}
	return nil
}

// PolicyGet returns the user's policy; a user without one is ErrNotFound.
func (s *Store) PolicyGet(ctx context.Context, userID string) (*store.Policy, error) {
	p := store.Policy{UserID: userID}
	var allow, deny string
	var updated int64
	err := s.q.QueryRowContext(ctx, `SELECT allow, deny, updated_at FROM iam_policies WHERE user_id = ?`, userID).
		Scan(&allow, &deny, &updated)
	if err != nil {
		return nil, fmt.Errorf("get policy of %s: %w", userID, iamErr(err))
	}
	if err := json.Unmarshal([]byte(allow), &p.Allow); err != nil {
		return nil, fmt.Errorf("decode allow of %s: %w", userID, err)
	}
	if err := json.Unmarshal([]byte(deny), &p.Deny); err != nil {
		return nil, fmt.Errorf("decode deny of %s: %w", userID, err)
	}
	p.UpdatedAt = iamTime(updated)
	return &p, nil
}

// iamNonNil makes an empty list encode as [] rather than null.
func iamNonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

const iamKeypairCols = `project_id, name, type, scope, public_key, fingerprint, algorithm, user_id, created_at`

func iamScanKeypair(r iamScanner) (*store.Keypair, error) {
	var k store.Keypair
	var created int64
	if err := r.Scan(&k.ProjectID, &k.Name, &k.Type, &k.Scope, &k.PublicKey, &k.Fingerprint,
		&k.Algorithm, &k.UserID, &created); err != nil {
		return nil, err
	}
	k.CreatedAt = iamTime(created)
	return &k, nil
}

// KeypairInsert stores a keypair; a name taken in the project is ErrConflict, an unknown project
// ErrNotFound.
func (s *Store) KeypairInsert(ctx context.Context, k *store.Keypair) error {
	k.CreatedAt = iamStamp(k.CreatedAt)
	_, err := s.q.ExecContext(ctx, `INSERT INTO iam_keypairs (`+iamKeypairCols+`) VALUES (?,?,?,?,?,?,?,?,?)`,
		k.ProjectID, k.Name, k.Type, k.Scope, k.PublicKey, k.Fingerprint, k.Algorithm, k.UserID,
		k.CreatedAt.UnixMicro())
	if err != nil {
		return fmt.Errorf("insert keypair %s: %w", k.Name, iamErr(err))
	}
	return nil
}

// KeypairGet finds a keypair of the project by name.
func (s *Store) KeypairGet(ctx context.Context, projectID, name string) (*store.Keypair, error) {
	k, err := iamScanKeypair(s.q.QueryRowContext(ctx,
		`SELECT `+iamKeypairCols+` FROM iam_keypairs WHERE project_id = ? AND name = ?`, projectID, name))
	if err != nil {
		return nil, fmt.Errorf("get keypair %s: %w", name, iamErr(err))
	}
	return k, nil
}

// KeypairList returns one page of the project's keypairs ordered by name, after p.Marker.
func (s *Store) KeypairList(ctx context.Context, p *store.KeypairListParams) ([]store.Keypair, error) {
	var w iamWhere
	w.add("project_id = ?", p.ProjectID)
	if p.Marker != "" {
		w.add("name > ?", p.Marker)
	}
	q := `SELECT ` + iamKeypairCols + ` FROM iam_keypairs` + w.sql() + ` ORDER BY name`
	if p.Limit > 0 {
		q += ` LIMIT ?`
		w.args = append(w.args, p.Limit)
	}
	rows, err := s.q.QueryContext(ctx, q, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list keypairs: %w", iamErr(err))
	}
	defer rows.Close()
	var out []store.Keypair
	for rows.Next() {
		k, err := iamScanKeypair(rows)
		if err != nil {
			return nil, fmt.Errorf("scan keypair: %w", err)
		}
		out = append(out, *k)
	}
	return out, rows.Err()
}

// KeypairDelete removes a keypair of the project; a missing one is ErrNotFound.
func (s *Store) KeypairDelete(ctx context.Context, projectID, name string) error {
	res, err := s.q.ExecContext(ctx, `DELETE FROM iam_keypairs WHERE project_id = ? AND name = ?`, projectID, name)
	if err != nil {
		return fmt.Errorf("delete keypair %s: %w", name, iamErr(err))
	}
	if err := iamAffected(res); err != nil {
		return fmt.Errorf("delete keypair %s: %w", name, err)
	}
	return nil
}
