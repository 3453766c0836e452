package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/opencph/opencph/internal/iam"
)

const adminUsage = `usage: cph admin [--credentials FILE] [--endpoint URL] <group> <verb> [arguments] [flags]

  projects list
  projects create NAME [--description TEXT]
  users list
  users create NAME [--password PASSWORD] [--project NAME_OR_ID]... [--admin]
                    [--allow ACTION]... [--deny ACTION]...
  keys list [--user USER]
  keys create --user USER [--description TEXT]
  keys delete ACCESS_KEY
  policies show --user USER
  policies set --user USER [--allow ACTION]... [--deny ACTION]...
  images import NAME --project NAME_OR_ID --image-version VERSION --label LABEL
                [--docker-image REF] [--sim-template DIR] [--encrypt]

Calls the admin API of a running server as the bootstrap admin and prints its JSON answer.
--credentials defaults to ./cph-data/admin-credentials.json; the endpoint defaults to the one in
that file. Flags may come anywhere; --project, --allow and --deny repeat or take comma-separated
lists. Actions are those of table 7-1 (cph:phones:restart), with * wildcards (cph:*:get, *).
New passwords and secret keys are shown once.
`

// listFlag collects a repeatable, comma-separable flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	for s := range strings.SplitSeq(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

// adminArgs holds every flag of every admin command; each command says which it accepts.
type adminArgs struct {
	credentials, endpoint string
	description, password string
	user                  string
	admin                 bool
	projects, allow, deny listFlag
	pos                   []string // arguments after group and verb

	// images import
	imageVersion, label, dockerImage, simTemplate string
	encrypt                                       bool
}

// adminRequest is the API call a command makes.
type adminRequest struct {
	method, path string
	body         any
}

type adminCommand struct {
	args  int      // positional arguments
	flags []string // command flags accepted besides --credentials and --endpoint
	build func(a *adminArgs) (*adminRequest, error)
}

var adminCommands = map[string]adminCommand{
	"projects list": {build: func(*adminArgs) (*adminRequest, error) {
		return &adminRequest{method: http.MethodGet, path: "/admin/v1/projects"}, nil
	}},
	"projects create": {args: 1, flags: []string{"description"}, build: func(a *adminArgs) (*adminRequest, error) {
		return &adminRequest{method: http.MethodPost, path: "/admin/v1/projects",
			body: map[string]any{"name": a.pos[0], "description": a.description}}, nil
	}},
	"users list": {build: func(*adminArgs) (*adminRequest, error) {
		return &adminRequest{method: http.MethodGet, path: "/admin/v1/users"}, nil
	}},
	"users create": {args: 1, flags: []string{"password", "project", "admin", "allow", "deny"},
		build: func(a *adminArgs) (*adminRequest, error) {
			return &adminRequest{method: http.MethodPost, path: "/admin/v1/users", body: map[string]any{
				"name": a.pos[0], "password": a.password, "admin": a.admin,
				"projects": nonEmpty(a.projects), "allow": nonEmpty(a.allow), "deny": nonEmpty(a.deny),
			}}, nil
		}},
	"keys list": {flags: []string{"user"}, build: func(a *adminArgs) (*adminRequest, error) {
		path := "/admin/v1/keys"
		if a.user != "" {
			path += "?" + url.Values{"user": {a.user}}.Encode()
		}
		return &adminRequest{method: http.MethodGet, path: path}, nil
	}},
	"keys create": {flags: []string{"user", "description"}, build: func(a *adminArgs) (*adminRequest, error) {
		if a.user == "" {
			return nil, errors.New("keys create needs --user")
		}
		return &adminRequest{method: http.MethodPost, path: "/admin/v1/keys",
			body: map[string]any{"user": a.user, "description": a.description}}, nil
	}},
	"keys delete": {args: 1, build: func(a *adminArgs) (*adminRequest, error) {
		return &adminRequest{method: http.MethodDelete, path: "/admin/v1/keys/" + url.PathEscape(a.pos[0])}, nil
	}},
	"policies show": {flags: []string{"user"}, build: func(a *adminArgs) (*adminRequest, error) {
		if a.user == "" {
			return nil, errors.New("policies show needs --user")
		}
		return &adminRequest{method: http.MethodGet, path: "/admin/v1/users/" + url.PathEscape(a.user) + "/policy"}, nil
	}},
	"images import": {args: 1, flags: []string{"project", "image-version", "label", "docker-image", "sim-template", "encrypt"},
		build: buildImageImport},
	"policies set": {flags: []string{"user", "allow", "deny"}, build: func(a *adminArgs) (*adminRequest, error) {
		if a.user == "" {
			return nil, errors.New("policies set needs --user")
		}
		return &adminRequest{method: http.MethodPut, path: "/admin/v1/users/" + url.PathEscape(a.user) + "/policy",
			body: map[string]any{"allow": nonEmpty(a.allow), "deny": nonEmpty(a.deny)}}, nil
	}},
}

// buildImageImport registers an image as a private image of one project. A sim template is sent
// as an absolute path, since the server resolves relative ones against its own data directory.
func buildImageImport(a *adminArgs) (*adminRequest, error) {
	if len(a.projects) != 1 {
		return nil, errors.New("images import needs exactly one --project")
	}
	refs := map[string]string{}
	if a.dockerImage != "" {
		refs["docker"] = a.dockerImage
	}
	if a.simTemplate != "" {
		dir, err := filepath.Abs(a.simTemplate)
		if err != nil {
			return nil, fmt.Errorf("--sim-template: %w", err)
		}
		refs["sim"] = dir
	}
	return &adminRequest{method: http.MethodPost, path: "/admin/v1/images", body: map[string]any{
		"project": a.projects[0], "image_name": a.pos[0], "image_version": a.imageVersion,
		"image_label": a.label, "is_support_encrypt": a.encrypt, "runtime_ref": refs,
	}}, nil
}

// nonEmpty sends an unset list as [] so the JSON is explicit.
func nonEmpty(l listFlag) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// runAdmin implements `cph admin …`: it parses the command, signs the admin API call with the
// bootstrap admin's AK/SK from the credentials file, and prints the JSON answer to stdout.
func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	a := &adminArgs{}
	fs := flag.NewFlagSet("cph admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, adminUsage) }
	fs.StringVar(&a.credentials, "credentials", "./cph-data/"+iam.CredentialsFile, "admin credentials file written by cph serve")
	fs.StringVar(&a.endpoint, "endpoint", "", "API base URL (default: the credentials file's)")
	fs.StringVar(&a.description, "description", "", "description of the project or key")
	fs.StringVar(&a.password, "password", "", "password of the new user (default: generated)")
	fs.StringVar(&a.user, "user", "", "user name or id")
	fs.BoolVar(&a.admin, "admin", false, "make the new user an admin of the domain")
	fs.Var(&a.projects, "project", "project name or id to grant (repeatable)")
	fs.Var(&a.allow, "allow", "action pattern to allow (repeatable)")
	fs.Var(&a.deny, "deny", "action pattern to deny (repeatable)")
	fs.StringVar(&a.imageVersion, "image-version", "", "AOSP version of the imported image (\"AOSP 11\")")
	fs.StringVar(&a.label, "label", "", "image_label: the phone models the image runs on (cloud_phone, …)")
	fs.StringVar(&a.dockerImage, "docker-image", "", "container image the docker runtime runs for the image")
	fs.StringVar(&a.simTemplate, "sim-template", "", "directory the sim runtime copies into new phones' data")
	fs.BoolVar(&a.encrypt, "encrypt", false, "the image supports file-level encryption")

	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		fmt.Fprint(stderr, adminUsage)
		return flag.ErrHelp
	}
	name := pos[0] + " " + pos[1]
	cmd, ok := adminCommands[name]
	if !ok {
		fmt.Fprint(stderr, adminUsage)
		return fmt.Errorf("unknown admin command %q", name)
	}
	a.pos = pos[2:]
	if len(a.pos) != cmd.args {
		return fmt.Errorf("admin %s takes %d argument(s), got %d", name, cmd.args, len(a.pos))
	}
	var stray []string
	fs.Visit(func(f *flag.Flag) {
		if f.Name != "credentials" && f.Name != "endpoint" && !slices.Contains(cmd.flags, f.Name) {
			stray = append(stray, "--"+f.Name)
		}
	})
	if len(stray) > 0 {
		return fmt.Errorf("admin %s does not take %s", name, strings.Join(stray, ", "))
	}
	req, err := cmd.build(a)
	if err != nil {
		return err
	}

	creds, err := iam.ReadCredentials(a.credentials)
	if err != nil {
		return fmt.Errorf("%w (is cph serve running with this data directory? see --credentials)", err)
	}
	endpoint := a.endpoint
	if endpoint == "" {
		endpoint = creds.Endpoint
	}
	if endpoint == "" {
		return fmt.Errorf("no endpoint in %s: pass --endpoint", a.credentials)
	}
	out, err := callAdmin(ctx, endpoint, iam.Signer{AccessKey: creds.AccessKey, SecretKey: creds.SecretKey}, req)
	if err != nil {
		return err
	}
	_, err = stdout.Write(out)
	return err
}

// parseInterleaved parses flags that may appear before, between and after positional arguments,
// which the flag package alone stops at; everything after "--" is positional.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var tail []string
	if i := slices.Index(args, "--"); i >= 0 {
		args, tail = args[:i], args[i+1:]
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, tail...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// callAdmin sends one signed request and returns its JSON answer indented, or the server's coded
// error.
func callAdmin(ctx context.Context, endpoint string, signer iam.Signer, r *adminRequest) ([]byte, error) {
	var raw []byte
	if r.body != nil {
		var err error
		if raw, err = json.Marshal(r.body); err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
	}
	req, err := http.NewRequestWithContext(ctx, r.method, strings.TrimSuffix(endpoint, "/")+r.path, bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if err := signer.Sign(req, raw); err != nil {
		return nil, err
	}
	client := &http.Client{Timeout: 30 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("call %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Code string `json:"error_code"`
			Msg  string `json:"error_msg"`
		}
		if json.Unmarshal(body, &e) == nil && e.Code != "" {
			return nil, fmt.Errorf("%s %s: %s %s (HTTP %d)", r.method, r.path, e.Code, e.Msg, resp.StatusCode)
		}
		return nil, fmt.Errorf("%s %s: HTTP %d: %s", r.method, r.path, resp.StatusCode, bytes.TrimSpace(body))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte(`{"ok":true}`)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, body, "", "  "); err != nil {
		return nil, fmt.Errorf("answer is not JSON: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}
