import { describe, expect, it } from 'vitest';
import type { Run } from '../../api/generated/types';
import { notificationFor, parseRemembered, promptView, shouldNotify } from './notifications';

describe('notification permission', () => {
  it('asks once in a browser, never in the desktop window', () => {
    expect(promptView(false, 'default', 'none')).toBe('ask');
    expect(promptView(false, 'default', 'dismissed')).toBe('none');
    expect(promptView(true, 'default', 'none')).toBe('none');
    expect(promptView(false, 'unsupported', 'none')).toBe('none');
    expect(promptView(false, 'granted', 'none')).toBe('none');
  });

  it('says a denial plainly once, and never asks again', () => {
    expect(promptView(false, 'denied', 'none')).toBe('denied');
    expect(promptView(false, 'denied', 'dismissed')).toBe('denied');
    expect(promptView(false, 'denied', 'denial-seen')).toBe('none');
  });

  it('notifies only when granted, outside the desktop window', () => {
    expect(shouldNotify(false, 'granted')).toBe(true);
    expect(shouldNotify(true, 'granted')).toBe(false);
    expect(shouldNotify(false, 'default')).toBe(false);
    expect(shouldNotify(false, 'denied')).toBe(false);
  });

  it('reads only known remembered values', () => {
    expect(parseRemembered('dismissed')).toBe('dismissed');
    expect(parseRemembered('junk')).toBe('none');
    expect(parseRemembered(null)).toBe('none');
  });
});

describe('notificationFor', () => {
  it('names the agent and the task, tagged by run and event', () => {
    const n = notificationFor(
      { kind: 'waiting', taskId: 't', projectId: 'p', runId: 'r1', agent: 'fake', question: 'Proceed?' },
      'Fix it',
      (id) => (id === 'fake' ? 'Fake agent' : id),
    );
    expect(n).toEqual({ title: 'viban: Waiting for input', body: '“Fix it”: Fake agent is waiting for input — Proceed?', tag: 'r1:waiting' });
    const run = { id: 'r2', agent: 'fake', status: 'failed', error: null, exit_code: 3 } as Run;
    expect(notificationFor({ kind: 'failed', taskId: 't', projectId: 'p', run }, 'X', (id) => id).title).toBe('viban: Run failed');
  });
});
