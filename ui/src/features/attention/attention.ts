// Attention (pure part): which runs wait for input, what the tab title says, and the browser-notification
// permission rules. No DOM here, so every rule is unit-tested (attention.test.ts).
import type { RunActivity } from '../../api/generated/types';
import type { RunsByTask } from '../board/runs';
import { isActive } from '../../lib/format';

/** Runs waiting for input, by run id (the value is the run's project id). */
export type WaitingRuns = ReadonlyMap<string, string>;

/** Applies one `run_activity` frame: a waiting frame adds its run, any other frame of that run removes it. */
export function applyWaitingFrame(map: WaitingRuns, frame: Pick<RunActivity, 'run_id' | 'project_id' | 'waiting'>): WaitingRuns {
  const held = map.has(frame.run_id);
  if (frame.waiting === held) return map;
  const next = new Map(map);
  if (frame.waiting) next.set(frame.run_id, frame.project_id);
  else next.delete(frame.run_id);
  return next;
}

/** Drops the waiting runs of `projectId` that `runs` (that project's newest runs) shows as no longer active. */
export function pruneEnded(map: WaitingRuns, projectId: string, runs: RunsByTask): WaitingRuns {
  let next: Map<string, string> | null = null;
  for (const run of runs.values()) {
    if (run.project_id !== projectId || isActive(run.status) || !map.has(run.id)) continue;
    next ??= new Map(map);
    next.delete(run.id);
  }
  return next ?? map;
}

export const BASE_TITLE = 'viban';

/** The tab title: `(2) viban` while two runs wait for input, else `viban`. */
export function titleText(waiting: number, base: string = BASE_TITLE): string {
  return waiting > 0 ? `(${waiting}) ${base}` : base;
}

/** What the favicon badge says: nothing at 0, the count up to 9, then `9+`. */
export function badgeLabel(waiting: number): string {
  if (waiting <= 0) return '';
  return waiting > 9 ? '9+' : String(waiting);
}

