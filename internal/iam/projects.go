package iam

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/opencph/opencph/internal/store"
)

// handleProjectList is GET /v3/projects and GET /v3/auth/projects: the projects the caller may
// use, optionally filtered by ?name= (and ?domain_id=). The SDKs call it with AK/SK and the
// region id as name to find the project id when none is configured, and expect exactly one.
func (s *Service) handleProjectList(c *call) (*reply, error) {
	q := c.r.URL.Query()
	if d := q.Get("domain_id"); d != "" && d != c.p.DomainID {
		return &reply{status: http.StatusOK, body: s.projectsBody(nil)}, nil
	}
	projects, err := s.usableProjects(c.r.Context(), c.p, q.Get("name"))
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: s.projectsBody(projects)}, nil
}

// usableProjects lists the projects of p's domain that p may use.
func (s *Service) usableProjects(ctx context.Context, p *Principal, name string) ([]store.Project, error) {
	params := &store.ProjectListParams{DomainID: p.DomainID, Name: name}
	if !p.Admin {
		params.UserID = p.UserID
	}
	projects, err := s.st.ProjectList(ctx, params)
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	return projects, nil
}

func (s *Service) link(path string) string { return strings.TrimSuffix(s.cfg.Endpoint, "/") + path }

func (s *Service) projectsBody(projects []store.Project) map[string]any {
	list := make([]map[string]any, 0, len(projects))
	for _, p := range projects {
		list = append(list, map[string]any{
			"id":          p.ID,
			"name":        p.Name,
			"domain_id":   p.DomainID,
			"enabled":     true,
			"is_domain":   false,
			"parent_id":   p.DomainID,
			"description": p.Description,
			"links":       map[string]string{"self": s.link("/v3/projects/" + p.ID)},
		})
	}
	return map[string]any{
		"projects": list,
		"links":    map[string]any{"self": s.link("/v3/projects"), "previous": nil, "next": nil},
	}
}

// handleDomainList is GET /v3/auth/domains: the caller's own domain, which the SDKs' global
// credentials look up to learn the domain id.
func (s *Service) handleDomainList(c *call) (*reply, error) {
	return &reply{status: http.StatusOK, body: map[string]any{
		"domains": []map[string]any{{
			"id":          c.p.DomainID,
			"name":        c.p.DomainName,
			"enabled":     true,
			"description": "",
			"links":       map[string]string{"self": s.link("/v3/domains/" + c.p.DomainID)},
		}},
		"links": map[string]any{"self": s.link("/v3/auth/domains"), "previous": nil, "next": nil},
	}}, nil
}
