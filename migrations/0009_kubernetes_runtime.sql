-- Runs can also be Kubernetes Jobs on a cluster; a project can send its runs there by default.
ALTER TABLE runs DROP CONSTRAINT IF EXISTS runs_runtime_check;
ALTER TABLE runs ADD CONSTRAINT runs_runtime_check CHECK (runtime IN ('local', 'container', 'kubernetes'));
ALTER TABLE projects DROP CONSTRAINT IF EXISTS projects_default_runtime_check;
ALTER TABLE projects ADD CONSTRAINT projects_default_runtime_check
    CHECK (default_runtime IN ('profile', 'local', 'container', 'kubernetes'));
