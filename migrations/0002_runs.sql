-- Agent runs and their transcripts. A run row is also the process ledger entry: pid + its start time (clock ticks
-- since boot) + the boot id, so a crashed app's agents can be reaped at the next start without ever killing a
-- process that merely reused the pid.

CREATE TABLE runs (
    id              uuid PRIMARY KEY,
    task_id         uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    project_id      uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    agent           text NOT NULL,
    prompt          text NOT NULL,
    follow_up_of    uuid REFERENCES runs(id) ON DELETE SET NULL,
    status          text NOT NULL CHECK (status IN
                        ('queued', 'starting', 'running', 'succeeded', 'failed', 'stopped', 'interrupted')),
    exit_code       integer,
    error           text,
    worktree_path   text NOT NULL,
    branch          text NOT NULL,
    base_ref        text NOT NULL,
    base_commit     text NOT NULL DEFAULT '',
    worktree_removed boolean NOT NULL DEFAULT false,
    changed_files   integer NOT NULL DEFAULT 0,
    output_bytes    bigint NOT NULL DEFAULT 0,
    cols            integer NOT NULL DEFAULT 120,
    rows            integer NOT NULL DEFAULT 32,
    warnings        text[] NOT NULL DEFAULT '{}',
    pid             integer,
    pid_start_ticks bigint,
    boot_id         text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    started_at      timestamptz,
    finished_at     timestamptz
);
CREATE INDEX runs_task ON runs (task_id, created_at DESC);
CREATE INDEX runs_project ON runs (project_id, created_at DESC);
CREATE INDEX runs_active ON runs (created_at) WHERE status IN ('queued', 'starting', 'running');

-- Raw PTY output in order. `byte_offset` is the run's output offset of the chunk's first byte; `at_ms` the time since
-- the run started; `raw_len` the length of the output the chunk holds. `codec` 1 means `data` is LZ4 (block format,
-- size prepended), compressed by viban before the write: terminal output shrinks ~5-10×, which is what keeps a
-- flooding agent from being limited by the disk. PostgreSQL's own compression is off for it (already compressed).
CREATE TABLE run_chunks (
    run_id      uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    byte_offset bigint NOT NULL,
    at_ms       bigint NOT NULL,
    raw_len     integer NOT NULL,
    codec       smallint NOT NULL DEFAULT 0 CHECK (codec IN (0, 1)),
    data        bytea NOT NULL,
    PRIMARY KEY (run_id, byte_offset)
);
ALTER TABLE run_chunks ALTER COLUMN data SET STORAGE EXTERNAL;

CREATE OR REPLACE FUNCTION viban_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_data record;
    project uuid;
BEGIN
    IF TG_OP = 'DELETE' THEN row_data := OLD; ELSE row_data := NEW; END IF;
    IF TG_TABLE_NAME IN ('tasks', 'runs') THEN project := row_data.project_id; ELSE project := row_data.id; END IF;
    PERFORM pg_notify('viban_changes', json_build_object(
        'table', CASE TG_TABLE_NAME WHEN 'tasks' THEN 'task' WHEN 'runs' THEN 'run' ELSE 'project' END,
        'op', lower(TG_OP),
        'id', row_data.id,
        'project_id', project)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER runs_notify AFTER INSERT OR UPDATE OR DELETE ON runs
    FOR EACH ROW EXECUTE FUNCTION viban_notify_change();

-- Per-project run preparation: a setup script run in each new worktree, and files copied into it (e.g. `.env`).
ALTER TABLE projects ADD COLUMN setup_script text NOT NULL DEFAULT '';
ALTER TABLE projects ADD COLUMN copy_files text[] NOT NULL DEFAULT '{}';
