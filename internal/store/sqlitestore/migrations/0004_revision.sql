-- revision counts the commits to an execution (plan.Execution.Revision),
-- so that a reader can tell from the header alone whether anything of it
-- changed.
ALTER TABLE executions ADD COLUMN revision INTEGER NOT NULL DEFAULT 1;
