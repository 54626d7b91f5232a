-- Review comments on a run's change, per file and line. `line_text` is the line as it read when the comment was
-- written: when the file later says something else there, the comment is shown as outdated at its old place (never
-- dropped). A comment belongs to the run it was made on; every run of the same worktree (its follow-ups) lists it.
-- `path` is the path as the diff API lists it (lossy UTF-8). `sent_in_run`: the follow-up run it was sent to.

CREATE TABLE review_comments (
    id          uuid PRIMARY KEY,
    run_id      uuid NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    path        text NOT NULL CHECK (path <> ''),
    side        text NOT NULL CHECK (side IN ('old', 'new')),
    line        integer NOT NULL CHECK (line >= 1),
    line_text   text NOT NULL,
    body        text NOT NULL CHECK (char_length(body) BETWEEN 1 AND 10000),
    resolved    boolean NOT NULL DEFAULT false,
    sent_in_run uuid REFERENCES runs(id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_comments_run ON review_comments (run_id, created_at);

-- The change feed: `id` is the run the comment was made on (what a Changes view refetches by).
CREATE FUNCTION viban_notify_comment() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    row_data record;
BEGIN
    IF TG_OP = 'DELETE' THEN row_data := OLD; ELSE row_data := NEW; END IF;
    PERFORM pg_notify('viban_changes', json_build_object(
        'table', 'comment',
        'op', lower(TG_OP),
        'id', row_data.run_id,
        'project_id', (SELECT project_id FROM runs WHERE id = row_data.run_id))::text);
    RETURN NULL;
END $$;
CREATE TRIGGER review_comments_notify AFTER INSERT OR UPDATE OR DELETE ON review_comments
    FOR EACH ROW EXECUTE FUNCTION viban_notify_comment();
