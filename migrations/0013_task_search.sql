-- Task search (the MCP `list_tasks`, `#id` and text) without reading every task of a big project: trigram indexes,
-- where the server has pg_trgm (the embedded PostgreSQL does; a managed one may not, and then search still works,
-- by scanning).
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm;
    CREATE INDEX IF NOT EXISTS tasks_title_trgm ON tasks USING gin (title gin_trgm_ops);
    CREATE INDEX IF NOT EXISTS tasks_description_trgm ON tasks USING gin (description gin_trgm_ops);
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm is not available (%): task search scans', SQLERRM;
END $$;
