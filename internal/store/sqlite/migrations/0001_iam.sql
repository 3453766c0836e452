-- The embedded identity service: domains, projects, users, grants, access keys, tokens, policies
-- and KPS keypairs. Times are INTEGER unix microseconds UTC. Names are unique per domain, as in
-- Keystone, and everything a user owns goes when the user goes.

CREATE TABLE iam_domains (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE iam_projects (
    id          TEXT PRIMARY KEY,
    domain_id   TEXT NOT NULL REFERENCES iam_domains (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE iam_users (
    id            TEXT PRIMARY KEY,
    domain_id     TEXT NOT NULL REFERENCES iam_domains (id),
    name          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    admin         INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL,
    UNIQUE (domain_id, name)
);

CREATE TABLE iam_user_projects (
    user_id    TEXT NOT NULL REFERENCES iam_users (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL REFERENCES iam_projects (id) ON DELETE CASCADE,
    PRIMARY KEY (user_id, project_id)
) WITHOUT ROWID;
-- ProjectList by user.
CREATE INDEX iam_user_projects_project ON iam_user_projects (project_id);

CREATE TABLE iam_access_keys (
    access_key  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES iam_users (id) ON DELETE CASCADE,
    secret      TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
);
CREATE INDEX iam_access_keys_user ON iam_access_keys (user_id, created_at);

-- hash is the hex SHA-256 of the token; the token itself is never stored.
CREATE TABLE iam_tokens (
    hash       TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES iam_users (id) ON DELETE CASCADE,
    project_id TEXT NOT NULL DEFAULT '',
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX iam_tokens_expires ON iam_tokens (expires_at);

-- allow and deny are JSON arrays of action patterns.
CREATE TABLE iam_policies (
    user_id    TEXT PRIMARY KEY REFERENCES iam_users (id) ON DELETE CASCADE,
    allow      TEXT NOT NULL DEFAULT '[]',
    deny       TEXT NOT NULL DEFAULT '[]',
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE iam_keypairs (
    project_id  TEXT NOT NULL REFERENCES iam_projects (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    type        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    public_key  TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    algorithm   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (project_id, name)
) WITHOUT ROWID;
