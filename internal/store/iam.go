package store

import (
	"context"
	"time"
)

// Domain is an account: the owner of projects and users, as in Keystone and Huawei IAM.
type Domain struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// DomainGetParams finds a domain by ID or, when ID is empty, by name.
type DomainGetParams struct {
	ID   string
	Name string
}

// Project is the unit of isolation: every CPH resource belongs to exactly one project.
type Project struct {
	ID          string
	DomainID    string
	Name        string
	Description string
	CreatedAt   time.Time
}

// ProjectGetParams finds a project by ID or, when ID is empty, by DomainID and Name. A set
// DomainID also restricts a lookup by ID, so a caller cannot reach another domain's project.
type ProjectGetParams struct {
	ID       string
	DomainID string
	Name     string
}

// ProjectListParams filters projects; UserID keeps only the projects granted to that user.
type ProjectListParams struct {
	DomainID string
	Name     string
	UserID   string
}

// User is an identity that signs in with a password or signs requests with its access keys.
// Admin users may use every project of their domain and the admin API.
type User struct {
	ID           string
	DomainID     string
	Name         string
	PasswordHash string
	Admin        bool
	CreatedAt    time.Time
}

// UserGetParams finds a user by ID or, when ID is empty, by DomainID and Name. A set DomainID
// also restricts a lookup by ID.
type UserGetParams struct {
	ID       string
	DomainID string
	Name     string
}

// UserListParams filters users.
type UserListParams struct {
	DomainID string
}

// UserUpdateParams changes the fields that are set.
type UserUpdateParams struct {
	ID           string
	PasswordHash *string
}

// UserProject grants a user the use of a project.
type UserProject struct {
	UserID    string
	ProjectID string
}

// AccessKey is an AK/SK pair. The secret is kept as issued because verifying an HMAC signature
// needs it; the database file is the secret store.
type AccessKey struct {
	AccessKey   string
	UserID      string
	Secret      string
	Description string
	CreatedAt   time.Time
}

// AccessKeyListParams filters access keys, oldest first.
type AccessKeyListParams struct {
	DomainID string
	UserID   string
}

// Token is an issued token, known only by the SHA-256 of its value, so a leaked database does
// not hand out live tokens.
type Token struct {
	Hash      string // hex SHA-256 of the token value
	UserID    string
	ProjectID string // empty for an unscoped or domain-scoped token
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// TokenDeleteExpiredParams removes the tokens that expired before Before.
type TokenDeleteExpiredParams struct {
	Before time.Time
}

// Policy lists the actions a user may (Allow) and may not (Deny) perform; patterns may contain
// `*` wildcards and a Deny match wins.
type Policy struct {
	UserID    string
	Allow     []string
	Deny      []string
	UpdatedAt time.Time
}

// Keypair is an SSH public key registered in a project (Huawei KPS). The private key of a
// generated pair is handed out once and never stored.
type Keypair struct {
	ProjectID   string
	Name        string
	Type        string // ssh
	Scope       string // user or domain
	PublicKey   string
	Fingerprint string
	Algorithm   string // ssh-ed25519, ssh-rsa, ...
	UserID      string
	CreatedAt   time.Time
}

// KeypairListParams pages through a project's keypairs by name: Marker is the last name of the
// previous page; Limit 0 means no limit.
type KeypairListParams struct {
	ProjectID string
	Marker    string
	Limit     int
}

// IAM is the persistence of the embedded identity service: domains, projects, users, access keys,
// tokens, policies and keypairs. Inserts of a taken name or key are ErrConflict; lookups of
// missing rows are ErrNotFound.
type IAM interface {
	DomainInsert(ctx context.Context, d *Domain) error
	DomainGet(ctx context.Context, p *DomainGetParams) (*Domain, error)

	ProjectInsert(ctx context.Context, p *Project) error
	ProjectGet(ctx context.Context, p *ProjectGetParams) (*Project, error)
	// ProjectList returns projects ordered by name.
	ProjectList(ctx context.Context, p *ProjectListParams) ([]Project, error)

	UserInsert(ctx context.Context, u *User) error
	UserGet(ctx context.Context, p *UserGetParams) (*User, error)
	// UserList returns users ordered by name.
	UserList(ctx context.Context, p *UserListParams) ([]User, error)
	UserUpdate(ctx context.Context, p *UserUpdateParams) error

	// UserProjectInsert grants a project to a user; granting twice is not an error.
	UserProjectInsert(ctx context.Context, g *UserProject) error
	UserProjectGet(ctx context.Context, userID, projectID string) (*UserProject, error)

	AccessKeyInsert(ctx context.Context, k *AccessKey) error
	AccessKeyGet(ctx context.Context, accessKey string) (*AccessKey, error)
	AccessKeyList(ctx context.Context, p *AccessKeyListParams) ([]AccessKey, error)
	AccessKeyDelete(ctx context.Context, accessKey string) error

	TokenInsert(ctx context.Context, t *Token) error
	TokenGet(ctx context.Context, hash string) (*Token, error)
	// TokenDeleteExpired returns how many tokens it removed.
	TokenDeleteExpired(ctx context.Context, p *TokenDeleteExpiredParams) (int, error)

	// PolicySet replaces the user's policy.
	PolicySet(ctx context.Context, p *Policy) error
	PolicyGet(ctx context.Context, userID string) (*Policy, error)

	KeypairInsert(ctx context.Context, k *Keypair) error
	KeypairGet(ctx context.Context, projectID, name string) (*Keypair, error)
	KeypairList(ctx context.Context, p *KeypairListParams) ([]Keypair, error)
	KeypairDelete(ctx context.Context, projectID, name string) error
}
