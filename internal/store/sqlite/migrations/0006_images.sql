-- Custom phone images (section 5.9): a project's private images and the projects each is shared
-- with. Times are INTEGER unix microseconds UTC, as in 0002.

CREATE TABLE images (
    id              TEXT PRIMARY KEY,
    project_id      TEXT NOT NULL,             -- the owner
    domain_id       TEXT NOT NULL DEFAULT '',  -- the owner's domain, shown as domain_id
    name            TEXT NOT NULL,
    version         TEXT NOT NULL DEFAULT '',  -- image_version / os_name, "AOSP 11"
    label           TEXT NOT NULL DEFAULT '',  -- image_label of table 5-125
    status          INTEGER NOT NULL,          -- 0 creating, 1 ready, 2 failed
    size            INTEGER NOT NULL DEFAULT 0,
    support_encrypt INTEGER NOT NULL DEFAULT 0,
    source_phone_id TEXT NOT NULL DEFAULT '',
    runtime_ref     TEXT NOT NULL DEFAULT '{}', -- JSON object: driver name -> the driver's reference
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- A project's own images newest first.
CREATE INDEX images_project_created ON images (project_id, created_at, id);

-- member_id is the project an image is shared with. The primary key refuses a second share with
-- the same project and serves "who is this image shared with"; the second index serves "what is
-- shared with this project".
CREATE TABLE image_members (
    image_id   TEXT NOT NULL,
    member_id  TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (image_id, member_id)
) WITHOUT ROWID;
CREATE INDEX image_members_member ON image_members (member_id, image_id);

-- Deleting an image is refused while any phone, of any project, was created from it.
CREATE INDEX phones_image ON phones (image_id);
