import { describe, expect, it } from 'vitest';
import { MAX_TOASTS, pushToast, toastDuration } from './toasts';

describe('pushToast', () => {
  it('keeps at most MAX_TOASTS, newest last', () => {
    let l = pushToast([], { id: 0, kind: 'info', message: 'm0' });
    for (let i = 1; i < 10; i++) l = pushToast(l, { id: i, kind: 'info', message: `m${i}` });
    expect(l.map((t) => t.id)).toEqual([6, 7, 8, 9]);
    expect(l.length).toBe(MAX_TOASTS);
  });

  it('replaces an identical newest toast instead of stacking it', () => {
    const l = pushToast([{ id: 1, kind: 'error', message: 'boom' }], { id: 2, kind: 'error', message: 'boom' });
    expect(l).toEqual([{ id: 2, kind: 'error', message: 'boom' }]);
  });

  it('keeps errors on screen longer', () => {
    expect(toastDuration('error')).toBeGreaterThan(toastDuration('info'));
  });

  it('keeps a toast with a reply box long enough to type an answer', () => {
    expect(toastDuration('info', true)).toBeGreaterThanOrEqual(60_000);
  });
});
