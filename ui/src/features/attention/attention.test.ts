import { describe, expect, it } from 'vitest';
import type { Run } from '../../api/generated/types';
import { applyWaitingFrame, badgeLabel, pruneEnded, titleText, type WaitingRuns } from './attention';

const frame = (run_id: string, waiting: boolean, project_id = 'p1') => ({ run_id, project_id, waiting });

describe('waiting count from run_activity frames', () => {
  it('counts each waiting run once and drops it when a frame says it no longer waits', () => {
    let m: WaitingRuns = new Map();
    m = applyWaitingFrame(m, frame('r1', true));
    m = applyWaitingFrame(m, frame('r1', true));
    m = applyWaitingFrame(m, frame('r2', true, 'p2'));
    expect(m.size).toBe(2);
    m = applyWaitingFrame(m, frame('r1', false));
    expect([...m.keys()]).toEqual(['r2']);
  });

  it('keeps the same map when nothing changes (no re-render)', () => {
    const m: WaitingRuns = new Map([['r1', 'p1']]);
    expect(applyWaitingFrame(m, frame('r1', true))).toBe(m);
    expect(applyWaitingFrame(m, frame('r9', false))).toBe(m);
  });

  it('drops runs of the project on screen that ended, keeps other projects', () => {
    const m: WaitingRuns = new Map([
      ['r1', 'p1'],
      ['r2', 'p2'],
    ]);
    const runs = new Map([['t1', { id: 'r1', project_id: 'p1', status: 'succeeded' } as Run]]);
    expect([...pruneEnded(m, 'p1', runs).keys()]).toEqual(['r2']);
    const live = new Map([['t1', { id: 'r1', project_id: 'p1', status: 'running' } as Run]]);
    expect(pruneEnded(m, 'p1', live)).toBe(m);
  });
});

describe('title and badge', () => {
  it('says the count before the name only when runs wait', () => {
    expect(titleText(0)).toBe('viban');
    expect(titleText(2)).toBe('(2) viban');
  });
  it('caps the badge', () => {
    expect(badgeLabel(0)).toBe('');
    expect(badgeLabel(3)).toBe('3');
    expect(badgeLabel(12)).toBe('9+');
  });
});

describe('agentName', () => {
  it('uses the profile name, not the id', async () => {
    const { agentName } = await import('../../lib/format');
    expect(agentName(new Map([['fake', 'Fake agent']]), 'fake')).toBe('Fake agent');
    expect(agentName(new Map(), 'codex')).toBe('codex');
  });
});
