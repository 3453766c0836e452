-- Secrets shared by every replica (the connection ticket key).
CREATE TABLE secrets (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
