import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { RunActivity } from '../../api/generated/types';
import { debounce } from '../connection/debounce';
import { listProjectRuns } from './runsApi';
import { anyActiveRun, indexRuns, outcomeNotices, recordActivity, type ActivityByTask, type RunNotice, type RunsByTask } from './runs';

export type ProjectRuns = {
  /** The newest run of each task, by task id (empty until loaded, and when the server has no runs route). */
  runs: RunsByTask;
  /** The latest activity frame of each task, by task id. */
  activity: ActivityByTask;
  /** Some run is queued, starting or running. */
  anyActive: boolean;
  /** Refetch soon (debounced; bursts of `run` changes collapse into one request). */
  scheduleReload: () => void;
  /** Feed a `run_activity` frame of this project. */
  applyActivity: (frame: RunActivity) => void;
};

const EMPTY_RUNS: RunsByTask = new Map();
const EMPTY_ACTIVITY: ActivityByTask = new Map();

/**
 * The runs shown on a project's cards, kept current from the change feed (the caller routes `change` frames of
 * table `run` to `scheduleReload` and `run_activity` frames to `applyActivity`). `onNotice` hears about runs
 * that finished or started waiting for input since the project was loaded — never about the first load.
 */
export function useProjectRuns(projectId: string | null, onNotice: (notice: RunNotice) => void): ProjectRuns {
  const [runs, setRuns] = useState<RunsByTask>(EMPTY_RUNS);
  const [activity, setActivity] = useState<ActivityByTask>(EMPTY_ACTIVITY);

  // Refs hold what the async loads and the frame handler compare against, so neither needs re-creating.
  const pid = useRef(projectId);
  const runsRef = useRef<RunsByTask | null>(null); // null until the project's first load: nothing to compare yet
  const activityRef = useRef<ActivityByTask>(EMPTY_ACTIVITY);
  const onNoticeRef = useRef(onNotice);
  onNoticeRef.current = onNotice;
  const inflight = useRef(false);
  const again = useRef(false);

  const load = useCallback(async () => {
    if (inflight.current) {
      again.current = true;
      return;
    }
    inflight.current = true;
    try {
      do {
        again.current = false;
        const id = pid.current;
        if (!id) return;
        try {
          const list = await listProjectRuns(id);
          if (pid.current !== id) continue;
          const previous = runsRef.current;
          const next = indexRuns(list, previous);
          runsRef.current = next;
          setRuns(next);
          for (const notice of outcomeNotices(previous, next)) onNoticeRef.current(notice);
        } catch {
          // Keep the last runs: the badges are secondary and the board shows connection trouble already.
        }
      } while (again.current);
    } finally {
      inflight.current = false;
    }
  }, []);

  const scheduler = useMemo(() => debounce(() => void load(), 80), [load]);

  useEffect(() => {
    pid.current = projectId;
    scheduler.cancel();
    runsRef.current = null;
    activityRef.current = EMPTY_ACTIVITY;
    setRuns(EMPTY_RUNS);
    setActivity(EMPTY_ACTIVITY);
    if (projectId) {
      if (inflight.current) again.current = true;
      else void load();
    }
    return () => scheduler.cancel();
  }, [projectId, load, scheduler]);

  const applyActivity = useCallback((frame: RunActivity) => {
    if (frame.project_id !== pid.current) return;
    const run = runsRef.current?.get(frame.task_id);
    const agent = run && run.id === frame.run_id ? run.agent : null;
    const { map, notice } = recordActivity(activityRef.current, frame, agent);
    activityRef.current = map;
    setActivity(map);
    if (notice) onNoticeRef.current(notice);
  }, []);

  const anyActive = useMemo(() => anyActiveRun(runs), [runs]);

  return { runs, activity, anyActive, scheduleReload: scheduler, applyActivity };
}
