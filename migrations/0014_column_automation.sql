-- Column automation: when a card enters a column, run a script in its worktree or start an agent on it.
ALTER TABLE runs DROP CONSTRAINT IF EXISTS runs_kind_check;
ALTER TABLE runs ADD CONSTRAINT runs_kind_check CHECK (kind IN ('agent', 'shell', 'script'));
-- A failed run the user has seen leaves the inbox.
ALTER TABLE runs ADD COLUMN dismissed_at timestamptz;

CREATE TABLE column_automations (
    project_id   uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    status       text NOT NULL CHECK (status IN ('todo', 'in_progress', 'in_review', 'done', 'cancelled')),
    action       text NOT NULL CHECK (action IN ('script', 'agent')),
    script       text NOT NULL DEFAULT '' CHECK (char_length(script) <= 100000),
    agent        text NOT NULL DEFAULT '',
    prompt       text NOT NULL DEFAULT '' CHECK (char_length(prompt) <= 100000),
    timeout_secs integer NOT NULL DEFAULT 600 CHECK (timeout_secs BETWEEN 1 AND 86400),
    wip_limit    integer CHECK (wip_limit BETWEEN 1 AND 100),
    paused       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (project_id, status),
    CHECK ((action = 'script' AND script <> '') OR (action = 'agent' AND agent <> ''))
);

-- One row per entry of a card into an automated column, written by the same transaction that moved the card
-- (so an entry is never missed, even by a crash, and never counted twice), then claimed once.
CREATE TABLE automation_firings (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    project_id   uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    task_id      uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    status       text NOT NULL,
    action       text NOT NULL,
    state        text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),
    run_id       uuid REFERENCES runs (id) ON DELETE SET NULL,
    -- The run whose end moved the card here, if one did (`viban.moved_by_run`, set by that transaction).
    cause_run    uuid,
    error        text,
    entered_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    ended_at     timestamptz,
    dismissed_at timestamptz
);
CREATE INDEX automation_firings_open ON automation_firings (project_id, status, entered_at)
    WHERE state IN ('pending', 'running');
CREATE INDEX automation_firings_run ON automation_firings (run_id) WHERE run_id IS NOT NULL;
CREATE INDEX automation_firings_failed ON automation_firings (entered_at)
    WHERE state = 'failed' AND dismissed_at IS NULL;

CREATE FUNCTION viban_automation_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.status IS DISTINCT FROM OLD.status THEN
        INSERT INTO automation_firings (project_id, task_id, status, action, cause_run)
        SELECT NEW.project_id, NEW.id, NEW.status, a.action,
               NULLIF(current_setting('viban.moved_by_run', true), '')::uuid
        FROM column_automations a
        WHERE a.project_id = NEW.project_id AND a.status = NEW.status AND NOT a.paused;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER tasks_automation_entry AFTER INSERT OR UPDATE OF status ON tasks
    FOR EACH ROW EXECUTE FUNCTION viban_automation_entry();
