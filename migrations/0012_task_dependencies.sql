-- A task can be blocked by others of its project: it cannot start until they are Done.
CREATE TABLE task_dependencies (
    task_id    uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    blocker_id uuid NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (task_id, blocker_id),
    CHECK (task_id <> blocker_id)
);
CREATE INDEX task_dependencies_blocker ON task_dependencies (blocker_id);

-- Start an agent on a task once its last blocker is Done: claimed by setting fired_at, so it fires once.
CREATE TABLE task_auto_starts (
    task_id  uuid PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE,
    agent    text NOT NULL CHECK (agent <> ''),
    prompt   text NOT NULL CHECK (char_length(prompt) <= 100000),
    fired_at timestamptz
);
