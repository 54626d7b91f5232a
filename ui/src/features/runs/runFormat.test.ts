import { describe, expect, it } from 'vitest';
import type { AgentInfo, Run } from '../../api/generated/types';
import { agentHint, initialPrompt, latestPerWorktree, pickAgent, upsertRun } from './runFormat';
import { exitLabel, formatDuration, isActive, runDurationMs } from '../../lib/format';

function run(id: string, created_at: string, extra: Partial<Run> = {}): Run {
  return {
    id,
    task_id: 't',
    project_id: 'p',
    agent: 'fake',
    kind: 'agent',
    runtime: 'local',
    runtime_detail: null,
    prompt: 'p',
    follow_up_of: null,
    status: 'succeeded',
    exit_code: 0,
    error: null,
    worktree_path: `/wt/${id}`,
    branch: `viban/x-${id}`,
    base_ref: 'main',
    changed_files: 0,
    output_bytes: 0,
    queue_position: null,
    cols: 80,
    rows: 24,
    warnings: [],
    created_at,
    started_at: null,
    finished_at: null,
    ...extra,
  };
}

describe('runFormat', () => {
  it('knows the active statuses', () => {
    expect(['queued', 'starting', 'running'].every((s) => isActive(s as Run['status']))).toBe(true);
    expect(isActive('succeeded')).toBe(false);
    expect(isActive('interrupted')).toBe(false);
  });

  it('prefills the prompt from title and description', () => {
    expect(initialPrompt({ title: ' Fix login ', description: '' })).toBe('Fix login');
    expect(initialPrompt({ title: 'Fix login', description: 'Steps:\n1. x\n' })).toBe('Fix login\n\nSteps:\n1. x');
  });

  it('measures a run, live or finished', () => {
    const start = '2025-01-01T10:00:00Z';
    expect(runDurationMs({ started_at: null, finished_at: null }, 0)).toBeNull();
    expect(runDurationMs({ started_at: start, finished_at: '2025-01-01T10:01:05Z' }, 0)).toBe(65_000);
    expect(runDurationMs({ started_at: start, finished_at: null }, Date.parse(start) + 3_500)).toBe(3_500);
  });

  it('measures to now, not below zero, and not with times that do not parse', () => {
    const start = Date.parse('2024-05-01T10:00:00Z');
    const r = { started_at: '2024-05-01T10:00:00Z', finished_at: null };
    expect(runDurationMs(r, start + 65_000)).toBe(65_000);
    expect(runDurationMs({ ...r, finished_at: '2024-05-01T10:02:00Z' }, start + 999_999)).toBe(120_000);
    expect(runDurationMs(r, start - 5000)).toBe(0);
    expect(runDurationMs({ started_at: 'soon', finished_at: null }, start)).toBeNull();
  });

  it('formats durations', () => {
    expect(formatDuration(4_900)).toBe('4s');
    expect(formatDuration(125_000)).toBe('2m 05s');
    expect(formatDuration(3_720_000)).toBe('1h 02m');
    expect(formatDuration(0)).toBe('0s');
    expect(formatDuration(999)).toBe('0s');
    expect(formatDuration(42_000)).toBe('42s');
    expect(formatDuration(187_000)).toBe('3m 07s');
    expect(formatDuration(3_840_000)).toBe('1h 04m');
    expect(formatDuration(-5)).toBe('0s');
    expect(formatDuration(Number.NaN)).toBe('0s');
  });

  it('upserts newest first', () => {
    const a = run('a', '2025-01-01T10:00:00Z');
    const b = run('b', '2025-01-01T11:00:00Z');
    expect(upsertRun([a], b).map((r) => r.id)).toEqual(['b', 'a']);
    expect(upsertRun([b, a], { ...a, status: 'failed' }).map((r) => [r.id, r.status])).toEqual([
      ['b', 'succeeded'],
      ['a', 'failed'],
    ]);
  });

  it('finds the newest run of each worktree', () => {
    const first = run('a', '2025-01-01T10:00:00Z', { worktree_path: '/wt/1' });
    const followUp = run('b', '2025-01-01T11:00:00Z', { worktree_path: '/wt/1', follow_up_of: 'a' });
    const other = run('c', '2025-01-01T09:00:00Z', { worktree_path: '/wt/2' });
    expect([...latestPerWorktree([first, followUp, other])].sort()).toEqual(['b', 'c']);
  });

  it('labels exit codes', () => {
    expect(exitLabel(0)).toBe('exit 0');
    expect(exitLabel(null)).toBe('');
  });
});

function agent(id: string, installed: boolean, extra: Partial<AgentInfo> = {}): AgentInfo {
  return { id, name: id, builtin: true, command_line: id, installed, path: null, version: null, install_hint: null, problem: null, runtime: 'local', ...extra };
}

describe('pickAgent', () => {
  const agents = [agent('claude', false), agent('codex', true), agent('fake', true)];
  it('prefers the picked agent, then the last used, then the first installed', () => {
    expect(pickAgent(agents, 'fake', 'codex')).toBe('fake');
    expect(pickAgent(agents, null, 'fake')).toBe('fake');
    expect(pickAgent(agents, 'claude', null)).toBe('codex');
    expect(pickAgent(agents, null, 'gone')).toBe('codex');
    expect(pickAgent([agent('claude', false)], null, null)).toBe('');
  });

  it('explains an agent that cannot run', () => {
    expect(agentHint(agent('claude', false, { install_hint: 'npm i -g @anthropic-ai/claude-code' }))).toBe(
      'Not installed — npm i -g @anthropic-ai/claude-code',
    );
    expect(agentHint(agent('x', false, { problem: 'bad profile: no command' }))).toBe('bad profile: no command');
  });
});
