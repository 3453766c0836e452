package iam

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"

	"golang.org/x/crypto/bcrypt"

	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/store"
)

// keystoneTime is how Keystone and Huawei IAM write times (RFC 3339 with microseconds).
const keystoneTime = "2006-01-02T15:04:05.000000Z"

// ref names a domain or project by id or name, as Keystone bodies do.
type ref struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Domain *ref   `json:"domain"`
}

// tokenRequest is the Keystone v3 password authentication body.
type tokenRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password *struct {
				User struct {
					ID       string `json:"id"`
					Name     string `json:"name"`
					Password string `json:"password"`
					Domain   *ref   `json:"domain"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope *struct {
			Project *ref `json:"project"`
			Domain  *ref `json:"domain"`
		} `json:"scope"`
	} `json:"auth"`
}

// badCredentials is the one answer to an unknown user or a wrong password, so user names cannot
// be probed.
func badCredentials() error { return unauthorized("the username or password is wrong") }

// handleTokenCreate is POST /v3/auth/tokens: a password sign-in, answering 201 with the token in
// X-Subject-Token and Keystone's token body.
func (s *Service) handleTokenCreate(c *call) (*reply, error) {
	ctx := c.r.Context()
	var req tokenRequest
	if err := decode(c, &req); err != nil {
		return nil, err
	}
	id := req.Auth.Identity
	if !slices.Contains(id.Methods, "password") || id.Password == nil {
		return nil, unauthorized("only the password method is supported")
	}
	pu := id.Password.User
	u, err := s.findUser(ctx, pu.ID, pu.Name, pu.Domain)
	if errors.Is(err, store.ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(s.dummyHash(), []byte(pu.Password))
		return nil, badCredentials()
	}
	if err != nil {
		return nil, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(pu.Password)) != nil {
		return nil, badCredentials()
	}
	p, err := s.principalFor(ctx, u)
	if err != nil {
		return nil, err
	}

	var project *store.Project
	if sc := req.Auth.Scope; sc != nil {
		switch {
		case sc.Project != nil:
			if project, err = s.scopeProject(ctx, u, sc.Project); err != nil {
				return nil, err
			}
		case sc.Domain != nil:
			if (sc.Domain.ID != "" && sc.Domain.ID != p.DomainID) || (sc.Domain.Name != "" && sc.Domain.Name != p.DomainName) {
				return nil, unauthorized("the user has no access to the domain")
			}
		}
	}

	token, body, err := s.issueToken(ctx, p, project)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: body, header: http.Header{"X-Subject-Token": {token}}}, nil
}

// findUser resolves a user by id, or by name within a domain given by id or name.
func (s *Service) findUser(ctx context.Context, id, name string, domain *ref) (*store.User, error) {
	if id != "" {
		return s.st.UserGet(ctx, &store.UserGetParams{ID: id})
	}
	if name == "" || domain == nil || (domain.ID == "" && domain.Name == "") {
		return nil, badRequest("the user needs an id, or a name and a domain")
	}
	d, err := s.st.DomainGet(ctx, &store.DomainGetParams{ID: domain.ID, Name: domain.Name})
	if err != nil {
		return nil, err
	}
	return s.st.UserGet(ctx, &store.UserGetParams{DomainID: d.ID, Name: name})
}

// scopeProject resolves the project a token asks for and checks the user may use it; a project
// that does not exist is refused like one that is not granted.
func (s *Service) scopeProject(ctx context.Context, u *store.User, pr *ref) (*store.Project, error) {
	noAccess := unauthorized("the user has no access to the requested project")
	if pr.ID == "" && pr.Name == "" {
		return nil, badRequest("the project scope needs an id or a name")
	}
	if pr.ID == "" && pr.Domain != nil && (pr.Domain.ID != "" || pr.Domain.Name != "") {
		d, err := s.st.DomainGet(ctx, &store.DomainGetParams{ID: pr.Domain.ID, Name: pr.Domain.Name})
		if errors.Is(err, store.ErrNotFound) || (err == nil && d.ID != u.DomainID) {
			return nil, noAccess
		}
		if err != nil {
			return nil, fmt.Errorf("look up project domain: %w", err)
		}
	}
	project, err := s.st.ProjectGet(ctx, &store.ProjectGetParams{ID: pr.ID, DomainID: u.DomainID, Name: pr.Name})
	if errors.Is(err, store.ErrNotFound) {
		return nil, noAccess
	}
	if err != nil {
		return nil, fmt.Errorf("look up project: %w", err)
	}
	var refused *cph.Error
	if err := s.canUseProject(ctx, u.ID, u.DomainID, u.Admin, project.ID); errors.As(err, &refused) {
		return nil, noAccess
	} else if err != nil {
		return nil, err
	}
	return project, nil
}

// issueToken stores a new token for p (scoped to project when set) and returns it with its
// Keystone body. Expired tokens are swept here, so the table stays small without a janitor.
func (s *Service) issueToken(ctx context.Context, p *Principal, project *store.Project) (string, map[string]any, error) {
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	now := s.now()
	t := &store.Token{Hash: tokenHash(token), UserID: p.UserID, IssuedAt: now, ExpiresAt: now.Add(s.cfg.TokenTTL)}
	if project != nil {
		t.ProjectID = project.ID
	}
	if err := s.st.TokenInsert(ctx, t); err != nil {
		return "", nil, fmt.Errorf("store token: %w", err)
	}
	if n, err := s.st.TokenDeleteExpired(ctx, &store.TokenDeleteExpiredParams{Before: now}); err != nil {
		slog.WarnContext(ctx, "sweep expired tokens", "err", err)
	} else if n > 0 {
		slog.DebugContext(ctx, "swept expired tokens", "count", n)
	}

	domain := map[string]string{"id": p.DomainID, "name": p.DomainName}
	role := "op_user"
	if p.Admin {
		role = "te_admin"
	}
	body := map[string]any{
		"expires_at": t.ExpiresAt.Format(keystoneTime),
		"issued_at":  t.IssuedAt.Format(keystoneTime),
		"methods":    []string{"password"},
		"user":       map[string]any{"id": p.UserID, "name": p.UserName, "domain": domain},
		"roles":      []map[string]string{{"id": hexSHA256([]byte(role))[:32], "name": role}},
	}
	if project != nil {
		body["project"] = map[string]any{"id": project.ID, "name": project.Name, "domain": domain}
		body["catalog"] = []map[string]any{{
			"id":   hexSHA256([]byte("cph"))[:32],
			"type": "cph",
			"name": "cph",
			"endpoints": []map[string]string{{
				"id":        hexSHA256([]byte("cph/" + s.cfg.Region))[:32],
				"region_id": s.cfg.Region,
				"region":    s.cfg.Region,
				"interface": "public",
				"url":       strings.TrimSuffix(s.cfg.Endpoint, "/"),
			}},
		}}
	} else {
		body["domain"] = domain
		body["catalog"] = []any{}
	}
	return token, map[string]any{"token": body}, nil
}
