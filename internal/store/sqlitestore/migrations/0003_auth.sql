-- API tokens, browser sessions (store.AuthStore) and the audit trail
-- (store.AuditStore). Secrets are never stored: hash is SHA-256 of one.
-- Times are Unix nanoseconds.
CREATE TABLE tokens (
	id      TEXT PRIMARY KEY,
	created INTEGER NOT NULL,
	data    TEXT NOT NULL
);
CREATE TABLE sessions (
	id      TEXT PRIMARY KEY,
	expires INTEGER NOT NULL,
	data    TEXT NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires);
CREATE TABLE audit (
	id     TEXT PRIMARY KEY,
	time   INTEGER NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	data   TEXT NOT NULL
);
CREATE INDEX audit_time ON audit (time DESC, id DESC);
