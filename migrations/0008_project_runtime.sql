-- Where a project's runs go unless the start form says otherwise: as each agent's profile says (`profile`), on this
-- machine, or in a container.
ALTER TABLE projects ADD COLUMN default_runtime text NOT NULL DEFAULT 'profile'
    CHECK (default_runtime IN ('profile', 'local', 'container'));
