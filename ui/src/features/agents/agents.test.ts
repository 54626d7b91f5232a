import { describe, expect, it } from 'vitest';
import type { AgentInfo } from '../../api/generated/types';
import { errorPosition, installStatus, installedSummary, offsetOf, onlyNotInstalled, sortAgents } from './agents';

function agent(id: string, name: string, installed: boolean, version: string | null = null): AgentInfo {
  return {
    id,
    name,
    builtin: true,
    command_line: `${id} {prompt}`,
    installed,
    path: installed ? `/usr/bin/${id}` : null,
    version,
    install_hint: installed ? null : `npm i -g ${id}`,
    problem: installed ? null : 'not found on PATH',
    runtime: 'local',
  };
}

describe('sortAgents', () => {
  it('puts installed agents first, then sorts by name, case-insensitively', () => {
    const sorted = sortAgents([agent('codex', 'Codex', false), agent('aider', 'aider', true), agent('claude', 'Claude Code', true), agent('amp', 'Amp', false)]);
    expect(sorted.map((a) => a.id)).toEqual(['aider', 'claude', 'amp', 'codex']);
  });

  it('does not reorder its input', () => {
    const input = [agent('b', 'B', false), agent('a', 'A', true)];
    sortAgents(input);
    expect(input.map((a) => a.id)).toEqual(['b', 'a']);
  });
});

describe('wording', () => {
  it('summarises what is installed', () => {
    expect(installedSummary([agent('a', 'A', true), agent('b', 'B', false)])).toBe('1 of 2 installed');
  });

  it('shows the version when detection found one', () => {
    expect(installStatus(agent('a', 'A', true, ' 1.2.3\n'))).toBe('Installed · 1.2.3');
    expect(installStatus(agent('a', 'A', true))).toBe('Installed');
    expect(installStatus(agent('a', 'A', false))).toBe('Not installed');
  });
});

describe('TOML error positions', () => {
  it('finds line and column in the message', () => {
    expect(errorPosition('TOML parse error at line 3, column 7\n  |\n3 | name = \n  |       ^')).toEqual({ line: 3, column: 7 });
    expect(errorPosition('something else')).toBeNull();
  });

  it('turns them into a caret offset, clamped to the text', () => {
    const text = 'ab\ncdef\ng';
    expect(offsetOf(text, 1, 1)).toBe(0);
    expect(offsetOf(text, 2, 3)).toBe(5);
    expect(offsetOf(text, 2, 99)).toBe(7);
    expect(offsetOf(text, 9, 1)).toBe(8);
    expect(offsetOf(text, 0, 0)).toBe(0);
  });
});

describe('onlyNotInstalled', () => {
  const base = {
    id: 'codex',
    name: 'Codex',
    builtin: true,
    installed: false,
    path: null,
    version: null,
    install_hint: 'npm i -g @openai/codex',
    problem: "`codex` was not found on your login shell's PATH. Install: npm i -g @openai/codex",
  };
  it('treats a missing built-in CLI as available to install', () => {
    expect(onlyNotInstalled({ ...base } as unknown as AgentInfo)).toBe(true);
  });
  it('keeps a missing custom command and other problems as errors', () => {
    expect(onlyNotInstalled({ ...base, builtin: false } as unknown as AgentInfo)).toBe(false);
    expect(onlyNotInstalled({ ...base, problem: 'args must contain {prompt}' } as unknown as AgentInfo)).toBe(false);
    expect(onlyNotInstalled({ ...base, installed: true, problem: null } as unknown as AgentInfo)).toBe(false);
  });
});
