import { describe, expect, it } from 'vitest';
import type { LiveEvent as ChangeEvent } from '../../api/client';
import { BACKOFF_CAP_MS, LiveConnection, backoffDelay, type ConnectionState, type SocketLike } from './liveConnection';

class FakeSocket implements SocketLike {
  onopen: ((ev: unknown) => void) | null = null;
  onclose: ((ev: unknown) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  closed = false;
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.({});
  }
  drop() {
    this.onclose?.({});
  }
  send(data: string) {
    this.onmessage?.({ data });
  }
}

function harness(healthy: { value: boolean }) {
  const sockets: FakeSocket[] = [];
  const states: ConnectionState[] = [];
  const events: ChangeEvent[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  let opens = 0;
  const conn = new LiveConnection({
    url: 'ws://x/api/events',
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    checkHealth: () => Promise.resolve(healthy.value),
    onState: (s) => states.push(s),
    onEvent: (e) => events.push(e),
    onOpen: () => opens++,
    random: () => 0.5,
    setTimer: (fn, ms) => {
      timers.push({ fn, ms });
      return timers.length;
    },
    clearTimer: () => {},
  });
  const fire = async () => {
    const t = timers.shift();
    if (!t) throw new Error('no timer pending');
    t.fn();
    await new Promise((r) => setTimeout(r, 0));
    return t.ms;
  };
  return { conn, sockets, states, events, timers, fire, opens: () => opens };
}

describe('backoffDelay', () => {
  it('doubles from 250 ms and caps at 5 s', () => {
    const mid = () => 0.5;
    expect([0, 1, 2, 3, 4, 5, 10].map((a) => backoffDelay(a, mid))).toEqual([250, 500, 1000, 2000, 4000, 5000, 5000]);
    expect(backoffDelay(40, () => 1)).toBe(BACKOFF_CAP_MS);
    expect(backoffDelay(0, () => 0)).toBe(200);
  });
});

describe('LiveConnection', () => {
  it('connects, forwards events and refetches on open', () => {
    const h = harness({ value: true });
    h.conn.start();
    h.sockets[0]!.open();
    expect(h.states).toEqual(['connected']);
    expect(h.opens()).toBe(1);
    h.sockets[0]!.send('{"type":"change","table":"task","op":"insert","id":"t","project_id":"p"}');
    h.sockets[0]!.send('garbage');
    expect(h.events).toEqual([{ type: 'change', table: 'task', op: 'insert', id: 't', project_id: 'p' }]);
  });

  it('goes offline while health fails, backs off, and recovers by itself', async () => {
    const healthy = { value: true };
    const h = harness(healthy);
    h.conn.start();
    h.sockets[0]!.open();
    healthy.value = false;
    h.sockets[0]!.drop();
    expect(h.states).toEqual(['connected', 'reconnecting']);

    const delays = [await h.fire(), await h.fire(), await h.fire()];
    expect(delays).toEqual([250, 500, 1000]);
    expect(h.states).toEqual(['connected', 'reconnecting', 'offline']);
    expect(h.sockets.length).toBe(1); // no socket attempts while health fails

    healthy.value = true;
    await h.fire();
    expect(h.sockets.length).toBe(2);
    expect(h.states.at(-1)).toBe('reconnecting');
    h.sockets[1]!.open();
    expect(h.states.at(-1)).toBe('connected');
    expect(h.opens()).toBe(2);

    // The backoff starts over after a successful connection.
    h.sockets[1]!.drop();
    expect(h.timers[0]?.ms).toBe(250);
  });

  it('keeps retrying a socket that fails although health passes', async () => {
    const h = harness({ value: true });
    h.conn.start();
    h.sockets[0]!.drop(); // e.g. refused upgrade
    await h.fire();
    h.sockets[1]!.drop();
    expect(h.timers[0]?.ms).toBe(500);
    expect(h.states).not.toContain('offline');
  });

  it('stop closes the socket and schedules nothing', () => {
    const h = harness({ value: true });
    h.conn.start();
    h.sockets[0]!.open();
    h.conn.stop();
    expect(h.sockets[0]!.closed).toBe(true);
    h.sockets[0]!.drop();
    expect(h.timers.length).toBe(0);
  });
});

describe('LiveConnection tickets', () => {
  function ticketHarness() {
    const urls: string[] = [];
    const sockets: FakeSocket[] = [];
    const timers: { fn: () => void; ms: number }[] = [];
    const tickets: { resolve: (t: string) => void; reject: (e: unknown) => void }[] = [];
    const conn = new LiveConnection({
      url: 'ws://h:1/api/events',
      ticket: () => new Promise<string>((resolve, reject) => tickets.push({ resolve, reject })),
      createSocket: (url) => {
        urls.push(url);
        const s = new FakeSocket();
        sockets.push(s);
        return s;
      },
      checkHealth: () => Promise.resolve(true),
      onState: () => {},
      onEvent: () => {},
      onOpen: () => {},
      random: () => 0.5,
      setTimer: (fn, ms) => {
        timers.push({ fn, ms });
        return timers.length;
      },
      clearTimer: () => {},
    });
    const settle = () => new Promise((r) => setTimeout(r, 0));
    return { conn, urls, sockets, timers, tickets, settle };
  }

  it('gets a fresh single-use ticket before every connection', async () => {
    const h = ticketHarness();
    h.conn.start();
    expect(h.sockets).toHaveLength(0); // nothing opens before the ticket
    h.tickets[0]!.resolve('t-1');
    await h.settle();
    expect(h.urls).toEqual(['ws://h:1/api/events?ticket=t-1']);
    h.sockets[0]!.open();
    h.sockets[0]!.drop();
    h.timers.shift()!.fn();
    await h.settle();
    expect(h.tickets).toHaveLength(2);
    h.tickets[1]!.resolve('t-2');
    await h.settle();
    expect(h.urls).toEqual(['ws://h:1/api/events?ticket=t-1', 'ws://h:1/api/events?ticket=t-2']);
  });

  it('retries with backoff when no ticket can be had', async () => {
    const h = ticketHarness();
    h.conn.start();
    h.tickets[0]!.reject(new Error('network'));
    await h.settle();
    expect(h.sockets).toHaveLength(0);
    expect(h.timers.map((t) => t.ms)).toEqual([250]);
    h.timers.shift()!.fn();
    await h.settle();
    h.tickets[1]!.resolve('t');
    await h.settle();
    expect(h.urls).toEqual(['ws://h:1/api/events?ticket=t']);
  });

  it('opens nothing when stopped while a ticket is on its way', async () => {
    const h = ticketHarness();
    h.conn.start();
    h.conn.stop();
    h.tickets[0]!.resolve('late');
    await h.settle();
    expect(h.sockets).toHaveLength(0);
    expect(h.timers).toHaveLength(0);
  });
});
