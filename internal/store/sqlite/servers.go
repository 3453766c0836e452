package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opencph/opencph/internal/store"
)

const serverCols = `id, project_id, name, server_model_name, phone_model_name, image_id, keypair_name,
	status, availability_zone, vpc_id, vpc_cidr, subnet_id, subnet_cidr, network_version,
	enterprise_project_id, order_id, product_id, charging_mode, host_id, bandwidth_id, ports,
	phone_volume_type, phone_volume_size, share_volume_type, share_volume_size, encode_server_id,
	encode_server_status, created_at, updated_at`

// ServerInsert stores a new server. Zero CreatedAt/UpdatedAt become now; sv is updated to what
// was stored (times in UTC at microsecond precision, empty Ports as nil) so that it equals a later
// ServerGet. A duplicate ID is ErrConflict.
func (s *Store) ServerInsert(ctx context.Context, sv *store.Server) error {
	sv.CreatedAt, sv.UpdatedAt = createdUpdated(sv.CreatedAt, sv.UpdatedAt)
	if len(sv.Ports) == 0 {
		sv.Ports = nil
	}
	ports, err := encodePorts(sv.Ports)
	if err != nil {
		return err
	}
	_, err = s.q.ExecContext(ctx, `INSERT INTO servers (`+serverCols+`)
		VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		sv.ID, sv.ProjectID, sv.Name, sv.ServerModelName, sv.PhoneModelName, sv.ImageID,
		sv.KeypairName, sv.Status, sv.AvailabilityZone, sv.VPCID, sv.VPCCIDR, sv.SubnetID,
		sv.SubnetCIDR, sv.NetworkVersion, sv.EnterpriseProjectID, sv.OrderID, sv.ProductID,
		sv.ChargingMode, sv.HostID, sv.BandwidthID, ports, sv.PhoneVolumeType, sv.PhoneVolumeSize,
		sv.ShareVolumeType, sv.ShareVolumeSize, sv.EncodeServerID, sv.EncodeServerStatus,
		micro(sv.CreatedAt), micro(sv.UpdatedAt))
	if err != nil {
		return fmt.Errorf("insert server %s: %w", sv.ID, mapErr(err))
	}
	return nil
}

// ServerGet returns a server of the project; another project's server is ErrNotFound.
func (s *Store) ServerGet(ctx context.Context, projectID, id string) (*store.Server, error) {
	sv, err := scanServer(s.q.QueryRowContext(ctx,
		`SELECT `+serverCols+` FROM servers WHERE id = ? AND project_id = ?`, id, projectID))
	if err != nil {
		return nil, fmt.Errorf("get server %s: %w", id, mapErr(err))
	}
	return sv, nil
}

// ServerFind gets a server by id in whatever project holds it.
func (s *Store) ServerFind(ctx context.Context, id string) (*store.Server, error) {
	sv, err := scanServer(s.q.QueryRowContext(ctx, `SELECT `+serverCols+` FROM servers WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("find server %s: %w", id, mapErr(err))
	}
	return sv, nil
}

// ServerList returns one page of a project's servers, newest first, and the total before paging.
func (s *Store) ServerList(ctx context.Context, p *store.ServerListParams) ([]store.Server, int, error) {
	var w where
	w.add("project_id = ?", p.ProjectID)
	w.contains("name", p.NameContains)
	if p.ServerID != "" {
		w.add("id = ?", p.ServerID)
	}
	if p.NetworkVersion != "" {
		w.add("network_version = ?", p.NetworkVersion)
	}
	if p.PhoneModelName != "" {
		w.add("phone_model_name = ?", p.PhoneModelName)
	}
	// Stored times are whole microseconds: round the bounds inwards so both stay inclusive.
	if p.CreatedSince != nil {
		since := p.CreatedSince.UnixMicro()
		if p.CreatedSince.Nanosecond()%1000 != 0 {
			since++
		}
		w.add("created_at >= ?", since)
	}
	if p.CreatedUntil != nil {
		w.add("created_at <= ?", p.CreatedUntil.UnixMicro())
	}
	if p.Status != nil {
		w.add("status = ?", *p.Status)
	}
	if p.BandwidthID != "" {
		w.add("bandwidth_id = ?", p.BandwidthID)
	}
	var total int
	if err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM servers`+w.sql(), w.args...).
		Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count servers: %w", mapErr(err))
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+serverCols+` FROM servers`+w.sql()+
		newestFirst, w.pageArgs(p.Page)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list servers: %w", mapErr(err))
	}
	defer rows.Close()
	var out []store.Server
	for rows.Next() {
		sv, err := scanServer(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list servers: %w", err)
		}
		out = append(out, *sv)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list servers: %w", mapErr(err))
	}
	return out, total, nil
}

// ServerUpdate changes the set fields of a project's server and bumps UpdatedAt.
func (s *Store) ServerUpdate(ctx context.Context, p *store.ServerUpdateParams) error {
	var set setter
	if p.Name != nil {
		set.add("name", *p.Name)
	}
	if p.Status != nil {
		set.add("status", *p.Status)
	}
	if p.KeypairName != nil {
		set.add("keypair_name", *p.KeypairName)
	}
	if err := addServerChanges(&set, p); err != nil {
		return fmt.Errorf("update server %s: %w", p.ID, err)
	}
	if err := s.update(ctx, "servers", p.ProjectID, p.ID, set); err != nil {
		return fmt.Errorf("update server %s: %w", p.ID, err)
	}
	return nil
}

// ServerCount counts a project's servers, for quota checks.
func (s *Store) ServerCount(ctx context.Context, projectID string) (int, error) {
	var n int
	if err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM servers WHERE project_id = ?`,
		projectID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count servers: %w", mapErr(err))
	}
	return n, nil
}

const bandwidthCols = `id, project_id, name, size, charge_mode, share_type, created_at, updated_at`

// BandwidthUpsert creates the bandwidth or, when the ID exists in the same project (a shared
// bandwidth named by the purchase), leaves the row alone and fills b from it. An ID that exists
// in another project is ErrConflict: a purchase must not attach to someone else's bandwidth.
func (s *Store) BandwidthUpsert(ctx context.Context, b *store.Bandwidth) error {
	b.CreatedAt, b.UpdatedAt = createdUpdated(b.CreatedAt, b.UpdatedAt)
	err := s.InTx(ctx, func(tx store.Store) error {
		q := tx.(*Store).q
		if _, err := q.ExecContext(ctx, `INSERT INTO bandwidths (`+bandwidthCols+`)
			VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (id) DO NOTHING`,
			b.ID, b.ProjectID, b.Name, b.Size, b.ChargeMode, b.ShareType,
			micro(b.CreatedAt), micro(b.UpdatedAt)); err != nil {
			return mapErr(err)
		}
		got, err := scanBandwidth(q.QueryRowContext(ctx, `SELECT `+bandwidthCols+
			` FROM bandwidths WHERE id = ? AND project_id = ?`, b.ID, b.ProjectID))
		if err != nil {
			if err = mapErr(err); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("%w: bandwidth belongs to another project", store.ErrConflict)
			}
			return err
		}
		*b = *got
		return nil
	})
	if err != nil {
		return fmt.Errorf("upsert bandwidth %s: %w", b.ID, err)
	}
	return nil
}

// BandwidthGet returns a bandwidth of the project; another project's is ErrNotFound.
func (s *Store) BandwidthGet(ctx context.Context, projectID, id string) (*store.Bandwidth, error) {
	b, err := scanBandwidth(s.q.QueryRowContext(ctx, `SELECT `+bandwidthCols+
		` FROM bandwidths WHERE id = ? AND project_id = ?`, id, projectID))
	if err != nil {
		return nil, fmt.Errorf("get bandwidth %s: %w", id, mapErr(err))
	}
	return b, nil
}

// BandwidthList returns one page of a project's bandwidths, newest first, and the total.
func (s *Store) BandwidthList(ctx context.Context, p *store.BandwidthListParams) ([]store.Bandwidth, int, error) {
	var w where
	w.add("project_id = ?", p.ProjectID)
	var total int
	if err := s.q.QueryRowContext(ctx, `SELECT count(*) FROM bandwidths`+w.sql(), w.args...).
		Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count bandwidths: %w", mapErr(err))
	}
	rows, err := s.q.QueryContext(ctx, `SELECT `+bandwidthCols+` FROM bandwidths`+w.sql()+
		newestFirst, w.pageArgs(p.Page)...)
	if err != nil {
		return nil, 0, fmt.Errorf("list bandwidths: %w", mapErr(err))
	}
	defer rows.Close()
	var out []store.Bandwidth
	for rows.Next() {
		b, err := scanBandwidth(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list bandwidths: %w", err)
		}
		out = append(out, *b)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("list bandwidths: %w", mapErr(err))
	}
	return out, total, nil
}

// BandwidthUpdateSize resizes a project's bandwidth and bumps UpdatedAt.
func (s *Store) BandwidthUpdateSize(ctx context.Context, projectID, id string, size int) error {
	var set setter
	set.add("size", size)
	if err := s.update(ctx, "bandwidths", projectID, id, set); err != nil {
		return fmt.Errorf("update bandwidth %s: %w", id, err)
	}
	return nil
}

// addServerChanges adds the columns a server switch (5.1.6) or model change (5.1.12) sets, in a
// fixed order so that the same change always makes the same statement (and cache entry).
func addServerChanges(set *setter, p *store.ServerUpdateParams) error {
	strs := []struct {
		col string
		v   *string
	}{
		{"server_model_name", p.ServerModelName}, {"phone_model_name", p.PhoneModelName},
		{"image_id", p.ImageID}, {"vpc_id", p.VPCID}, {"subnet_id", p.SubnetID},
		{"enterprise_project_id", p.EnterpriseProjectID}, {"order_id", p.OrderID},
		{"product_id", p.ProductID}, {"bandwidth_id", p.BandwidthID},
		{"phone_volume_type", p.PhoneVolumeType}, {"share_volume_type", p.ShareVolumeType},
	}
	for _, c := range strs {
		if c.v != nil {
			set.add(c.col, *c.v)
		}
	}
	ints := []struct {
		col string
		v   *int
	}{
		{"phone_volume_size", p.PhoneVolumeSize}, {"share_volume_size", p.ShareVolumeSize},
		{"encode_server_status", p.EncodeServerStatus},
	}
	for _, c := range ints {
		if c.v != nil {
			set.add(c.col, *c.v)
		}
	}
	if p.Ports != nil {
		ports, err := encodePorts(*p.Ports)
		if err != nil {
			return err
		}
		set.add("ports", ports)
	}
	return nil
}

// BandwidthDelete removes a project's bandwidth; one that is gone, or another project's, is left
// alone and reported as success, so a job repeating it is safe.
func (s *Store) BandwidthDelete(ctx context.Context, projectID, id string) error {
	if _, err := s.q.ExecContext(ctx, `DELETE FROM bandwidths WHERE id = ? AND project_id = ?`,
		id, projectID); err != nil {
		return fmt.Errorf("delete bandwidth %s: %w", id, mapErr(err))
	}
	return nil
}

// ServerPhonesUpdate changes the set fields of every phone of a project's server in one
// statement and bumps their UpdatedAt; a server without phones is not an error.
func (s *Store) ServerPhonesUpdate(ctx context.Context, p *store.ServerPhonesUpdateParams) error {
	if p.PhoneModelName == nil {
		return nil
	}
	if _, err := s.q.ExecContext(ctx, `UPDATE phones SET phone_model_name = ?, updated_at = ?
		WHERE project_id = ? AND server_id = ?`, *p.PhoneModelName, micro(now()),
		p.ProjectID, p.ServerID); err != nil {
		return fmt.Errorf("update phones of server %s: %w", p.ServerID, mapErr(err))
	}
	return nil
}

// ServerPhonesDelete removes every phone of a project's server and the host ports handed out for
// them, in one transaction.
func (s *Store) ServerPhonesDelete(ctx context.Context, projectID, serverID string) (int, error) {
	var n int64
	err := s.InTx(ctx, func(tx store.Store) error {
		q := tx.(*Store).q
		if _, err := q.ExecContext(ctx, `DELETE FROM port_allocations WHERE phone_id IN
			(SELECT id FROM phones WHERE project_id = ? AND server_id = ?)`, projectID, serverID); err != nil {
			return mapErr(err)
		}
		res, err := q.ExecContext(ctx, `DELETE FROM phones WHERE project_id = ? AND server_id = ?`,
			projectID, serverID)
		if err != nil {
			return mapErr(err)
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("delete phones of server %s: %w", serverID, err)
	}
	return int(n), nil
}

// rowScanner is what *sql.Row and *sql.Rows share.
type rowScanner interface {
	Scan(dest ...any) error
}

func scanServer(r rowScanner) (*store.Server, error) {
	var sv store.Server
	var ports string
	if err := r.Scan(&sv.ID, &sv.ProjectID, &sv.Name, &sv.ServerModelName, &sv.PhoneModelName,
		&sv.ImageID, &sv.KeypairName, &sv.Status, &sv.AvailabilityZone, &sv.VPCID, &sv.VPCCIDR,
		&sv.SubnetID, &sv.SubnetCIDR, &sv.NetworkVersion, &sv.EnterpriseProjectID, &sv.OrderID,
		&sv.ProductID, &sv.ChargingMode, &sv.HostID, &sv.BandwidthID, &ports, &sv.PhoneVolumeType,
		&sv.PhoneVolumeSize, &sv.ShareVolumeType, &sv.ShareVolumeSize, &sv.EncodeServerID,
		&sv.EncodeServerStatus, timeCol{&sv.CreatedAt}, timeCol{&sv.UpdatedAt}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(ports), &sv.Ports); err != nil {
		return nil, fmt.Errorf("server %s ports: %w", sv.ID, err)
	}
	if len(sv.Ports) == 0 {
		sv.Ports = nil
	}
	return &sv, nil
}

func encodePorts(ports []store.Port) (string, error) {
	if len(ports) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(ports)
	if err != nil {
		return "", fmt.Errorf("encode ports: %w", err)
	}
	return string(b), nil
}

func scanBandwidth(r rowScanner) (*store.Bandwidth, error) {
	var b store.Bandwidth
	if err := r.Scan(&b.ID, &b.ProjectID, &b.Name, &b.Size, &b.ChargeMode, &b.ShareType,
		timeCol{&b.CreatedAt}, timeCol{&b.UpdatedAt}); err != nil {
		return nil, err
	}
	return &b, nil
}

// The helpers below are shared by every resource file of this package.

// newestFirst is the order of every list: created_at DESC with id DESC breaking ties, so paging
// is stable even when a batch creates many rows in the same microsecond.
const newestFirst = ` ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?`

// where collects the AND-ed conditions of a list query and their arguments in order.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// contains adds a case-sensitive substring filter. instr() is used instead of LIKE because
// SQLite's LIKE ignores ASCII case and would need %, _ and the escape character escaped; instr
// matches the bytes literally, so "50%_off" finds exactly that text.
func (w *where) contains(col, sub string) {
	if sub != "" {
		w.add("instr("+col+", ?) > 0", sub)
	}
}

func (w *where) sql() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// pageArgs returns the condition arguments followed by LIMIT and OFFSET; SQLite reads LIMIT -1
// as no limit, which is what Page.Limit 0 means.
func (w *where) pageArgs(p store.Page) []any {
	limit, offset := p.Limit, p.Offset
	if limit <= 0 {
		limit = -1
	}
	if offset < 0 {
		offset = 0
	}
	return append(append([]any(nil), w.args...), limit, offset)
}

// setter collects the columns an Update call changes.
type setter struct {
	cols []string
	args []any
}

func (st *setter) add(col string, v any) {
	st.cols = append(st.cols, col+" = ?")
	st.args = append(st.args, v)
}

// update applies set to the row (projectID, id) of table and bumps updated_at. With nothing to
// set it only checks that the row exists, so a no-op update still reports ErrNotFound.
func (s *Store) update(ctx context.Context, table, projectID, id string, set setter) error {
	var res sql.Result
	var err error
	if len(set.cols) == 0 {
		var one int
		err = s.q.QueryRowContext(ctx, `SELECT 1 FROM `+table+` WHERE id = ? AND project_id = ?`,
			id, projectID).Scan(&one)
		return mapErr(err)
	}
	args := append(set.args, micro(now()), id, projectID)
	res, err = s.q.ExecContext(ctx, `UPDATE `+table+` SET `+strings.Join(set.cols, ", ")+
		`, updated_at = ? WHERE id = ? AND project_id = ?`, args...)
	if err != nil {
		return mapErr(err)
	}
	return mustAffect(res)
}

// mustAffect turns "no row matched" into ErrNotFound.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return store.ErrNotFound
	}
	return nil
}

// now is the store's clock for defaults, already in the stored precision.
func now() time.Time { return normTime(time.Now()) }

// normTime is t as a round trip through the database returns it: UTC, microsecond precision,
// no monotonic reading; the zero time stays zero.
func normTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// createdUpdated fills zero creation and update times with now, normalised.
func createdUpdated(created, updated time.Time) (time.Time, time.Time) {
	if created.IsZero() {
		created = now()
	}
	if updated.IsZero() {
		updated = created
	}
	return normTime(created), normTime(updated)
}

// micro encodes t as unix microseconds. The zero time is NULL rather than its (large negative)
// microsecond value, so "not yet" columns such as end_time read naturally in SQL and come back
// as the zero time.
func micro(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeCol scans a micro-encoded column into *t; NULL becomes the zero time.
type timeCol struct{ t *time.Time }

// Scan implements sql.Scanner.
func (c timeCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.UnixMicro(x).UTC()
	default:
		return fmt.Errorf("time column: unexpected %T", v)
	}
	return nil
}
