import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Run, RunActivity } from '../../api/generated/types';
import { useLiveResource } from '../connection/useLiveResource';
import { listProjectRuns } from '../../api/runs';
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
  const onNoticeRef = useRef(onNotice);
  onNoticeRef.current = onNotice;

  // The value is null until the project's first load: nothing to compare against yet, so no notices.
  const runs = useLiveResource({
    key: projectId,
    fetch: listProjectRuns,
    accept: (list: Run[], previous: RunsByTask | null) => {
      const next = indexRuns(list, previous);
      for (const notice of outcomeNotices(previous, next)) onNoticeRef.current(notice);
      return next;
    },
    // Keep the last runs: the badges are secondary and the board shows connection trouble already.
    toError: () => null,
    debounceMs: 80,
  });
  const currentRuns = runs.current;

  // Refs hold what the frame handler compares against, so it needs no re-creating.
  const pid = useRef(projectId);
  const activityRef = useRef<ActivityByTask>(EMPTY_ACTIVITY);
  const [activity, setActivity] = useState<ActivityByTask>(EMPTY_ACTIVITY);
  useEffect(() => {
    pid.current = projectId;
    activityRef.current = EMPTY_ACTIVITY;
    setActivity(EMPTY_ACTIVITY);
  }, [projectId]);

  const applyActivity = useCallback(
    (frame: RunActivity) => {
      if (frame.project_id !== pid.current) return;
      const run = currentRuns()?.get(frame.task_id);
      const agent = run && run.id === frame.run_id ? run.agent : null;
      const { map, notice } = recordActivity(activityRef.current, frame, agent);
      activityRef.current = map;
      setActivity(map);
      if (notice) onNoticeRef.current(notice);
    },
    [currentRuns],
  );

  const shown = runs.value ?? EMPTY_RUNS;
  const anyActive = useMemo(() => anyActiveRun(shown), [shown]);

  return { runs: shown, activity, anyActive, scheduleReload: runs.scheduleReload, applyActivity };
}
