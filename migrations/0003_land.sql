-- Pull requests opened for a run's branch (through gh or glab). Keyed by branch: follow-up runs share it. The
-- state is what the provider reported at `checked_at`; open ones are polled.

CREATE TABLE pull_requests (
    project_id  uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    branch      text NOT NULL,
    task_id     uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
    provider    text NOT NULL CHECK (provider IN ('github', 'gitlab')),
    url         text NOT NULL,
    number      bigint NOT NULL,
    state       text NOT NULL CHECK (state IN ('open', 'merged', 'closed')),
    checks      text CHECK (checks IN ('pending', 'passing', 'failing')),
    checked_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, branch)
);

CREATE INDEX pull_requests_open ON pull_requests (checked_at) WHERE state = 'open';
