-- The latest application of each server's launch settings
-- (store.SettingsStore): one row per group and source server, the record
-- as JSON. Not tied to groups by a foreign key: an execution may record
-- settings of a group deleted since; deleting a group deletes its rows.
CREATE TABLE applied_settings (
	group_id         TEXT NOT NULL,
	source_server_id TEXT NOT NULL,
	data             TEXT NOT NULL,
	PRIMARY KEY (group_id, source_server_id)
) WITHOUT ROWID;
