-- Projects, tasks and the append-only task history, with a change feed on projects and tasks.
-- Forward-only: never edit this file once it has landed; add a new migration instead.

CREATE TABLE projects (
    id             uuid PRIMARY KEY,
    name           text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    repo_path      text NOT NULL UNIQUE,
    default_branch text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tasks (
    id          uuid PRIMARY KEY,
    project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    description text NOT NULL DEFAULT '',
    status      text NOT NULL CHECK (status IN ('todo', 'in_progress', 'in_review', 'done', 'cancelled')),
    -- Fractional sort key (hex string, compared bytewise): a move writes one row, never renumbers a column.
    position    text COLLATE "C" NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_board ON tasks (project_id, status, position, id);

-- History outlives the task it describes (no foreign key), and is never rewritten.
CREATE TABLE task_events (
    id         bigserial PRIMARY KEY,
    task_id    uuid NOT NULL,
    project_id uuid NOT NULL,
    kind       text NOT NULL,
    data       jsonb NOT NULL DEFAULT '{}'::jsonb,
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX task_events_task ON task_events (task_id, id);

CREATE FUNCTION viban_refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'task_events is append-only';
END $$;
CREATE TRIGGER task_events_append_only BEFORE UPDATE OR DELETE ON task_events
    FOR EACH ROW EXECUTE FUNCTION viban_refuse_rewrite();

-- Change feed: a small payload per row change; the server fans it out to WebSocket clients.
CREATE FUNCTION viban_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_data record;
    project uuid;
BEGIN
    IF TG_OP = 'DELETE' THEN row_data := OLD; ELSE row_data := NEW; END IF;
    IF TG_TABLE_NAME = 'tasks' THEN project := row_data.project_id; ELSE project := row_data.id; END IF;
    PERFORM pg_notify('viban_changes', json_build_object(
        'table', CASE TG_TABLE_NAME WHEN 'tasks' THEN 'task' ELSE 'project' END,
        'op', lower(TG_OP),
        'id', row_data.id,
        'project_id', project)::text);
    RETURN NULL;
END $$;
CREATE TRIGGER projects_notify AFTER INSERT OR UPDATE OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION viban_notify_change();
CREATE TRIGGER tasks_notify AFTER INSERT OR UPDATE OR DELETE ON tasks
    FOR EACH ROW EXECUTE FUNCTION viban_notify_change();
