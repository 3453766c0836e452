-- Resource tags (5.8). One row per key of a resource; the only resource type is 'cph-server',
-- whose resource_id is a servers.id of the same project.
CREATE TABLE tags (
    project_id    TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    key           TEXT NOT NULL,
    value         TEXT NOT NULL,
    PRIMARY KEY (project_id, resource_type, resource_id, key)
) WITHOUT ROWID;
-- The filter's EXISTS per key probes the primary key (resource, key) for each candidate server;
-- this index serves the project's key list (5.8.1) without touching the table, and lets the
-- planner start from the rarest key/value when that is cheaper than walking the servers.
CREATE INDEX tags_key_value ON tags (project_id, resource_type, key, value, resource_id);

-- A server's tags go with it, whichever code path deletes the row.
CREATE TRIGGER servers_delete_tags AFTER DELETE ON servers
BEGIN
    DELETE FROM tags
    WHERE project_id = OLD.project_id AND resource_type = 'cph-server' AND resource_id = OLD.id;
END;

-- The filter's resource_name match (exact) without scanning the project.
CREATE INDEX servers_project_name ON servers (project_id, name);
