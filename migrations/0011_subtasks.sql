-- A task can be a subtask of another in the same project (an agent splitting its work through MCP, or the user).
ALTER TABLE tasks ADD COLUMN parent_id uuid REFERENCES tasks (id) ON DELETE SET NULL;
CREATE INDEX tasks_parent ON tasks (parent_id) WHERE parent_id IS NOT NULL;
