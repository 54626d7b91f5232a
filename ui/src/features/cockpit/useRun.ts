import { useCallback, useEffect, useRef, useState } from 'react';
import type { Run } from '../../api/generated/types';
import { ApiError, errorMessage } from '../../api/client';
import { useLiveSubscription } from '../connection/useLiveEvents';
import { getRun } from '../runs/api';

/** A tile only shows the run's status: run changes (output counters tick while an agent prints) refetch at most this often. */
const RELOAD_COALESCE_MS = 400;

export type RunState = { run: Run | null; error: string | null; gone: boolean; upsert: (run: Run) => void; reload: () => void };

/** One run, kept current from the change feed (any run change in its project refetches it, coalesced). */
export function useRun(runId: string): RunState {
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [gone, setGone] = useState(false);
  const generation = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const projectId = useRef<string | null>(null);

  const load = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const next = await getRun(runId);
      if (mine !== generation.current) return;
      projectId.current = next.project_id;
      setRun(next);
      setError(null);
    } catch (e) {
      if (mine !== generation.current) return;
      if (e instanceof ApiError && e.status === 404) setGone(true);
      else setError(errorMessage(e));
    }
  }, [runId]);

  const reload = useCallback(() => {
    if (timer.current !== null) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void load();
    }, RELOAD_COALESCE_MS);
  }, [load]);

  useEffect(() => {
    void load();
    return () => {
      generation.current += 1;
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    };
  }, [load]);

  useLiveSubscription({
    onEvent: (event) => {
      if (event.type !== 'change' || event.table !== 'run') return;
      if (event.project_id === null || projectId.current === null || event.project_id === projectId.current) reload();
    },
    onResync: reload,
  });

  const upsert = useCallback((next: Run) => {
    generation.current += 1;
    setRun(next);
  }, []);

  return { run, error, gone, upsert, reload };
}
