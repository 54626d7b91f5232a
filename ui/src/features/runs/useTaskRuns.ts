import { useCallback, useEffect, useRef, useState } from 'react';
import type { AgentInfo, Run } from '../../api/generated/types';
import { errorMessage } from '../../api/client';
import { useLiveSubscription } from '../connection/useLiveEvents';
import { listAgents } from '../../api/agents';
import { listTaskRuns } from '../../api/runs';
import { sortNewestFirst, upsertRun } from './runFormat';

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
  // Every load and local change bumps this; an answer that comes back after a newer one started is stale.
  const generation = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const load = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const list = await listTaskRuns(taskId);
      if (mine !== generation.current) return;
      setRuns(sortNewestFirst(list));
      setError(null);
    } catch (e) {
      if (mine === generation.current) setError(errorMessage(e));
    }
  }, [taskId]);

  // Not a trailing debounce: a steady stream of changes must not postpone the refetch forever.
  const scheduleReload = useCallback(() => {
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
      // Run changes carry the project, not the task: any run change in this project may be one of ours.
      if (event.type === 'change' && event.table === 'run' && (event.project_id === null || event.project_id === projectId))
        scheduleReload();
    },
    onResync: scheduleReload,
  });

  const upsert = useCallback(
    (run: Run) => {
      generation.current += 1;
      setRuns((current) => upsertRun(current ?? [], run));
      scheduleReload();
    },
    [scheduleReload],
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
