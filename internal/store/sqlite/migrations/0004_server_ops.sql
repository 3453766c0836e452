-- Server operations (5.1.5, 5.1.6, 5.1.12, 5.2.2, 5.5.1, 5.6.2) need no new columns: a switch and a
-- model change rewrite columns the servers table has. A bandwidth resize looks up the servers that
-- use the bandwidth, to apply the new size to their hosts.
CREATE INDEX servers_project_bandwidth ON servers (project_id, bandwidth_id);
