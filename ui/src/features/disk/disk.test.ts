import { describe, expect, it } from 'vitest';
import { nextSort, safeToClean, sortWorktrees, totalBytes, whatIsLost, type WorktreeInfo } from './disk';
import { humanAge, humanBytes } from '../../lib/format';

const w = (over: Partial<WorktreeInfo>): WorktreeInfo => ({
  path: '/wt/a',
  project_id: 'p',
  project_name: 'proj',
  task_id: 't',
  task_title: 'Task',
  task_status: 'in_review',
  branch: 'viban/a',
  target: 'main',
  run_ids: ['r'],
  active: false,
  exists: true,
  removed: false,
  size_bytes: 100,
  size_exact: true,
  uncommitted: 0,
  unmerged_commits: 0,
  pushed: false,
  age_secs: 10,
  safe_to_remove: true,
  why_not: null,
  ...over,
});

describe('disk view', () => {
  const rows = [
    w({ path: '/wt/small-old', size_bytes: 10, age_secs: 9000 }),
    w({ path: '/wt/big-new', size_bytes: 5000, age_secs: 5 }),
    w({ path: '/wt/gone', size_bytes: 99999, exists: false, removed: true }),
    w({ path: '/wt/mid', size_bytes: 300, age_secs: 60 }),
  ];

  it('sorts existing worktrees by size or age, both ways; removed ones are not listed', () => {
    expect(sortWorktrees(rows, 'size', 'desc').map((r) => r.path)).toEqual(['/wt/big-new', '/wt/mid', '/wt/small-old']);
    expect(sortWorktrees(rows, 'size', 'asc').map((r) => r.path)).toEqual(['/wt/small-old', '/wt/mid', '/wt/big-new']);
    expect(sortWorktrees(rows, 'age', 'desc').map((r) => r.path)).toEqual(['/wt/small-old', '/wt/mid', '/wt/big-new']);
  });

  it('flips the sorted column, starts another one largest/oldest first', () => {
    expect(nextSort({ key: 'size', dir: 'desc' }, 'size')).toEqual({ key: 'size', dir: 'asc' });
    expect(nextSort({ key: 'size', dir: 'asc' }, 'age')).toEqual({ key: 'age', dir: 'desc' });
  });

  it('one-click cleanup selects only existing, safe, inactive worktrees', () => {
    const list = [
      w({ path: '/a' }),
      w({ path: '/b', safe_to_remove: false, why_not: '2 uncommitted changes', uncommitted: 2 }),
      w({ path: '/c', active: true }),
      w({ path: '/d', exists: false }),
    ];
    expect(safeToClean(list).map((r) => r.path)).toEqual(['/a']);
    expect(totalBytes(safeToClean(list))).toBe(100);
  });

  it('human sizes and ages', () => {
    expect(humanBytes(0)).toBe('0 B');
    expect(humanBytes(1023)).toBe('1023 B');
    expect(humanBytes(1536)).toBe('1.5 KiB');
    expect(humanBytes(5 * 1024 * 1024 * 1024)).toBe('5.0 GiB');
    expect(humanAge(30)).toBe('just now');
    expect(humanAge(600)).toBe('10 min');
    expect(humanAge(7200)).toBe('2 h');
    expect(humanAge(86400)).toBe('1 day');
    expect(humanAge(3 * 86400)).toBe('3 days');
  });

  it('says what a forced removal loses', () => {
    expect(whatIsLost(w({ uncommitted: 3, path: '/wt/x' }))).toEqual(['3 uncommitted change(s) in /wt/x (deleted with the folder)']);
    expect(whatIsLost(w({ unmerged_commits: 2 }))[0]).toMatch(/2 commit\(s\) not in main and not pushed/);
    expect(whatIsLost(w({ unmerged_commits: 2, pushed: true }))).toEqual([]);
    expect(whatIsLost(w({ why_not: 'a rebase is under way' }))).toEqual(['a rebase is under way']);
  });
});
