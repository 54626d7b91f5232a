-- A run is an agent at work or a plain shell the user opened in the worktree. Shells share the runs machinery
-- (PTY, transcript, ledger, stop ladder, crash reaping) but never move the card, queue or notify.
ALTER TABLE runs ADD COLUMN kind text NOT NULL DEFAULT 'agent' CHECK (kind IN ('agent', 'shell'));
