package iam

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/crypto/ssh"

	"github.com/opencph/opencph/internal/cph"
	"github.com/opencph/opencph/internal/store"
)

// The KPS actions that guard the keypair endpoints.
const (
	ActionKeypairCreate = "kps:SSHKeyPair:create"
	ActionKeypairList   = "kps:SSHKeyPair:list"
	ActionKeypairGet    = "kps:SSHKeyPair:get"
	ActionKeypairDelete = "kps:SSHKeyPair:delete"
)

// keypairName is KPS's rule: letters, digits, '_' and '-', at most 255 bytes.
var keypairName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,255}$`)

// rsaBits is the size of generated RSA keys.
const rsaBits = 3072

// KeypairGet returns a keypair of the project. A missing one is CPS.0067 ("Keypair could not
// found.", 400), as the purchase API reports it; errors.Is(err, store.ErrNotFound) also holds.
func (s *Service) KeypairGet(ctx context.Context, projectID, name string) (*store.Keypair, error) {
	k, err := s.st.KeypairGet(ctx, projectID, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &cph.Error{Code: cph.CPS0067, Msg: cph.CPS0067.Message(), Err: err}
	}
	if err != nil {
		return nil, fmt.Errorf("get keypair %s: %w", name, err)
	}
	return k, nil
}

// keypairCreateRequest is KPS's CreateKeypairRequestBody; Algorithm ("ed25519" or "rsa") is
// OpenCPH's addition for generated pairs.
type keypairCreateRequest struct {
	Keypair *struct {
		Name          string          `json:"name"`
		Type          string          `json:"type"`
		PublicKey     string          `json:"public_key"`
		Scope         string          `json:"scope"`
		UserID        string          `json:"user_id"`
		KeyProtection json.RawMessage `json:"key_protection"`
		Algorithm     string          `json:"algorithm"`
	} `json:"keypair"`
}

// handleKeypairCreate is POST /v3/{project_id}/keypairs: import a public key, or generate a pair
// and hand out its private key this once.
func (s *Service) handleKeypairCreate(c *call) (*reply, error) {
	ctx := c.r.Context()
	projectID := c.r.PathValue("project_id")
	if err := s.Authorize(ctx, c.p, projectID, ActionKeypairCreate); err != nil {
		return nil, err
	}
	var req keypairCreateRequest
	if err := decode(c, &req); err != nil {
		return nil, err
	}
	kr := req.Keypair
	switch {
	case kr == nil:
		return nil, badRequest("the body needs a keypair object")
	case !keypairName.MatchString(kr.Name):
		return nil, badRequest("keypair name %q must be 1 to 255 letters, digits, '_' or '-'", kr.Name)
	case kr.Type != "" && kr.Type != "ssh":
		return nil, badRequest("keypair type %q is not supported (only ssh)", kr.Type)
	case kr.Scope != "" && kr.Scope != "user" && kr.Scope != "domain":
		return nil, badRequest("keypair scope %q must be user or domain", kr.Scope)
	case len(kr.KeyProtection) > 0 && string(kr.KeyProtection) != "null":
		return nil, badRequest("key_protection (private key hosting) is not supported")
	}
	k := &store.Keypair{ProjectID: projectID, Name: kr.Name, Type: "ssh", Scope: kr.Scope, UserID: c.p.UserID,
		CreatedAt: s.now()}
	if k.Scope == "" {
		k.Scope = "user"
	}

	var privatePEM string
	var pub ssh.PublicKey
	if strings.TrimSpace(kr.PublicKey) != "" {
		var comment string
		var err error
		pub, comment, _, _, err = ssh.ParseAuthorizedKey([]byte(kr.PublicKey))
		if err != nil {
			return nil, badRequest("public_key is not an OpenSSH public key: %v", err)
		}
		k.PublicKey = authorizedKey(pub, comment)
	} else {
		var err error
		if pub, privatePEM, err = generateKey(kr.Algorithm, kr.Name); err != nil {
			return nil, err
		}
		k.PublicKey = authorizedKey(pub, kr.Name)
	}
	k.Algorithm = pub.Type()
	k.Fingerprint = ssh.FingerprintSHA256(pub)

	if err := s.st.KeypairInsert(ctx, k); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, conflict("keypair %s already exists", k.Name)
		}
		return nil, fmt.Errorf("store keypair: %w", err)
	}
	body := map[string]any{
		"name":        k.Name,
		"type":        k.Type,
		"public_key":  k.PublicKey,
		"fingerprint": k.Fingerprint,
		"user_id":     k.UserID,
	}
	if privatePEM != "" {
		body["private_key"] = privatePEM
	}
	return &reply{status: http.StatusOK, body: map[string]any{"keypair": body}}, nil
}

// authorizedKey is the one-line authorized_keys form, with the comment when there is one.
func authorizedKey(pub ssh.PublicKey, comment string) string {
	line := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(pub)))
	if comment = strings.TrimSpace(comment); comment != "" {
		line += " " + comment
	}
	return line
}

// generateKey makes a new pair and returns the public key and the private key in OpenSSH PEM.
// Ed25519 is the default: small, fast and accepted by every current SSH client.
func generateKey(algorithm, comment string) (ssh.PublicKey, string, error) {
	var priv any
	switch strings.ToLower(algorithm) {
	case "", "ed25519", "ssh-ed25519":
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, "", fmt.Errorf("generate ed25519 key: %w", err)
		}
		priv = k
	case "rsa", "ssh-rsa":
		k, err := rsa.GenerateKey(rand.Reader, rsaBits)
		if err != nil {
			return nil, "", fmt.Errorf("generate rsa key: %w", err)
		}
		priv = k
	default:
		return nil, "", badRequest("algorithm %q is not supported (ed25519 or rsa)", algorithm)
	}
	block, err := ssh.MarshalPrivateKey(priv, comment)
	if err != nil {
		return nil, "", fmt.Errorf("encode private key: %w", err)
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return nil, "", fmt.Errorf("derive public key: %w", err)
	}
	return signer.PublicKey(), string(pem.EncodeToMemory(block)), nil
}

// handleKeypairList is GET /v3/{project_id}/keypairs?limit=&marker=, paging by name.
func (s *Service) handleKeypairList(c *call) (*reply, error) {
	ctx := c.r.Context()
	projectID := c.r.PathValue("project_id")
	if err := s.Authorize(ctx, c.p, projectID, ActionKeypairList); err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, badRequest("limit %q must be an integer from 1 to 1000", v)
		}
		limit = n
	}
	// One more than asked tells whether a next page exists.
	page, err := s.st.KeypairList(ctx, &store.KeypairListParams{ProjectID: projectID, Marker: q.Get("marker"), Limit: limit + 1})
	if err != nil {
		return nil, fmt.Errorf("list keypairs: %w", err)
	}
	info := map[string]any{}
	if len(page) > limit {
		page = page[:limit]
		info["next_marker"] = page[limit-1].Name
	}
	info["current_count"] = len(page)
	list := make([]map[string]any, 0, len(page))
	for _, k := range page {
		list = append(list, map[string]any{"keypair": map[string]any{
			"name":              k.Name,
			"type":              k.Type,
			"scope":             k.Scope,
			"public_key":        k.PublicKey,
			"fingerprint":       k.Fingerprint,
			"is_key_protection": false,
			"frozen_state":      "0",
		}})
	}
	return &reply{status: http.StatusOK, body: map[string]any{"keypairs": list, "page_info": info}}, nil
}

// handleKeypairGet is GET /v3/{project_id}/keypairs/{keypair_name}.
func (s *Service) handleKeypairGet(c *call) (*reply, error) {
	ctx := c.r.Context()
	projectID := c.r.PathValue("project_id")
	if err := s.Authorize(ctx, c.p, projectID, ActionKeypairGet); err != nil {
		return nil, err
	}
	k, err := s.KeypairGet(ctx, projectID, c.r.PathValue("keypair_name"))
	if err != nil {
		return nil, keypairNotFound(err)
	}
	created := k.CreatedAt.Unix()
	return &reply{status: http.StatusOK, body: map[string]any{"keypair": map[string]any{
		"name":              k.Name,
		"type":              k.Type,
		"scope":             k.Scope,
		"public_key":        k.PublicKey,
		"fingerprint":       k.Fingerprint,
		"algorithm":         k.Algorithm,
		"user_id":           k.UserID,
		"is_key_protection": false,
		"deleted":           false,
		"description":       "",
		"frozen_state":      0,
		"create_time":       created,
		"update_time":       created,
	}}}, nil
}

// handleKeypairDelete is DELETE /v3/{project_id}/keypairs/{keypair_name}, answering 204.
func (s *Service) handleKeypairDelete(c *call) (*reply, error) {
	ctx := c.r.Context()
	projectID := c.r.PathValue("project_id")
	if err := s.Authorize(ctx, c.p, projectID, ActionKeypairDelete); err != nil {
		return nil, err
	}
	name := c.r.PathValue("keypair_name")
	if err := s.st.KeypairDelete(ctx, projectID, name); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = &cph.Error{Code: cph.CPS0067, Msg: cph.CPS0067.Message(), Err: err}
		}
		return nil, keypairNotFound(err)
	}
	return &reply{status: http.StatusNoContent}, nil
}

// keypairNotFound answers a missing keypair on the KPS endpoints with 404, where KPS does, while
// keeping CPS.0067 as the code CPH clients already know.
func keypairNotFound(err error) error {
	var e *cph.Error
	if errors.As(err, &e) && e.Code == cph.CPS0067 {
		return &cph.Error{Code: e.Code, Msg: e.Msg, Err: e.Err, Status: http.StatusNotFound}
	}
	return err
}
