-- Where a run's agent ran: a PTY on this machine (`local`) or a container; for a container its image and limits,
-- as the card and the run show them.
ALTER TABLE runs ADD COLUMN runtime text NOT NULL DEFAULT 'local' CHECK (runtime IN ('local', 'container'));
ALTER TABLE runs ADD COLUMN runtime_detail text;
