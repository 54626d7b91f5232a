-- A project's image and limits for its container and Kubernetes runs, over the agents' profiles.
ALTER TABLE projects ADD COLUMN runtime_options jsonb NOT NULL DEFAULT '{}';
