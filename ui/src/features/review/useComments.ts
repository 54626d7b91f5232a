// A run's review comments, kept live: loaded once, updated by this tab's own actions, and refetched (coalesced)
// when the change feed reports a comment change (another tab, a tool) or asks for a resync.
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../api/client';
import { useLiveSubscription } from '../connection/useLiveEvents';
import { upsertComment, type CommentSide, type ReviewComment } from './comments';
import { addComment, deleteComment, listComments, updateComment } from '../../api/review';

const COALESCE_MS = 150;

export function useComments(runId: string) {
  const [comments, setComments] = useState<ReviewComment[]>([]);
  const [error, setError] = useState<string | null>(null);
  const generation = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const load = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const list = await listComments(runId);
      if (mine !== generation.current) return;
      setComments(list);
      setError(null);
    } catch (e) {
      if (mine === generation.current) setError(errorMessage(e));
    }
  }, [runId]);

  useEffect(() => {
    void load();
    return () => {
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    };
  }, [load]);

  const schedule = useCallback(() => {
    if (timer.current !== null) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void load();
    }, COALESCE_MS);
  }, [load]);

  useLiveSubscription({
    onEvent: (e) => {
      // Comments are shared by the runs of one worktree: any comment change may be ours. The file's lines moving
      // (run_files) changes which comments are outdated.
      if (e.type === 'change' && (e.table as string) === 'comment') schedule();
      else if (e.type === 'run_files' && e.run_id === runId) schedule();
    },
    onResync: schedule,
  });

  const create = useCallback(
    async (path: string, side: CommentSide, line: number, body: string) => {
      generation.current += 1;
      const c = await addComment(runId, { path, side, line, body });
      setComments((list) => upsertComment(list, c));
    },
    [runId],
  );
  const update = useCallback(async (id: string, patch: { body?: string; resolved?: boolean }) => {
    generation.current += 1;
    try {
      const c = await updateComment(id, patch);
      setComments((list) => upsertComment(list, c));
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  const remove = useCallback(async (id: string) => {
    generation.current += 1;
    try {
      await deleteComment(id);
      setComments((list) => list.filter((c) => c.id !== id));
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);

  return { comments, error, reload: load, create, update, remove };
}
