import { describe, expect, it } from 'vitest';
import { LiveConnection, type SocketLike } from './liveConnection';
import { retryLabel } from './retry';

describe('retryLabel', () => {
  it('counts whole seconds down, then says it is retrying', () => {
    expect(retryLabel(10_000, 5_000)).toBe('Retrying in 5 s…');
    expect(retryLabel(10_000, 5_001)).toBe('Retrying in 5 s…');
    expect(retryLabel(10_000, 9_100)).toBe('Retrying in 1 s…');
    expect(retryLabel(10_000, 10_000)).toBe('Retrying now…');
    expect(retryLabel(10_000, 12_000)).toBe('Retrying now…');
    expect(retryLabel(null, 0)).toBe('Retrying now…');
  });
});

describe('LiveConnection retry schedule', () => {
  function harness() {
    const scheduled: (number | null)[] = [];
    const timers = new Map<number, { fn: () => void; ms: number }>();
    let nextTimer = 1;
    let healthChecks = 0;
    const healthy = { value: false };
    const sockets: SocketLike[] = [];
    const conn = new LiveConnection({
      url: 'ws://x/api/events',
      createSocket: () => {
        const s: SocketLike = { onopen: null, onclose: null, onerror: null, onmessage: null, close: () => {} };
        sockets.push(s);
        return s;
      },
      checkHealth: () => {
        healthChecks += 1;
        return Promise.resolve(healthy.value);
      },
      onState: () => {},
      onEvent: () => {},
      onOpen: () => {},
      onRetryScheduled: (at) => scheduled.push(at),
      now: () => 1_000,
      random: () => 0.5,
      setTimer: (fn, ms) => {
        const id = nextTimer++;
        timers.set(id, { fn, ms });
        return id;
      },
      clearTimer: (id) => timers.delete(id as number),
    });
    const tick = () => new Promise((r) => setTimeout(r, 0));
    const fire = async () => {
      const [id, t] = [...timers.entries()][0] ?? [];
      if (id === undefined || !t) throw new Error('no timer pending');
      timers.delete(id);
      t.fn();
      await tick();
    };
    return { conn, scheduled, timers, fire, tick, healthy, sockets, healthChecks: () => healthChecks };
  }

  it('reports when the next attempt is due, and null while one runs or once connected', async () => {
    const h = harness();
    h.conn.start();
    h.sockets[0]?.onclose?.({}); // the first socket fails
    expect(h.scheduled.at(-1)).toBe(1_000 + 250);
    await h.fire(); // health check fails: offline, next attempt scheduled
    expect(h.scheduled).toContain(null);
    expect(h.scheduled.at(-1)).toBe(1_000 + 500);
    h.healthy.value = true;
    await h.fire();
    h.sockets.at(-1)?.onopen?.({});
    expect(h.scheduled.at(-1)).toBeNull();
  });

  it('Retry now skips the countdown, once', async () => {
    const h = harness();
    h.conn.start();
    h.sockets[0]?.onclose?.({});
    await h.fire();
    const before = h.healthChecks();
    h.conn.retryNow();
    h.conn.retryNow(); // a second press while the check is in flight starts nothing more
    await h.tick();
    expect(h.healthChecks()).toBe(before + 1);
    // Still down: a fresh, short countdown from the first step.
    expect(h.scheduled.at(-1)).toBe(1_000 + 250);
    expect(h.timers.size).toBe(1);
  });
});
