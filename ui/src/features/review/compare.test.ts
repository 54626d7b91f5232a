import { describe, expect, it } from 'vitest';
import type { Run } from '../../api/generated/types';
import { fileMatrix, groupAttempts, othersToClean } from './compare';
import type { DiffFile, RunDiff } from './types';

const run = (over: Partial<Run>): Run =>
  ({
    id: 'r',
    task_id: 't',
    project_id: 'p',
    agent: 'claude',
    prompt: '',
    follow_up_of: null,
    status: 'succeeded',
    exit_code: 0,
    error: null,
    worktree_path: '/wt/1',
    branch: 'viban/a-1',
    base_ref: 'main',
    changed_files: 0,
    output_bytes: 0,
    queue_position: null,
    cols: 80,
    rows: 24,
    warnings: [],
    created_at: '2025-01-01T00:00:00Z',
    started_at: '2025-01-01T00:00:00Z',
    finished_at: '2025-01-01T00:01:00Z',
    ...over,
  }) as Run;

const file = (path: string, additions: number, deletions = 0): DiffFile => ({
  path,
  old_path: null,
  change: 'modified',
  additions,
  deletions,
  binary: false,
  untracked: false,
  old_mode: null,
  new_mode: null,
});
const diff = (files: DiffFile[]): RunDiff => ({
  run_id: 'r',
  target: 'main',
  merge_base: 'abc',
  files,
  additions: files.reduce((n, f) => n + f.additions, 0),
  deletions: 0,
});

describe('compare attempts', () => {
  it('groups runs per worktree: the newest run stands for the attempt, durations add up', () => {
    const runs = [
      run({ id: 'a1', worktree_path: '/wt/a', agent: 'claude', created_at: '2025-01-01T00:00:00Z' }),
      run({ id: 'a2', worktree_path: '/wt/a', agent: 'claude', follow_up_of: 'a1', created_at: '2025-01-01T00:05:00Z', started_at: '2025-01-01T00:05:00Z', finished_at: '2025-01-01T00:05:30Z' }),
      run({ id: 'b1', worktree_path: '/wt/b', agent: 'codex', status: 'failed', created_at: '2025-01-01T00:02:00Z', started_at: null, finished_at: null }),
    ];
    const g = groupAttempts(runs, Date.parse('2025-01-02T00:00:00Z'));
    expect(g.map((x) => [x.run.id, x.agent, x.runs, x.durationMs, x.status])).toEqual([
      ['a2', 'claude', 2, 90_000, 'succeeded'],
      ['b1', 'codex', 1, null, 'failed'],
    ]);
  });

  it('lists the union of changed files with each attempt\'s counts (null: not changed there)', () => {
    const m = fileMatrix([diff([file('b.txt', 2), file('a.txt', 1)]), null, diff([file('a.txt', 5, 1)])]);
    expect(m.map((r) => [r.path, r.cells.map((c) => (c ? c.additions : null)), r.common])).toEqual([
      ['a.txt', [1, null, 5], true],
      ['b.txt', [2, null, null], false],
    ]);
  });

  it('after a pick, offers the other finished attempts for cleanup (never an active one)', () => {
    const attempts = [
      { run: run({ id: 'a' }), status: 'succeeded' as const },
      { run: run({ id: 'b' }), status: 'failed' as const },
      { run: run({ id: 'c' }), status: 'running' as const },
    ];
    expect(othersToClean(attempts, 'a').map((r) => r.id)).toEqual(['b']);
  });
});
