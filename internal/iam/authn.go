package iam

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/store"
)

// HeaderAuthToken carries a token issued by POST /v3/auth/tokens.
const HeaderAuthToken = "X-Auth-Token"

// Authenticate identifies the caller from an X-Auth-Token or an SDK-HMAC-SHA256 signature over
// the request and its body. Failures are *cph.Error with code APIGW.0301 (401).
func (s *Service) Authenticate(r *http.Request, body []byte) (*Principal, error) {
	if tok := r.Header.Get(HeaderAuthToken); tok != "" {
		return s.authenticateToken(r.Context(), tok)
	}
	if a := r.Header.Get("Authorization"); a != "" {
		return s.authenticateSignature(r, body, a)
	}
	return nil, unauthorized("the request carries neither %s nor an Authorization signature", HeaderAuthToken)
}

// tokenHash is how a token is stored and looked up: never the token itself.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Service) authenticateToken(ctx context.Context, token string) (*Principal, error) {
	t, err := s.st.TokenGet(ctx, tokenHash(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, unauthorized("the token is invalid")
	}
	if err != nil {
		return nil, fmt.Errorf("look up token: %w", err)
	}
	if !s.now().Before(t.ExpiresAt) {
		return nil, unauthorized("the token expired at %s", t.ExpiresAt.Format(keystoneTime))
	}
	u, err := s.st.UserGet(ctx, &store.UserGetParams{ID: t.UserID})
	if errors.Is(err, store.ErrNotFound) {
		return nil, unauthorized("the token's user no longer exists")
	}
	if err != nil {
		return nil, fmt.Errorf("look up token user: %w", err)
	}
	p, err := s.principalFor(ctx, u)
	if err != nil {
		return nil, err
	}
	p.ProjectID = t.ProjectID
	return p, nil
}

func (s *Service) authenticateSignature(r *http.Request, body []byte, header string) (*Principal, error) {
	ctx := r.Context()
	a, err := parseAuthorization(header)
	if err != nil {
		return nil, unauthorized("%v", err)
	}
	key, err := s.st.AccessKeyGet(ctx, a.accessKey)
	if errors.Is(err, store.ErrNotFound) {
		return nil, unauthorized("the access key %s does not exist", a.accessKey)
	}
	if err != nil {
		return nil, fmt.Errorf("look up access key: %w", err)
	}
	if err := verifySignature(r, body, a, key.Secret, s.now()); err != nil {
		return nil, unauthorized("%v", err)
	}
	u, err := s.st.UserGet(ctx, &store.UserGetParams{ID: key.UserID})
	if err != nil {
		return nil, fmt.Errorf("look up user of access key: %w", err)
	}
	p, err := s.principalFor(ctx, u)
	if err != nil {
		return nil, err
	}
	p.AccessKey = key.AccessKey
	return p, nil
}

// Authorize checks that p may use projectID (when set) and perform action (when set).
//
// A token may only be used for the project it is scoped to; an AK/SK caller may use the projects
// of its domain that are granted to it (all of them for an admin). Any refusal is 403 CPS.0001,
// the same whether or not the project exists, so project ids cannot be probed.
func (s *Service) Authorize(ctx context.Context, p *Principal, projectID, action string) error {
	if projectID != "" {
		if err := s.checkProject(ctx, p, projectID); err != nil {
			return err
		}
	}
	if action == "" {
		return nil
	}
	pol, err := s.st.PolicyGet(ctx, p.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return cph.CPS0001.Errf("the user has no policy allowing %s", action)
	}
	if err != nil {
		return fmt.Errorf("look up policy: %w", err)
	}
	if !Allowed(pol.Allow, pol.Deny, action) {
		return cph.CPS0001.Errf("the policy does not allow %s", action)
	}
	return nil
}

func (s *Service) checkProject(ctx context.Context, p *Principal, projectID string) error {
	if p.AccessKey == "" {
		if p.ProjectID != projectID {
			return forbidden()
		}
		return nil
	}
	return s.canUseProject(ctx, p.UserID, p.DomainID, p.Admin, projectID)
}

// canUseProject reports whether a user may use a project: it must be in the user's domain and
// granted to the user, unless the user is an admin.
func (s *Service) canUseProject(ctx context.Context, userID, domainID string, admin bool, projectID string) error {
	_, err := s.st.ProjectGet(ctx, &store.ProjectGetParams{ID: projectID, DomainID: domainID})
	if errors.Is(err, store.ErrNotFound) {
		return forbidden()
	}
	if err != nil {
		return fmt.Errorf("look up project: %w", err)
	}
	if admin {
		return nil
	}
	_, err = s.st.UserProjectGet(ctx, userID, projectID)
	if errors.Is(err, store.ErrNotFound) {
		return forbidden()
	}
	if err != nil {
		return fmt.Errorf("look up grant: %w", err)
	}
	return nil
}

// Allowed reports whether a policy lets action through: some allow pattern must match and no
// deny pattern may. Patterns match case-insensitively and `*` stands for any run of characters,
// so "cph:*:get" covers every get and "*" everything.
func Allowed(allow, deny []string, action string) bool {
	for _, d := range deny {
		if matchAction(d, action) {
			return false
		}
	}
	for _, a := range allow {
		if matchAction(a, action) {
			return true
		}
	}
	return false
}

// matchAction is glob matching with `*` only, by the classic greedy backtracking over the last
// star, which is linear in practice and never recursive.
func matchAction(pattern, action string) bool {
	p, a := strings.ToLower(pattern), strings.ToLower(action)
	pi, ai := 0, 0
	star, mark := -1, 0
	for ai < len(a) {
		switch {
		case pi < len(p) && p[pi] == '*':
			star, mark = pi, ai
			pi++
		case pi < len(p) && p[pi] == a[ai]:
			pi++
			ai++
		case star >= 0:
			pi = star + 1
			mark++
			ai = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}

// validAction checks an action pattern of a policy: service:resource:verb words, `*` wildcards.
func validAction(pattern string) error {
	if pattern == "" || len(pattern) > 128 {
		return fmt.Errorf("action pattern %q must have 1 to 128 characters", pattern)
	}
	for _, c := range pattern {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune(":*._-", c)) {
			return fmt.Errorf("action pattern %q may only contain letters, digits and : * . _ -", pattern)
		}
	}
	return nil
}
