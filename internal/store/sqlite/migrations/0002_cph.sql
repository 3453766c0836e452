-- The CPH resources: host inventory, servers, bandwidths, phones and the job queue.
-- Times are INTEGER unix microseconds UTC; a NULL time column means the zero time.
-- There are no foreign keys between these tables on purpose: jobs outlive the servers and phones
-- they acted on (clients query them afterwards), and the domain writes related rows in one
-- transaction anyway.

-- A host holds at most one server; server_id is NULL while the host is free.
CREATE TABLE hosts (
    id                TEXT PRIMARY KEY,
    driver            TEXT NOT NULL,
    server_model_name TEXT NOT NULL,
    server_ip         TEXT NOT NULL DEFAULT '',
    public_ip         TEXT NOT NULL DEFAULT '',
    server_id         TEXT,
    created_at        INTEGER NOT NULL
);
-- HostAllocate scans the free hosts of one model in (created_at, id) order.
CREATE INDEX hosts_free ON hosts (server_model_name, created_at, id) WHERE server_id IS NULL;
-- HostGetByServer / HostRelease, and no server can hold two hosts.
CREATE UNIQUE INDEX hosts_server ON hosts (server_id) WHERE server_id IS NOT NULL;

-- The primary key is what makes a port impossible to hand out twice; it also serves the
-- lowest-free-port gap search.
CREATE TABLE port_allocations (
    host_id  TEXT NOT NULL,
    port     INTEGER NOT NULL,
    phone_id TEXT NOT NULL,
    name     TEXT NOT NULL,
    PRIMARY KEY (host_id, port)
) WITHOUT ROWID;
CREATE INDEX port_allocations_phone ON port_allocations (phone_id, port);

CREATE TABLE servers (
    id                    TEXT PRIMARY KEY,
    project_id            TEXT NOT NULL,
    name                  TEXT NOT NULL,
    server_model_name     TEXT NOT NULL DEFAULT '',
    phone_model_name      TEXT NOT NULL DEFAULT '',
    image_id              TEXT NOT NULL DEFAULT '',
    keypair_name          TEXT NOT NULL DEFAULT '',
    status                INTEGER NOT NULL,
    availability_zone     TEXT NOT NULL DEFAULT '',
    vpc_id                TEXT NOT NULL DEFAULT '',
    vpc_cidr              TEXT NOT NULL DEFAULT '',
    subnet_id             TEXT NOT NULL DEFAULT '',
    subnet_cidr           TEXT NOT NULL DEFAULT '',
    network_version       TEXT NOT NULL DEFAULT '',
    enterprise_project_id TEXT NOT NULL DEFAULT '',
    order_id              TEXT NOT NULL DEFAULT '',
    product_id            TEXT NOT NULL DEFAULT '',
    charging_mode         INTEGER NOT NULL DEFAULT 0,
    host_id               TEXT NOT NULL DEFAULT '',
    bandwidth_id          TEXT NOT NULL DEFAULT '',
    ports                 TEXT NOT NULL DEFAULT '[]', -- JSON array of store.Port
    phone_volume_type     TEXT NOT NULL DEFAULT '',
    phone_volume_size     INTEGER NOT NULL DEFAULT 0,
    share_volume_type     TEXT NOT NULL DEFAULT '',
    share_volume_size     INTEGER NOT NULL DEFAULT 0,
    encode_server_id      TEXT NOT NULL DEFAULT '',
    encode_server_status  INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
-- Lists are per project, newest first; the index is walked backwards.
CREATE INDEX servers_project_created ON servers (project_id, created_at, id);

CREATE TABLE bandwidths (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL,
    name        TEXT NOT NULL DEFAULT '',
    size        INTEGER NOT NULL DEFAULT 0,
    charge_mode INTEGER NOT NULL DEFAULT 0,
    share_type  INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX bandwidths_project_created ON bandwidths (project_id, created_at, id);

CREATE TABLE phones (
    id               TEXT PRIMARY KEY,
    project_id       TEXT NOT NULL,
    server_id        TEXT NOT NULL,
    name             TEXT NOT NULL,
    phone_model_name TEXT NOT NULL DEFAULT '',
    image_id         TEXT NOT NULL DEFAULT '',
    status           INTEGER NOT NULL,
    type             INTEGER NOT NULL DEFAULT 0,
    imei             TEXT NOT NULL DEFAULT '',
    traffic_type     TEXT NOT NULL DEFAULT '',
    volume_mode      INTEGER NOT NULL DEFAULT 0,
    volume_type      TEXT NOT NULL DEFAULT '',
    volume_size      INTEGER NOT NULL DEFAULT 0,
    property         TEXT NOT NULL DEFAULT '',
    phone_ip         TEXT NOT NULL DEFAULT '',
    idx              INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
-- A project's phones newest first (the console's main list), and a server's phones newest first;
-- project_id leads both so that with both filters the planner prefers the narrower index.
CREATE INDEX phones_project_created ON phones (project_id, created_at, id);
CREATE INDEX phones_server_created ON phones (project_id, server_id, created_at, id);
-- Status filters ("all my stopped phones") without scanning the project.
CREATE INDEX phones_project_status_created ON phones (project_id, status, created_at, id);

-- The durable job queue. A job is running (status 1) until finished; lease_owner/lease_until say
-- which worker holds it. lease_until is NULL when nobody ever held it or the lease was cleared.
CREATE TABLE jobs (
    id          TEXT PRIMARY KEY,
    project_id  TEXT NOT NULL,
    request_id  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    server_id   TEXT NOT NULL DEFAULT '',
    phone_id    TEXT NOT NULL DEFAULT '',
    payload     BLOB,
    status      INTEGER NOT NULL,
    error_code  TEXT NOT NULL DEFAULT '',
    error_msg   TEXT NOT NULL DEFAULT '',
    execute_msg TEXT NOT NULL DEFAULT '',
    attempt     INTEGER NOT NULL DEFAULT 0,
    lease_owner TEXT NOT NULL DEFAULT '',
    lease_until INTEGER,
    run_after   INTEGER NOT NULL,
    begin_time  INTEGER NOT NULL,
    end_time    INTEGER
);
-- JobClaim walks the running jobs in claim order; finished jobs never enter this index.
CREATE INDEX jobs_runnable ON jobs (run_after, begin_time, id) WHERE status = 1;
-- JobClaim's per-server bound counts the live leases of each server.
CREATE INDEX jobs_server_lease ON jobs (server_id, lease_until) WHERE status = 1;
-- JobList: a project's jobs of some requests, newest first.
CREATE INDEX jobs_project_request ON jobs (project_id, request_id, begin_time, id);
-- The cleaner deletes finished jobs by age.
CREATE INDEX jobs_finished ON jobs (end_time) WHERE status <> 1;
