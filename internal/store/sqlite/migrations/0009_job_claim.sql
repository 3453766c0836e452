-- The per-server claim counts, for each job it walks, the runnable jobs ahead of it on its server
-- and the server's live leases; these indexes answer both without a scan.
CREATE INDEX jobs_server_runnable ON jobs (server_id, run_after, begin_time, id) WHERE status = 1;
CREATE INDEX jobs_server_live ON jobs (server_id, lease_until) WHERE status = 1 AND lease_owner <> '';
