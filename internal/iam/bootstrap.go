package iam

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"golang.org/x/crypto/bcrypt"

	"github.com/opencph/opencph/internal/store"
)

// The bootstrap identity: the operator's account and its administrator.
const (
	BootstrapDomain = "opencph"
	BootstrapUser   = "admin"
	// CredentialsFile is the name of the admin credentials file in the data directory.
	CredentialsFile = "admin-credentials.json"
)

// Credentials are what the operator needs to call the API as the bootstrap admin, as written to
// <data-dir>/admin-credentials.json.
type Credentials struct {
	Endpoint    string `json:"endpoint"`
	Region      string `json:"region"`
	DomainName  string `json:"domain_name"`
	ProjectName string `json:"project_name"`
	ProjectID   string `json:"project_id"`
	UserName    string `json:"user_name"`
	Password    string `json:"password"`
	AccessKey   string `json:"access_key"`
	SecretKey   string `json:"secret_key"`
}

// ReadCredentials reads a credentials file written by Bootstrap.
func ReadCredentials(path string) (*Credentials, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	var c Credentials
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, fmt.Errorf("parse credentials %s: %w", path, err)
	}
	return &c, nil
}

// Bootstrap makes sure the bootstrap domain, the project named after the region, the admin user
// (allowed "*") and an access key of it exist, and that <dataDir>/admin-credentials.json (mode
// 0600) holds working credentials for them. On later starts it reuses what exists: the access
// key named in the file if it is still the admin's, else the admin's oldest key; the password in
// the file if it still verifies. Only a password that cannot be recovered (the file is gone or
// stale, since the database keeps a hash) is reset to a new random one.
func (s *Service) Bootstrap(ctx context.Context, dataDir string) (*Credentials, error) {
	path := filepath.Join(dataDir, CredentialsFile)
	old, err := ReadCredentials(path)
	if errors.Is(err, fs.ErrNotExist) {
		old = &Credentials{}
	} else if err != nil {
		slog.WarnContext(ctx, "ignoring unreadable admin credentials file", "path", path, "err", err)
		old = &Credentials{}
	}

	var creds *Credentials
	err = s.st.InTx(ctx, func(tx store.Store) error {
		var err error
		creds, err = s.bootstrapTx(ctx, tx, old)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("bootstrap identity: %w", err)
	}
	if err := writeCredentials(path, creds, old); err != nil {
		return nil, err
	}
	return creds, nil
}

func (s *Service) bootstrapTx(ctx context.Context, tx store.Store, old *Credentials) (*Credentials, error) {
	c := &Credentials{Endpoint: s.cfg.Endpoint, Region: s.cfg.Region, DomainName: BootstrapDomain,
		ProjectName: s.cfg.Region, UserName: BootstrapUser}

	d, err := tx.DomainGet(ctx, &store.DomainGetParams{Name: BootstrapDomain})
	if errors.Is(err, store.ErrNotFound) {
		d = &store.Domain{ID: newID(), Name: BootstrapDomain}
		err = tx.DomainInsert(ctx, d)
	}
	if err != nil {
		return nil, fmt.Errorf("domain: %w", err)
	}

	u, err := tx.UserGet(ctx, &store.UserGetParams{DomainID: d.ID, Name: BootstrapUser})
	switch {
	case errors.Is(err, store.ErrNotFound):
		c.Password = newPassword()
		hash, err := s.hashPassword(c.Password)
		if err != nil {
			return nil, err
		}
		u = &store.User{ID: newID(), DomainID: d.ID, Name: BootstrapUser, PasswordHash: hash, Admin: true}
		if err := tx.UserInsert(ctx, u); err != nil {
			return nil, fmt.Errorf("admin user: %w", err)
		}
		if err := tx.PolicySet(ctx, &store.Policy{UserID: u.ID, Allow: []string{"*"}}); err != nil {
			return nil, fmt.Errorf("admin policy: %w", err)
		}
		slog.InfoContext(ctx, "created the bootstrap admin", "domain", d.Name, "user", u.Name)
	case err != nil:
		return nil, fmt.Errorf("admin user: %w", err)
	case old.UserName == u.Name && old.Password != "" &&
		bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(old.Password)) == nil:
		c.Password = old.Password
	default:
		c.Password = newPassword()
		hash, err := s.hashPassword(c.Password)
		if err != nil {
			return nil, err
		}
		if err := tx.UserUpdate(ctx, &store.UserUpdateParams{ID: u.ID, PasswordHash: &hash}); err != nil {
			return nil, fmt.Errorf("reset admin password: %w", err)
		}
		slog.WarnContext(ctx, "the admin credentials file was missing or stale: reset the admin password")
	}

	p, err := tx.ProjectGet(ctx, &store.ProjectGetParams{DomainID: d.ID, Name: s.cfg.Region})
	if errors.Is(err, store.ErrNotFound) {
		p = &store.Project{ID: newID(), DomainID: d.ID, Name: s.cfg.Region}
		err = tx.ProjectInsert(ctx, p)
	}
	if err != nil {
		return nil, fmt.Errorf("region project: %w", err)
	}
	if err := tx.UserProjectInsert(ctx, &store.UserProject{UserID: u.ID, ProjectID: p.ID}); err != nil {
		return nil, fmt.Errorf("grant region project: %w", err)
	}
	c.ProjectID = p.ID

	key, err := s.bootstrapKey(ctx, tx, u.ID, old.AccessKey)
	if err != nil {
		return nil, err
	}
	c.AccessKey, c.SecretKey = key.AccessKey, key.Secret
	return c, nil
}

// bootstrapKey picks the admin's access key: the one the file names, else the oldest, else a
// new one.
func (s *Service) bootstrapKey(ctx context.Context, tx store.Store, userID, fromFile string) (*store.AccessKey, error) {
	if fromFile != "" {
		k, err := tx.AccessKeyGet(ctx, fromFile)
		if err == nil && k.UserID == userID {
			return k, nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("admin access key: %w", err)
		}
	}
	keys, err := tx.AccessKeyList(ctx, &store.AccessKeyListParams{UserID: userID})
	if err != nil {
		return nil, fmt.Errorf("admin access keys: %w", err)
	}
	if len(keys) > 0 {
		return &keys[0], nil
	}
	k := newAccessKey(userID, "bootstrap")
	if err := tx.AccessKeyInsert(ctx, k); err != nil {
		return nil, fmt.Errorf("admin access key: %w", err)
	}
	return k, nil
}

// writeCredentials (re)writes the file when its content changed, atomically and readable by the
// owner only; an unchanged file only has its mode tightened.
func writeCredentials(path string, c, old *Credentials) error {
	if *c == *old {
		if err := os.Chmod(path, 0o600); err != nil {
			return fmt.Errorf("protect credentials: %w", err)
		}
		return nil
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("encode credentials: %w", err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	f, err := os.CreateTemp(dir, ".admin-credentials-*")
	if err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	defer os.Remove(f.Name()) // a no-op once renamed
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write credentials: %w", err)
	}
	return nil
}
