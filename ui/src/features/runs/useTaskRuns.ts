import { useCallback, useEffect, useState } from 'react';
import type { AgentInfo, Run } from '../../api/generated/types';
import { errorMessage } from '../../api/client';
import { useLiveSubscription } from '../connection/useLiveEvents';
import { listAgents } from '../../api/agents';
import { listTaskRuns } from '../../api/runs';
import { sortNewestFirst, upsertRun } from './runFormat';
import { useCoalescedLoad } from '../../lib/useCoalescedLoad';

/** Run changes arriving closer together than this (status flips, output counters) cause one refetch. */
const RELOAD_COALESCE_MS = 150;

export type TaskRuns = {
  /** Newest first; null until the first load. */
  runs: Run[] | null;
  error: string | null;
  /** A run the UI just created or changed (the refetch that follows confirms it). */
  upsert: (run: Run) => void;
  scheduleReload: () => void;
};

/** A task's runs, refetched when the change feed reports a run change in its project (or asks for a resync). */
export function useTaskRuns(taskId: string, projectId: string): TaskRuns {
  const [runs, setRuns] = useState<Run[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fetchRuns = useCallback(() => listTaskRuns(taskId), [taskId]);
  const apply = useCallback((list: Run[]) => {
    setRuns(sortNewestFirst(list));
    setError(null);
  }, []);
  const fail = useCallback((e: unknown) => setError(errorMessage(e)), []);
  // A local change (upsert) makes an answer still on its way stale.
  const { reload: scheduleReload, invalidate } = useCoalescedLoad(fetchRuns, apply, fail, RELOAD_COALESCE_MS);

  useLiveSubscription({
    onEvent: (event) => {
      // Run changes carry the project, not the task: any run change in this project may be one of ours.
      if (event.type === 'change' && event.table === 'run' && (event.project_id === null || event.project_id === projectId))
        scheduleReload();
    },
    onResync: scheduleReload,
  });

  const upsert = useCallback(
    (run: Run) => {
      invalidate();
      setRuns((current) => upsertRun(current ?? [], run));
      scheduleReload();
    },
    [invalidate, scheduleReload],
  );

  return { runs, error, upsert, scheduleReload };
}

/** The agent profiles, loaded once per mount. */
export function useAgents(): { agents: AgentInfo[] | null; error: string | null } {
  const [agents, setAgents] = useState<AgentInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    listAgents()
      .then((list) => live && (setAgents(list), setError(null)))
      .catch((e: unknown) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, []);
  return { agents, error };
}

/** The current time, ticking every second while `ticking` (for live elapsed times). */
export function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const id = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(id);
  }, [ticking]);
  return now;
}
