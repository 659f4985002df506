-- Groups and plans: the definition as JSON, with the columns that are
-- looked up or sorted on kept beside it.
CREATE TABLE groups (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	version INTEGER NOT NULL,
	data    TEXT NOT NULL
);

CREATE TABLE plans (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL UNIQUE,
	version INTEGER NOT NULL,
	data    TEXT NOT NULL
);

-- One row per execution header. Times are Unix nanoseconds; a zero
-- lease_expiry means no lease. active is plan.Active(status) and
-- requested says that a control request is pending: together they make
-- the Actionable filter an index lookup. last_seq is the Seq of the
-- newest event.
CREATE TABLE executions (
	id           TEXT PRIMARY KEY,
	plan_id      TEXT NOT NULL,
	status       TEXT NOT NULL,
	active       INTEGER NOT NULL,
	requested    INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	lease_owner  TEXT NOT NULL DEFAULT '',
	lease_expiry INTEGER NOT NULL DEFAULT 0,
	last_seq     INTEGER NOT NULL DEFAULT 0,
	version      INTEGER NOT NULL,
	data         TEXT NOT NULL
);

CREATE INDEX executions_by_created ON executions (created_at DESC, id DESC);
CREATE INDEX executions_by_plan ON executions (plan_id, created_at DESC, id DESC);

-- At most one active execution per plan, enforced where no race can get
-- around it.
CREATE UNIQUE INDEX executions_one_active ON executions (plan_id) WHERE active = 1;

CREATE TABLE waves (
	execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	idx          INTEGER NOT NULL,
	version      INTEGER NOT NULL,
	data         TEXT NOT NULL,
	PRIMARY KEY (execution_id, idx)
) WITHOUT ROWID;

-- wave_idx is the index of the launch's wave, fixed when the execution is
-- created. The primary key is the listing order, so that listing an
-- execution's launches is one range scan; a launch is identified by its
-- wave's name, which the unique index finds for commits.
CREATE TABLE launches (
	execution_id     TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	wave_idx         INTEGER NOT NULL,
	source_server_id TEXT NOT NULL,
	wave             TEXT NOT NULL,
	version          INTEGER NOT NULL,
	data             TEXT NOT NULL,
	PRIMARY KEY (execution_id, wave_idx, source_server_id)
) WITHOUT ROWID;

CREATE UNIQUE INDEX launches_by_wave_name ON launches (execution_id, wave, source_server_id);

CREATE TABLE batches (
	execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	id           TEXT NOT NULL,
	request_time INTEGER NOT NULL,
	version      INTEGER NOT NULL,
	data         TEXT NOT NULL,
	PRIMARY KEY (execution_id, id)
) WITHOUT ROWID;

CREATE TABLE events (
	execution_id TEXT NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
	seq          INTEGER NOT NULL,
	data         TEXT NOT NULL,
	PRIMARY KEY (execution_id, seq)
) WITHOUT ROWID;
