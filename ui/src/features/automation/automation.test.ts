import { describe, expect, it } from 'vitest';
import type { Automation } from '../../api/generated/types';
import { formOf, headerSummary, pausedPut, toPut } from './automation';

const auto = (over: Partial<Automation> = {}): Automation => ({
  project_id: 'p',
  column: 'in_review',
  action: 'script',
  script: 'npm test',
  agent: '',
  prompt: '',
  timeout_secs: 600,
  wip_limit: 2,
  paused: false,
  pending: 3,
  running: 2,
  ...over,
});

describe('column automation', () => {
  it('turns the form into the PUT body, only with what the action uses', () => {
    const f = { ...formOf(null, 'claude'), script: 'npm test', wipLimit: '2' };
    expect(toPut(f)).toEqual({ body: { action: 'script', script: 'npm test', timeout_secs: 600, paused: false, wip_limit: 2 } });
    const agent = { ...formOf(null, 'claude'), action: 'agent' as const, prompt: 'Review {title}' };
    expect(toPut(agent)).toEqual({ body: { action: 'agent', agent: 'claude', prompt: 'Review {title}', timeout_secs: 600, paused: false } });
  });

  it('refuses what the server would', () => {
    expect(toPut({ ...formOf(null, 'a'), script: ' ' })).toEqual({ error: 'Write the script to run.' });
    expect('error' in toPut({ ...formOf(null, 'a'), script: 'x', wipLimit: '0' })).toBe(true);
    expect('error' in toPut({ ...formOf(null, 'a'), script: 'x', timeoutSecs: '1.5' })).toBe(true);
  });

  it('pauses without changing the rest', () => {
    expect(pausedPut(auto(), true)).toEqual({ action: 'script', script: 'npm test', timeout_secs: 600, wip_limit: 2, paused: true });
  });

  it('says what the column does and what is under way', () => {
    expect(headerSummary(auto(), (id) => id)).toBe('Script · WIP 2/2 · 3 waiting');
    const agent = auto({ action: 'agent', agent: 'claude', wip_limit: null, pending: 0, running: 1, paused: true });
    expect(headerSummary(agent, () => 'Claude Code')).toBe('Start Claude Code (paused) · 1 running');
  });
});
