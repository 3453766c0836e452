// Package iam is OpenCPH's embedded identity service, compatible with the parts of Huawei IAM,
// Keystone v3 and KPS that CPH clients use: password tokens, AK/SK request signatures
// (SDK-HMAC-SHA256), project discovery and SSH keypairs. It also decides who may do what: a
// request's project must be one its caller may use, and its action must pass the caller's policy.
//
// The HTTP layer calls Authenticate and Authorize for every CPH API request and mounts Routes for
// the identity, keypair and admin endpoints.
package iam

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opencph/opencph/internal/store"
)

// DefaultRegion is the region (and the name of the first project) when none is configured.
const DefaultRegion = "cn-local-1"

// Config tunes the service. Zero values take the defaults noted on each field.
type Config struct {
	// Region is the region id this control plane answers for, shown in token catalogs; the
	// bootstrap project is named after it, which is how the SDK finds a project id from a region.
	// Default DefaultRegion.
	Region string
	// Endpoint is the public base URL of the API (https://host:port), shown in token catalogs and
	// written to the admin credentials file.
	Endpoint string
	// TokenTTL is how long an issued token is valid. Default 24h, as on Huawei Cloud.
	TokenTTL time.Duration
	// Now is the clock, injectable so tests can expire tokens and skew signatures. Default time.Now.
	Now func() time.Time
	// PasswordCost is the bcrypt cost of stored password hashes. Default bcrypt.DefaultCost; tests
	// lower it to bcrypt.MinCost to stay fast.
	PasswordCost int
}

// Service authenticates and authorizes callers and serves the identity endpoints.
type Service struct {
	st  store.Store
	cfg Config
	// dummyHash is compared against when a signing-in user does not exist, so that a miss costs
	// as much time as a wrong password and user names cannot be probed by timing.
	dummyHash func() []byte
}

// New returns a service persisting to st.
func New(st store.Store, cfg Config) *Service {
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 24 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.PasswordCost == 0 {
		cfg.PasswordCost = bcrypt.DefaultCost
	}
	s := &Service{st: st, cfg: cfg}
	s.dummyHash = sync.OnceValue(func() []byte {
		h, _ := bcrypt.GenerateFromPassword([]byte("opencph-dummy-password"), cfg.PasswordCost)
		return h
	})
	return s
}

// Principal is an authenticated caller.
type Principal struct {
	UserID     string
	UserName   string
	DomainID   string
	DomainName string
	// ProjectID is the project a token is scoped to; empty for AK/SK, whose project comes from
	// the request path and is checked by Authorize.
	ProjectID string
	// Admin callers may use every project of their domain and the admin API.
	Admin bool
	// AccessKey is the key that signed the request; empty for tokens.
	AccessKey string
}

// Route is one endpoint for the HTTP layer to mount: Pattern is in net/http.ServeMux syntax
// without the method.
type Route struct {
	Method  string
	Pattern string
	Handler http.HandlerFunc
}

// Routes lists the identity (Keystone v3), keypair (KPS v3) and admin endpoints. The HTTP layer
// sets the X-Request-Id request header before calling them; they authenticate on their own.
func (s *Service) Routes() []Route {
	return []Route{
		{http.MethodPost, "/v3/auth/tokens", s.serve(false, false, s.handleTokenCreate)},
		{http.MethodGet, "/v3/projects", s.serve(true, false, s.handleProjectList)},
		{http.MethodGet, "/v3/auth/projects", s.serve(true, false, s.handleProjectList)},
		{http.MethodGet, "/v3/auth/domains", s.serve(true, false, s.handleDomainList)},

		{http.MethodPost, "/v3/{project_id}/keypairs", s.serve(true, false, s.handleKeypairCreate)},
		{http.MethodGet, "/v3/{project_id}/keypairs", s.serve(true, false, s.handleKeypairList)},
		{http.MethodGet, "/v3/{project_id}/keypairs/{keypair_name}", s.serve(true, false, s.handleKeypairGet)},
		{http.MethodDelete, "/v3/{project_id}/keypairs/{keypair_name}", s.serve(true, false, s.handleKeypairDelete)},

		{http.MethodGet, "/admin/v1/projects", s.serve(true, true, s.handleAdminProjectList)},
		{http.MethodPost, "/admin/v1/projects", s.serve(true, true, s.handleAdminProjectCreate)},
		{http.MethodGet, "/admin/v1/users", s.serve(true, true, s.handleAdminUserList)},
		{http.MethodPost, "/admin/v1/users", s.serve(true, true, s.handleAdminUserCreate)},
		{http.MethodGet, "/admin/v1/users/{user}/policy", s.serve(true, true, s.handleAdminPolicyGet)},
		{http.MethodPut, "/admin/v1/users/{user}/policy", s.serve(true, true, s.handleAdminPolicySet)},
		{http.MethodGet, "/admin/v1/keys", s.serve(true, true, s.handleAdminKeyList)},
		{http.MethodPost, "/admin/v1/keys", s.serve(true, true, s.handleAdminKeyCreate)},
		{http.MethodDelete, "/admin/v1/keys/{access_key}", s.serve(true, true, s.handleAdminKeyDelete)},
	}
}

func (s *Service) now() time.Time { return s.cfg.Now().UTC() }

// newID returns an id in the API's format: 32 lowercase hex characters.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// randomString returns n characters drawn uniformly from alphabet, for keys and passwords.
func randomString(n int, alphabet string) string {
	out := make([]byte, n)
	for i := range out {
		out[i] = alphabet[randIntn(len(alphabet))]
	}
	return string(out)
}

// randIntn draws from [0, n) without modulo bias (n <= 256).
func randIntn(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		_, _ = rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

const (
	upperDigits  = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	alphanumeric = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// newAccessKey returns a fresh AK/SK in Huawei's shapes: a 20-character uppercase access key and
// a 40-character secret.
func newAccessKey(userID, description string) *store.AccessKey {
	return &store.AccessKey{
		AccessKey:   randomString(20, upperDigits),
		UserID:      userID,
		Secret:      randomString(40, alphanumeric),
		Description: description,
	}
}

func newPassword() string { return randomString(24, alphanumeric) }

func (s *Service) hashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), s.cfg.PasswordCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// principalFor builds the principal of a user, resolving the domain name.
func (s *Service) principalFor(ctx context.Context, u *store.User) (*Principal, error) {
	d, err := s.st.DomainGet(ctx, &store.DomainGetParams{ID: u.DomainID})
	if err != nil {
		return nil, fmt.Errorf("domain of user %s: %w", u.ID, err)
	}
	return &Principal{UserID: u.ID, UserName: u.Name, DomainID: d.ID, DomainName: d.Name, Admin: u.Admin}, nil
}
