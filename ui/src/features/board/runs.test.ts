import { describe, expect, it } from 'vitest';
import type { Run, RunActivity } from '../../api/generated/types';
import {
  activityFromEvent,
  activityOfRun,
  anyActiveRun,
  indexRuns,
  isPreparing,
  lastScreenLine,
  noticeMessage,
  noticeToastKind,
  outcomeNotices,
  recordActivity,
  RUN_STATUS_LABELS,
  runDetail,
  type ActivityByTask,
  type RunNotice,
} from './runs';

function run(taskId: string, over: Partial<Run> = {}): Run {
  return {
    id: `run-${taskId}`,
    task_id: taskId,
    project_id: 'p',
    agent: 'claude',
    kind: 'agent',
    runtime: 'local',
    runtime_detail: null,
    prompt: 'do it',
    follow_up_of: null,
    status: 'running',
    exit_code: null,
    error: null,
    worktree_path: `/wt/${taskId}`,
    branch: `viban/${taskId}`,
    base_ref: 'main',
    changed_files: 0,
    output_bytes: 0,
    queue_position: null,
    cols: 120,
    rows: 40,
    warnings: [],
    created_at: '2024-05-01T10:00:00Z',
    started_at: '2024-05-01T10:00:00Z',
    finished_at: null,
    ...over,
  };
}

function frame(taskId: string, over: Partial<RunActivity> = {}): RunActivity {
  return {
    run_id: `run-${taskId}`,
    task_id: taskId,
    project_id: 'p',
    last_lines: ['working…'],
    output_bytes: 10,
    idle_ms: 0,
    waiting: false,
    ...over,
  };
}

describe('indexRuns', () => {
  it('indexes by task, first (newest) run winning', () => {
    const map = indexRuns([run('a'), run('b'), run('a', { id: 'older' })], null);
    expect([...map.keys()]).toEqual(['a', 'b']);
    expect(map.get('a')?.id).toBe('run-a');
  });

  it('keeps the previous object when nothing changed, so memoised cards skip', () => {
    const first = indexRuns([run('a', { warnings: ['w'] }), run('b')], null);
    const second = indexRuns([run('a', { warnings: ['w'] }), run('b', { changed_files: 2 })], first);
    expect(second.get('a')).toBe(first.get('a'));
    expect(second.get('b')).not.toBe(first.get('b'));
    expect(second.get('b')?.changed_files).toBe(2);
    expect(indexRuns([run('a', { warnings: ['x'] })], first).get('a')).not.toBe(first.get('a'));
  });

  it('knows when something is active', () => {
    expect(anyActiveRun(indexRuns([run('a', { status: 'succeeded' })], null))).toBe(false);
    expect(anyActiveRun(indexRuns([run('a', { status: 'succeeded' }), run('b', { status: 'queued' })], null))).toBe(true);
  });
});

describe('outcomeNotices', () => {
  const kinds = (notices: RunNotice[]) => notices.map((n) => `${n.taskId}:${n.kind}`);

  it('never notifies on the first load', () => {
    expect(outcomeNotices(null, indexRuns([run('a', { status: 'failed' }), run('b', { status: 'succeeded' })], null))).toEqual([]);
  });

  it('notifies runs that changed to succeeded or failed', () => {
    const before = indexRuns([run('a'), run('b'), run('c'), run('d', { status: 'succeeded' })], null);
    const after = indexRuns(
      [run('a', { status: 'succeeded' }), run('b', { status: 'failed', exit_code: 2 }), run('c', { status: 'stopped' }), run('d', { status: 'succeeded' })],
      before,
    );
    expect(kinds(outcomeNotices(before, after))).toEqual(['a:succeeded', 'b:failed']);
  });

  it('notifies a newer run that finished between two loads, and a first run that failed to start', () => {
    const before = indexRuns([run('a', { status: 'succeeded' })], null);
    const after = indexRuns([run('a', { id: 'follow-up', status: 'failed' }), run('new', { status: 'failed', error: 'spawn failed' })], before);
    expect(kinds(outcomeNotices(before, after))).toEqual(['a:failed', 'new:failed']);
  });

  it('stays quiet while runs are still going or were already finished', () => {
    const before = indexRuns([run('a', { status: 'queued' }), run('b', { status: 'failed' })], null);
    const after = indexRuns([run('a', { status: 'running' }), run('b', { status: 'failed' })], before);
    expect(outcomeNotices(before, after)).toEqual([]);
  });
});

describe('recordActivity', () => {
  it('stores the latest frame per task without touching the old map', () => {
    const empty: ActivityByTask = new Map();
    const { map, notice } = recordActivity(empty, frame('a'), 'claude');
    expect(map.get('a')?.last_lines).toEqual(['working…']);
    expect(empty.size).toBe(0);
    expect(notice).toBeNull();
    const next = recordActivity(map, frame('a', { last_lines: ['done soon'] }), 'claude').map;
    expect(next.get('a')?.last_lines).toEqual(['done soon']);
  });

  it('notifies once when a run starts waiting, again only after it resumed', () => {
    let map: ActivityByTask = new Map();
    const seen: (RunNotice | null)[] = [];
    for (const f of [
      frame('a', { waiting: true, last_lines: ['Apply changes?', '[y/N]'] }),
      frame('a', { waiting: true, idle_ms: 90000 }),
      frame('a', { waiting: false }),
      frame('a', { waiting: true }),
    ]) {
      const r = recordActivity(map, f, 'codex');
      map = r.map;
      seen.push(r.notice);
    }
    expect(seen.map((n) => n?.kind ?? null)).toEqual(['waiting', null, null, 'waiting']);
    expect(seen[0]).toMatchObject({ kind: 'waiting', taskId: 'a', runId: 'run-a', agent: 'codex', question: 'Apply changes? [y/N]' });
  });

  it('treats a new run of the same task that waits as a new wait', () => {
    const { map } = recordActivity(new Map(), frame('a', { waiting: true }), null);
    expect(recordActivity(map, frame('a', { run_id: 'run-2', waiting: true }), null).notice?.kind).toBe('waiting');
  });

  it('only pairs a frame with the run it belongs to', () => {
    expect(activityOfRun(run('a'), frame('a'))).toBeDefined();
    expect(activityOfRun(run('a'), frame('a', { run_id: 'other' }))).toBeUndefined();
    expect(activityOfRun(undefined, frame('a'))).toBeUndefined();
  });

  it('drops the type tag of a feed frame', () => {
    expect(activityFromEvent({ type: 'run_activity', ...frame('a') })).toEqual(frame('a'));
  });
});

describe('formatting', () => {
  it('picks the detail a card shows after the status', () => {
    expect(runDetail(run('a', { status: 'queued', queue_position: 2 }))).toBe('#2 in queue');
    expect(runDetail(run('a', { status: 'failed', exit_code: 1, finished_at: '2024-05-01T10:01:00Z' }))).toBe('exit 1');
    expect(runDetail(run('a', { status: 'succeeded', finished_at: '2024-05-01T10:03:05Z' }))).toBe('3m 05s');
    expect(runDetail(run('a', { status: 'running' }))).toBeNull();
    expect(runDetail(run('a', { status: 'interrupted', finished_at: null }))).toBeNull();
  });

  it('finds the last line of the screen', () => {
    expect(lastScreenLine(['one', '  two  ', '   '])).toBe('two');
    expect(lastScreenLine([])).toBe('');
  });

  it('words the toasts', () => {
    const done = run('a', { status: 'succeeded', finished_at: '2024-05-01T10:00:42Z' });
    expect(noticeMessage({ kind: 'succeeded', taskId: 'a', projectId: 'p', run: done }, 'Fix login')).toBe('“Fix login”: claude finished in 42s');
    const failed = run('a', { status: 'failed', exit_code: 3 });
    expect(noticeMessage({ kind: 'failed', taskId: 'a', projectId: 'p', run: failed }, 'Fix login')).toBe('“Fix login”: claude failed (exit code 3)');
    const spawn = run('a', { status: 'failed', error: 'agent not found' });
    expect(noticeMessage({ kind: 'failed', taskId: 'a', projectId: 'p', run: spawn }, 'X')).toBe('“X”: claude failed (agent not found)');
    const waiting: RunNotice = { kind: 'waiting', taskId: 'a', projectId: 'p', runId: 'r', agent: null, question: 'Continue? [y/N]' };
    expect(noticeMessage(waiting, 'X')).toBe('“X”: the agent is waiting for input — Continue? [y/N]');
    expect(noticeMessage({ ...waiting, question: 'q'.repeat(500) }, 'X').length).toBe(200);
    expect(noticeToastKind(waiting)).toBe('info');
    expect(noticeToastKind({ kind: 'failed', taskId: 'a', projectId: 'p', run: failed })).toBe('error');
  });
});

describe('preparing', () => {
  it('a starting run reads as preparing on the card, with no detail (the spinner and timer show instead)', () => {
    expect(isPreparing('starting')).toBe(true);
    expect((['queued', 'running', 'succeeded', 'failed', 'stopped', 'interrupted'] as const).some(isPreparing)).toBe(false);
    expect(RUN_STATUS_LABELS.starting).toBe('Preparing…');
  });
});
