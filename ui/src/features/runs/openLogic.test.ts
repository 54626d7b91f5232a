import { describe, expect, it } from 'vitest';
import { canOpen, isShell, runLabel, shellSize } from './openLogic';

describe('editor and shell buttons', () => {
  it('labels shells as shells and agents by name', () => {
    expect(isShell({ kind: 'shell' })).toBe(true);
    expect(isShell({ kind: 'agent' })).toBe(false);
    expect(runLabel({ kind: 'shell', agent: 'shell' }, 'whatever')).toBe('shell');
    expect(runLabel({ kind: 'agent', agent: 'claude' }, 'Claude Code')).toBe('Claude Code');
  });

  it('offers the worktree actions only while the worktree is there', () => {
    const run = { status: 'succeeded' as const, worktree_path: '/w/a' };
    expect(canOpen(run, new Set())).toBe(true);
    expect(canOpen(run, new Set(['/w/a']))).toBe(false);
    expect(canOpen({ ...run, status: 'queued' }, new Set())).toBe(false);
  });

  it('starts a shell the size of the run, within the server limits', () => {
    expect(shellSize({ cols: 120, rows: 32 })).toEqual({ cols: 120, rows: 32 });
    expect(shellSize({ cols: 5, rows: 1000 })).toEqual({ cols: 20, rows: 300 });
  });
});

describe('shells and follow-ups', () => {
  it('a shell is never the run a worktree follows up from', async () => {
    const { latestPerWorktree } = await import('./runFormat');
    const base = { worktree_path: '/w/a', status: 'succeeded' };
    const agent = { ...base, id: 'a', kind: 'agent', created_at: '2025-01-01T00:00:00Z' };
    const shell = { ...base, id: 's', kind: 'shell', created_at: '2025-01-02T00:00:00Z' };
    const runs = [shell, agent] as unknown as Parameters<typeof latestPerWorktree>[0];
    expect([...latestPerWorktree(runs)]).toEqual(['a']);
  });
});
