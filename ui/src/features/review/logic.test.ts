import { describe, expect, it } from 'vitest';
import {
  NOTHING_PENDING,
  addEvent,
  blockedReason,
  buildRows,
  changeBadge,
  commandFor,
  conflictPrompt,
  defaultCommitMessage,
  defaultPr,
  filesToReload,
  neighbour,
  placeholderText,
  prBadge,
  sortFiles,
} from './logic';
import type { DiffFile, GitState, RunFileDiff } from './types';

const file = (path: string, extra: Partial<DiffFile> = {}): DiffFile => ({
  path,
  old_path: null,
  change: 'modified',
  additions: 1,
  deletions: 0,
  binary: false,
  untracked: false,
  old_mode: null,
  new_mode: null,
  ...extra,
});

const state = (extra: Partial<GitState> = {}): GitState => ({
  branch: 'viban/x-1',
  target: 'main',
  ahead: 1,
  behind: 0,
  uncommitted: [],
  rebase: null,
  upstream: null,
  unpushed: 0,
  pr: null,
  commands: {
    commit: 'git commit -m <message>',
    merge: 'git merge --no-ff viban/x-1',
    squash: 'git merge --squash viban/x-1',
    rebase: 'git rebase main',
    push: 'git push -u origin viban/x-1',
    pr: 'gh pr create --title <title> --body <body>',
  },
  ...extra,
});

describe('file tree', () => {
  const files = sortFiles([file('src/b.ts'), file('README.md'), file('src/a/x.ts'), file('src/a/y.ts'), file('docs/z.md')]);

  it('sorts by path and emits each directory once, before its files', () => {
    const rows = buildRows(files, new Set());
    expect(rows.map((r) => `${r.kind}:${r.path}:${r.depth}`)).toEqual([
      'file:README.md:0',
      'dir:docs:0',
      'file:docs/z.md:1',
      'dir:src:0',
      'dir:src/a:1',
      'file:src/a/x.ts:2',
      'file:src/a/y.ts:2',
      'file:src/b.ts:1',
    ]);
    const src = rows.find((r) => r.path === 'src');
    expect(src?.kind === 'dir' && src.files).toBe(3);
  });

  it('a collapsed directory keeps its row and hides everything beneath it', () => {
    const rows = buildRows(files, new Set(['src']));
    expect(rows.map((r) => r.path)).toEqual(['README.md', 'docs', 'docs/z.md', 'src']);
    expect(rows[3]).toMatchObject({ kind: 'dir', collapsed: true });
  });

  it('builds 5,000 rows quickly enough for every refresh', () => {
    const many = sortFiles(Array.from({ length: 5000 }, (_, i) => file(`pkg${i % 50}/dir${i % 7}/f${i}.txt`)));
    const t0 = performance.now();
    const rows = buildRows(many, new Set());
    expect(rows.filter((r) => r.kind === 'file')).toHaveLength(5000);
    expect(performance.now() - t0).toBeLessThan(500);
  });

  it('j/k move between files and stop at the ends', () => {
    expect(neighbour(files, null, 1)).toBe('README.md');
    expect(neighbour(files, 'README.md', 1)).toBe('docs/z.md');
    expect(neighbour(files, 'README.md', -1)).toBe('README.md');
    expect(neighbour(files, 'src/b.ts', 1)).toBe('src/b.ts');
    expect(neighbour([], null, 1)).toBeNull();
  });
});

describe('labels', () => {
  it('names the change kind, renames, binary, untracked and mode changes', () => {
    expect(changeBadge(file('a', { change: 'added' }))).toEqual({ letter: 'A', text: 'added' });
    expect(changeBadge(file('a', { change: 'added', untracked: true }))).toEqual({ letter: '?', text: 'untracked (new)' });
    expect(changeBadge(file('b', { change: 'renamed', old_path: 'a' })).text).toBe('renamed, from a');
    expect(changeBadge(file('b', { binary: true })).text).toBe('modified, binary');
    expect(changeBadge(file('s', { old_mode: '100644', new_mode: '100755' })).text).toBe('modified, mode 100644 → 100755');
    expect(changeBadge(file('t', { change: 'type_changed' })).letter).toBe('T');
  });

  it('says why a file shows no diff', () => {
    const d: RunFileDiff = {
      path: 'a',
      old_path: null,
      binary: false,
      too_large: false,
      old_size: 0,
      new_size: 10,
      old_text: '',
      new_text: 'x',
      patch: '@@',
    };
    expect(placeholderText(d)).toBeNull();
    expect(placeholderText({ ...d, binary: true, old_size: 1024, new_size: 2048 })).toBe('binary file, 1.0 KB → 2.0 KB');
    expect(placeholderText({ ...d, too_large: true, new_size: 30 * 1024 * 1024, old_text: null, new_text: null })).toBe(
      'too large to show here (30.0 MB) — download the patch',
    );
  });
});

describe('live refresh', () => {
  const open = [
    { path: 'a.ts', oldPath: null },
    { path: 'new.ts', oldPath: 'old.ts' },
  ];

  it('ignores other runs', () => {
    expect(addEvent(NOTHING_PENDING, { type: 'run_files', task_id: 't', run_id: 'other', paths: null }, 'r1')).toBe(NOTHING_PENDING);
  });

  it('reloads only the open files named, by path or the old path of a rename; stats always', () => {
    let p = addEvent(NOTHING_PENDING, { type: 'run_files', task_id: 't', run_id: 'r1', paths: ['b.ts'] }, 'r1');
    expect(p.stats).toBe(true);
    expect(filesToReload(p, open)).toEqual([]);
    p = addEvent(p, { type: 'run_files', task_id: 't', run_id: 'r1', paths: ['a.ts'] }, 'r1');
    expect(filesToReload(p, open)).toEqual(['a.ts']);
    p = addEvent(p, { type: 'run_files', task_id: 't', run_id: 'r1', paths: ['old.ts'] }, 'r1');
    expect(filesToReload(p, open)).toEqual(['a.ts', 'new.ts']);
  });

  it('paths: null reloads every open file', () => {
    const p = addEvent(NOTHING_PENDING, { type: 'run_files', task_id: 't', run_id: 'r1', paths: null }, 'r1');
    expect(filesToReload(p, open)).toEqual(['a.ts', 'new.ts']);
  });
});

describe('land actions', () => {
  it('shows the server\'s own command line for each action', () => {
    const c = state().commands;
    expect(commandFor('commit', c)).toBe('git commit -m <message>');
    expect(commandFor('squash', c)).toBe('git merge --squash viban/x-1');
    expect(commandFor('pr', c)).toBe('gh pr create --title <title> --body <body>');
    expect(commandFor('force-push', c)).toBe('git push --force-with-lease -u origin viban/x-1');
    expect(commandFor('force-push', { ...c, push: 'git push --force-with-lease origin b' })).toBe('git push --force-with-lease origin b');
  });

  it('says why an action is not available', () => {
    expect(blockedReason('commit', state(), false)).toBe('Nothing to commit.');
    expect(blockedReason('commit', state({ uncommitted: ['a'] }), false)).toBeNull();
    expect(blockedReason('commit', state({ uncommitted: ['a'] }), true)).toMatch(/still running/);
    expect(blockedReason('merge', state({ ahead: 0 }), false)).toMatch(/Nothing to merge/);
    expect(blockedReason('merge', state({ uncommitted: ['a'] }), false)).toMatch(/uncommitted/);
    expect(blockedReason('merge', state(), false)).toBeNull();
    expect(blockedReason('rebase', state(), false)).toMatch(/up to date/);
    expect(blockedReason('rebase', state({ behind: 2 }), false)).toBeNull();
    expect(blockedReason('merge', state({ rebase: { onto: 'main', conflicts: ['a'] } }), false)).toMatch(/rebase is in progress/);
    expect(blockedReason('pr', state({ commands: { ...state().commands, pr: null } }), false)).toMatch(/gh for GitHub/);
    const pr = { provider: 'github', url: 'u', number: 7, state: 'open' as const, checks: null };
    expect(blockedReason('pr', state({ pr }), false)).toBe('Pull request #7 is already open.');
  });

  it('prefills the commit message, the PR and the conflict prompt', () => {
    expect(defaultCommitMessage('  Fix the login bug \nmore')).toBe('Fix the login bug');
    const pr = defaultPr({ title: 'Fix it', description: 'Because.' }, { agent: 'claude', branch: 'viban/fix-1' }, { target: 'main' });
    expect(pr.title).toBe('Fix it');
    expect(pr.body).toBe('Because.\n\n---\nMade with viban: agent `claude`, branch `viban/fix-1` into `main`.');
    const prompt = conflictPrompt(['src/a.ts', 'b.md'], 'main');
    expect(prompt).toContain('onto main');
    expect(prompt).toContain('- src/a.ts\n- b.md');
    expect(prompt).toContain('git rebase --continue');
  });

  it('PR badge', () => {
    expect(prBadge({ provider: 'github', url: 'u', number: 3, state: 'open', checks: 'failing' })).toEqual({
      text: 'PR #3 open, checks failing',
      tone: 'failing',
    });
    expect(prBadge({ provider: 'github', url: 'u', number: 3, state: 'merged', checks: null }).tone).toBe('merged');
  });
});
