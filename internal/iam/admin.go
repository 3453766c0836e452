package iam

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/store"
)

// The admin API (/admin/v1/…) manages the caller's own domain: projects, users with their
// project grants and policies, and access keys. Only admin principals reach these handlers
// (see serve). Secrets (generated passwords, secret keys) appear once, in the create answer.

// identName is the rule for project and user names: what Keystone and Huawei IAM accept, short of
// spaces, which only make quoting on the command line harder.
var identName = regexp.MustCompile(`^[A-Za-z0-9_.@-]{1,64}$`)

const timeFormat = "2006-01-02T15:04:05Z"

func projectView(p *store.Project) map[string]any {
	return map[string]any{"id": p.ID, "name": p.Name, "domain_id": p.DomainID,
		"description": p.Description, "created_at": p.CreatedAt.Format(timeFormat)}
}

func (s *Service) handleAdminProjectList(c *call) (*reply, error) {
	projects, err := s.st.ProjectList(c.r.Context(), &store.ProjectListParams{DomainID: c.p.DomainID})
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	list := make([]map[string]any, 0, len(projects))
	for i := range projects {
		list = append(list, projectView(&projects[i]))
	}
	return &reply{status: http.StatusOK, body: map[string]any{"projects": list}}, nil
}

func (s *Service) handleAdminProjectCreate(c *call) (*reply, error) {
	var req struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	}
	if err := decode(c, &req); err != nil {
		return nil, err
	}
	if !identName.MatchString(req.Name) {
		return nil, badRequest("project name %q must be 1 to 64 letters, digits or _ . @ -", req.Name)
	}
	if len(req.Description) > 255 {
		return nil, badRequest("description is longer than 255 bytes")
	}
	p := &store.Project{ID: newID(), DomainID: c.p.DomainID, Name: req.Name, Description: req.Description, CreatedAt: s.now()}
	if err := s.st.ProjectInsert(c.r.Context(), p); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, conflict("project %s already exists", req.Name)
		}
		return nil, fmt.Errorf("create project: %w", err)
	}
	return &reply{status: http.StatusCreated, body: map[string]any{"project": projectView(p)}}, nil
}

func userView(ctx context.Context, st store.Store, u *store.User) (map[string]any, error) {
	projects, err := st.ProjectList(ctx, &store.ProjectListParams{DomainID: u.DomainID, UserID: u.ID})
	if err != nil {
		return nil, fmt.Errorf("projects of user %s: %w", u.Name, err)
	}
	names := make([]string, 0, len(projects))
	for _, p := range projects {
		names = append(names, p.Name)
	}
	return map[string]any{"id": u.ID, "name": u.Name, "domain_id": u.DomainID, "admin": u.Admin,
		"projects": names, "created_at": u.CreatedAt.Format(timeFormat)}, nil
}

func (s *Service) handleAdminUserList(c *call) (*reply, error) {
	ctx := c.r.Context()
	users, err := s.st.UserList(ctx, &store.UserListParams{DomainID: c.p.DomainID})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	list := make([]map[string]any, 0, len(users))
	for i := range users {
		v, err := userView(ctx, s.st, &users[i])
		if err != nil {
			return nil, err
		}
		list = append(list, v)
	}
	return &reply{status: http.StatusOK, body: map[string]any{"users": list}}, nil
}

// userCreateRequest creates a user with its project grants (names or ids) and, optionally, its
// policy in one step; without a password one is generated and shown once.
type userCreateRequest struct {
	Name     string   `json:"name"`
	Password string   `json:"password"`
	Admin    bool     `json:"admin"`
	Projects []string `json:"projects"`
	Allow    []string `json:"allow"`
	Deny     []string `json:"deny"`
}

func (s *Service) handleAdminUserCreate(c *call) (*reply, error) {
	ctx := c.r.Context()
	var req userCreateRequest
	if err := decode(c, &req); err != nil {
		return nil, err
	}
	if !identName.MatchString(req.Name) {
		return nil, badRequest("user name %q must be 1 to 64 letters, digits or _ . @ -", req.Name)
	}
	if err := validPolicy(req.Allow, req.Deny); err != nil {
		return nil, err
	}
	password, generated := req.Password, false
	if password == "" {
		password, generated = newPassword(), true
	}
	if len(password) < 8 || len(password) > 72 {
		return nil, badRequest("password must have 8 to 72 bytes")
	}
	hash, err := s.hashPassword(password)
	if err != nil {
		return nil, err
	}
	u := &store.User{ID: newID(), DomainID: c.p.DomainID, Name: req.Name, PasswordHash: hash, Admin: req.Admin,
		CreatedAt: s.now()}
	var view map[string]any
	err = s.st.InTx(ctx, func(tx store.Store) error {
		if err := tx.UserInsert(ctx, u); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return conflict("user %s already exists", req.Name)
			}
			return fmt.Errorf("create user: %w", err)
		}
		for _, name := range req.Projects {
			p, err := findProject(ctx, tx, c.p.DomainID, name)
			if err != nil {
				return err
			}
			if err := tx.UserProjectInsert(ctx, &store.UserProject{UserID: u.ID, ProjectID: p.ID}); err != nil {
				return fmt.Errorf("grant project %s: %w", name, err)
			}
		}
		if len(req.Allow)+len(req.Deny) > 0 {
			if err := tx.PolicySet(ctx, &store.Policy{UserID: u.ID, Allow: req.Allow, Deny: req.Deny}); err != nil {
				return fmt.Errorf("set policy: %w", err)
			}
		}
		view, err = userView(ctx, tx, u)
		return err
	})
	if err != nil {
		return nil, err
	}
	if generated {
		view["password"] = password
	}
	return &reply{status: http.StatusCreated, body: map[string]any{"user": view}}, nil
}

// findProject resolves a project of the domain by id or name.
func findProject(ctx context.Context, st store.Store, domainID, idOrName string) (*store.Project, error) {
	p, err := st.ProjectGet(ctx, &store.ProjectGetParams{ID: idOrName, DomainID: domainID})
	if errors.Is(err, store.ErrNotFound) {
		p, err = st.ProjectGet(ctx, &store.ProjectGetParams{DomainID: domainID, Name: idOrName})
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("project %s not found", idOrName)
	}
	if err != nil {
		return nil, fmt.Errorf("look up project %s: %w", idOrName, err)
	}
	return p, nil
}

// findUserRef resolves a user of the domain by id or name.
func (s *Service) findUserRef(ctx context.Context, domainID, idOrName string) (*store.User, error) {
	u, err := s.st.UserGet(ctx, &store.UserGetParams{ID: idOrName, DomainID: domainID})
	if errors.Is(err, store.ErrNotFound) {
		u, err = s.st.UserGet(ctx, &store.UserGetParams{DomainID: domainID, Name: idOrName})
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, &cph.Error{Code: cph.CPS0243, Msg: fmt.Sprintf("User %s not found.", idOrName)}
	}
	if err != nil {
		return nil, fmt.Errorf("look up user %s: %w", idOrName, err)
	}
	return u, nil
}

func validPolicy(allow, deny []string) error {
	for _, a := range append(append([]string(nil), allow...), deny...) {
		if err := validAction(a); err != nil {
			return badRequest("%v", err)
		}
	}
	return nil
}

func policyView(u *store.User, p *store.Policy) map[string]any {
	v := map[string]any{"user_id": u.ID, "user_name": u.Name, "allow": nonNil(p.Allow), "deny": nonNil(p.Deny)}
	if !p.UpdatedAt.IsZero() {
		v["updated_at"] = p.UpdatedAt.Format(timeFormat)
	}
	return v
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Service) handleAdminPolicyGet(c *call) (*reply, error) {
	ctx := c.r.Context()
	u, err := s.findUserRef(ctx, c.p.DomainID, c.r.PathValue("user"))
	if err != nil {
		return nil, err
	}
	p, err := s.st.PolicyGet(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		p, err = &store.Policy{UserID: u.ID}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get policy: %w", err)
	}
	return &reply{status: http.StatusOK, body: map[string]any{"policy": policyView(u, p)}}, nil
}

func (s *Service) handleAdminPolicySet(c *call) (*reply, error) {
	ctx := c.r.Context()
	var req struct {
		Allow []string `json:"allow"`
		Deny  []string `json:"deny"`
	}
	if err := decode(c, &req); err != nil {
		return nil, err
	}
	if err := validPolicy(req.Allow, req.Deny); err != nil {
		return nil, err
	}
	u, err := s.findUserRef(ctx, c.p.DomainID, c.r.PathValue("user"))
	if err != nil {
		return nil, err
	}
	p := &store.Policy{UserID: u.ID, Allow: req.Allow, Deny: req.Deny, UpdatedAt: s.now()}
	if err := s.st.PolicySet(ctx, p); err != nil {
		return nil, fmt.Errorf("set policy: %w", err)
	}
	return &reply{status: http.StatusOK, body: map[string]any{"policy": policyView(u, p)}}, nil
}

func keyView(k *store.AccessKey, userName string) map[string]any {
	return map[string]any{"access_key": k.AccessKey, "user_id": k.UserID, "user_name": userName,
		"description": k.Description, "created_at": k.CreatedAt.Format(timeFormat)}
}

// handleAdminKeyList is GET /admin/v1/keys[?user=id-or-name]: the domain's keys, without secrets.
func (s *Service) handleAdminKeyList(c *call) (*reply, error) {
	ctx := c.r.Context()
	params := &store.AccessKeyListParams{DomainID: c.p.DomainID}
	if ref := c.r.URL.Query().Get("user"); ref != "" {
		u, err := s.findUserRef(ctx, c.p.DomainID, ref)
		if err != nil {
			return nil, err
		}
		params.UserID = u.ID
	}
	keys, err := s.st.AccessKeyList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("list access keys: %w", err)
	}
	users, err := s.st.UserList(ctx, &store.UserListParams{DomainID: c.p.DomainID})
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	names := make(map[string]string, len(users))
	for _, u := range users {
		names[u.ID] = u.Name
	}
	list := make([]map[string]any, 0, len(keys))
	for i := range keys {
		list = append(list, keyView(&keys[i], names[keys[i].UserID]))
	}
	return &reply{status: http.StatusOK, body: map[string]any{"keys": list}}, nil
}

// handleAdminKeyCreate is POST /admin/v1/keys {"user","description"}: a new AK/SK, the secret
// shown this once.
func (s *Service) handleAdminKeyCreate(c *call) (*reply, error) {
	ctx := c.r.Context()
	var req struct {
		User        string `json:"user"`
		Description string `json:"description"`
	}
	if err := decode(c, &req); err != nil {
		return nil, err
	}
	if req.User == "" {
		return nil, badRequest("user is required")
	}
	if len(req.Description) > 255 {
		return nil, badRequest("description is longer than 255 bytes")
	}
	u, err := s.findUserRef(ctx, c.p.DomainID, req.User)
	if err != nil {
		return nil, err
	}
	k := newAccessKey(u.ID, req.Description)
	k.CreatedAt = s.now()
	if err := s.st.AccessKeyInsert(ctx, k); err != nil {
		return nil, fmt.Errorf("create access key: %w", err)
	}
	view := keyView(k, u.Name)
	view["secret_key"] = k.Secret
	return &reply{status: http.StatusCreated, body: map[string]any{"key": view}}, nil
}

// handleAdminKeyDelete is DELETE /admin/v1/keys/{access_key}. The key signing the request itself
// is refused, so an admin cannot lock the CLI out by accident.
func (s *Service) handleAdminKeyDelete(c *call) (*reply, error) {
	ctx := c.r.Context()
	ak := c.r.PathValue("access_key")
	if ak == c.p.AccessKey {
		return nil, conflict("access key %s signs this request; delete it with another key", ak)
	}
	k, err := s.st.AccessKeyGet(ctx, ak)
	if err == nil {
		_, err = s.st.UserGet(ctx, &store.UserGetParams{ID: k.UserID, DomainID: c.p.DomainID})
	}
	if err == nil {
		err = s.st.AccessKeyDelete(ctx, ak)
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("access key %s not found", ak)
	}
	if err != nil {
		return nil, fmt.Errorf("delete access key: %w", err)
	}
	return &reply{status: http.StatusNoContent}, nil
}
