-- Calls admitted under sliding-window quotas (sync-commands, 5.7.5): one row per call, removed
-- once it has left its window.
CREATE TABLE rate_calls (
	key     TEXT    NOT NULL,
	at      INTEGER NOT NULL, -- unix microseconds
	expires INTEGER NOT NULL  -- at plus the window: past it the row counts for nothing
);
CREATE INDEX rate_calls_key_at ON rate_calls (key, at);
CREATE INDEX rate_calls_expires ON rate_calls (expires);
