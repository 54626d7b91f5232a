// Runs on the cards (pure part): indexing the newest run of each task, the live activity map, which status
// changes deserve a toast, and what cards and toasts say. Durations and "active" come from lib/format.ts,
// shared with the runs panel. No React here, so every rule is unit-tested (runs.test.ts).
import type { ChangeEvent, Run, RunActivity, RunStatus } from '../../api/generated/types';
import type { ToastKind } from '../toasts/toasts';
import { exitLabel, formatDuration, isActive, runDurationMs } from '../../lib/format';

export const RUN_STATUS_LABELS: Readonly<Record<RunStatus, string>> = {
  queued: 'Queued',
  // The server's `starting` covers the project's setup script and the agent's spawn: the user sees it preparing.
  starting: 'Preparing…',
  running: 'Running',
  succeeded: 'Succeeded',
  failed: 'Failed',
  stopped: 'Stopped',
  interrupted: 'Interrupted',
};

/** Setup script and spawn under way: the card shows a spinner and the terminal the script's output, live. */
export function isPreparing(status: RunStatus): boolean {
  return status === 'starting';
}

/** The newest run of each task, by task id. */
export type RunsByTask = ReadonlyMap<string, Run>;
/** The latest `run_activity` frame of each task, by task id. */
export type ActivityByTask = ReadonlyMap<string, RunActivity>;

function sameRun(a: Run, b: Run): boolean {
  for (const key of Object.keys(a) as (keyof Run)[]) {
    if (key === 'warnings') {
      if (a.warnings.length !== b.warnings.length || a.warnings.some((w, i) => w !== b.warnings[i])) return false;
    } else if (a[key] !== b[key]) {
      return false;
    }
  }
  return true;
}

/**
 * Indexes `GET /api/projects/{id}/runs` by task. A run equal to the one already held keeps its old object, so
 * memoised cards whose run did not change are not drawn again after a refetch. Should a task appear twice, the
 * first (newest) run wins.
 */
export function indexRuns(runs: readonly Run[], previous: RunsByTask | null): RunsByTask {
  const out = new Map<string, Run>();
  for (const run of runs) {
    if (out.has(run.task_id)) continue;
    const held = previous?.get(run.task_id);
    out.set(run.task_id, held && sameRun(held, run) ? held : run);
  }
  return out;
}

/** True when any run is queued, starting or running (the elapsed clock only ticks then). */
export function anyActiveRun(runs: RunsByTask): boolean {
  for (const run of runs.values()) if (isActive(run.status)) return true;
  return false;
}

/** The frame without its `type` tag. */
export function activityFromEvent(event: Extract<ChangeEvent, { type: 'run_activity' }>): RunActivity {
  const { run_id, task_id, project_id, last_lines, output_bytes, idle_ms, waiting } = event;
  return { run_id, task_id, project_id, last_lines, output_bytes, idle_ms, waiting };
}

/** Something the user should hear about: a run finished, or an agent waits for an answer. */
export type RunNotice =
  | { kind: 'succeeded' | 'failed'; taskId: string; projectId: string; run: Run }
  | { kind: 'waiting'; taskId: string; projectId: string; runId: string; agent: string | null; question: string };

/**
 * The runs that reached succeeded or failed since the `previous` snapshot: a run whose status changed, or a
 * newer run that finished between two loads. `previous` null is the first load of a project, which never
 * notifies (those runs finished while nobody was watching this board).
 */
export function outcomeNotices(previous: RunsByTask | null, next: RunsByTask): RunNotice[] {
  if (previous === null) return [];
  const notices: RunNotice[] = [];
  for (const [taskId, run] of next) {
    if (run.status !== 'succeeded' && run.status !== 'failed') continue;
    const before = previous.get(taskId);
    if (before && before.id === run.id && before.status === run.status) continue;
    notices.push({ kind: run.status, taskId, projectId: run.project_id, run });
  }
  return notices;
}

/**
 * Stores the latest frame for its task. The notice is set when this frame is the first to say the run is
 * waiting (later frames of the same wait, and frames of a run still waiting after a reconnect, stay quiet).
 */
export function recordActivity(
  map: ActivityByTask,
  frame: RunActivity,
  agent: string | null,
): { map: ActivityByTask; notice: RunNotice | null } {
  const before = map.get(frame.task_id);
  const next = new Map(map);
  next.set(frame.task_id, frame);
  const startedWaiting = frame.waiting && !(before && before.run_id === frame.run_id && before.waiting);
  const notice: RunNotice | null = startedWaiting
    ? {
        kind: 'waiting',
        taskId: frame.task_id,
        projectId: frame.project_id,
        runId: frame.run_id,
        agent,
        question: screenText(frame.last_lines),
      }
    : null;
  return { map: next, notice };
}

/** The activity that belongs to `run` (a frame of an older run of the task says nothing about this one). */
export function activityOfRun(run: Run | undefined, activity: RunActivity | undefined): RunActivity | undefined {
  return run && activity && activity.run_id === run.id ? activity : undefined;
}

/** The last non-blank line of the screen, or ''. */
export function lastScreenLine(lines: readonly string[]): string {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]?.trim();
    if (line) return line;
  }
  return '';
}

/** The screen lines as one line of text (for a toast). */
export function screenText(lines: readonly string[]): string {
  return lines
    .map((l) => l.trim())
    .filter(Boolean)
    .join(' ');
}

/** The short fact after the status on a card: queue place, exit code, or how long a finished run took. */
export function runDetail(run: Run): string | null {
  switch (run.status) {
    case 'queued':
      return run.queue_position !== null ? `#${run.queue_position} in queue` : 'in queue';
    case 'failed':
      return exitLabel(run.exit_code) || null;
    case 'starting':
    case 'running':
      return null; // the live timer shows instead
    default: {
      const ms = run.finished_at ? runDurationMs(run, 0) : null;
      return ms === null ? null : formatDuration(ms);
    }
  }
}

export function noticeToastKind(notice: RunNotice): ToastKind {
  return notice.kind === 'succeeded' ? 'success' : notice.kind === 'failed' ? 'error' : 'info';
}

const MAX_TOAST_CHARS = 200;

/**
 * The toast text for a notice; `title` is the task's title (or its short id when the board does not hold it),
 * `name` turns an agent id into the agent's name.
 */
export function noticeMessage(notice: RunNotice, title: string, name: (agentId: string) => string = (id) => id): string {
  let text: string;
  switch (notice.kind) {
    case 'succeeded': {
      const ms = runDurationMs(notice.run, Date.now());
      text = `“${title}”: ${name(notice.run.agent)} finished${ms === null ? '' : ` in ${formatDuration(ms)}`}`;
      break;
    }
    case 'failed': {
      const why = notice.run.error ?? (notice.run.exit_code !== null ? `exit code ${notice.run.exit_code}` : null);
      text = `“${title}”: ${name(notice.run.agent)} failed${why ? ` (${why})` : ''}`;
      break;
    }
    case 'waiting':
      text = `“${title}”: ${notice.agent ? name(notice.agent) : 'the agent'} is waiting for input${notice.question ? ` — ${notice.question}` : ''}`;
      break;
  }
  return text.length > MAX_TOAST_CHARS ? `${text.slice(0, MAX_TOAST_CHARS - 1)}…` : text;
}
