import { useCallback, useRef, useState } from 'react';
import type { Run } from '../../api/generated/types';
import { ApiError, errorMessage } from '../../api/client';
import { useLiveSubscription } from '../connection/useLiveEvents';
import { getRun } from '../runs/api';
import { useCoalescedLoad } from '../../lib/useCoalescedLoad';

/** A tile only shows the run's status: run changes (output counters tick while an agent prints) refetch at most this often. */
const RELOAD_COALESCE_MS = 400;

export type RunState = { run: Run | null; error: string | null; gone: boolean; upsert: (run: Run) => void; reload: () => void };

/** One run, kept current from the change feed (any run change in its project refetches it, coalesced). */
export function useRun(runId: string): RunState {
  const [run, setRun] = useState<Run | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [gone, setGone] = useState(false);
  const projectId = useRef<string | null>(null);

  const fetchRun = useCallback(() => getRun(runId), [runId]);
  const apply = useCallback((next: Run) => {
    projectId.current = next.project_id;
    setRun(next);
    setError(null);
  }, []);
  const fail = useCallback((e: unknown) => {
    if (e instanceof ApiError && e.status === 404) setGone(true);
    else setError(errorMessage(e));
  }, []);
  const { reload, invalidate } = useCoalescedLoad(fetchRun, apply, fail, RELOAD_COALESCE_MS);

  useLiveSubscription({
    onEvent: (event) => {
      if (event.type !== 'change' || event.table !== 'run') return;
      if (event.project_id === null || projectId.current === null || event.project_id === projectId.current) reload();
    },
    onResync: reload,
  });

  const upsert = useCallback(
    (next: Run) => {
      invalidate();
      setRun(next);
    },
    [invalidate],
  );

  return { run, error, gone, upsert, reload };
}
