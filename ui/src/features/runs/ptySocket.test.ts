import { describe, expect, it } from 'vitest';
import {
  PtyClient,
  judgeFrame,
  parseOutputFrame,
  parseTextFrame,
  ptyUrl,
  type ErrorFrame,
  type ExitFrame,
  type PtySocketLike,
  type PtyState,
  type ScreenFrame,
} from './ptySocket';

const text = new TextDecoder();
const bytesOf = (s: string) => new TextEncoder().encode(s);

/** A binary output frame as the server sends it: 8-byte big-endian offset, then the bytes. */
function frame(offset: number, body: string): ArrayBuffer {
  const payload = bytesOf(body);
  const buf = new ArrayBuffer(8 + payload.byteLength);
  const view = new DataView(buf);
  view.setUint32(0, Math.floor(offset / 2 ** 32));
  view.setUint32(4, offset % 2 ** 32);
  new Uint8Array(buf, 8).set(payload);
  return buf;
}

class FakeSocket implements PtySocketLike {
  onopen: (() => void) | null = null;
  onclose: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  sent: (string | Uint8Array)[] = [];
  closed = false;
  constructor(readonly url: string) {}
  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }
  close(): void {
    this.closed = true;
  }
  serverOpen() {
    this.onopen?.();
  }
  serverSend(data: string | ArrayBuffer) {
    this.onmessage?.({ data });
  }
  serverClose() {
    this.closed = true;
    this.onclose?.();
  }
}

function setup(retryLimit?: () => number) {
  const sockets: FakeSocket[] = [];
  const timers: { fn: () => void; ms: number }[] = [];
  const states: PtyState[] = [];
  const output: string[] = [];
  const screens: ScreenFrame[] = [];
  const exits: ExitFrame[] = [];
  const errors: ErrorFrame[] = [];
  const client = new PtyClient({
    url: (from) => ptyUrl({ protocol: 'http:', host: 'h:1' }, 'run-1', from),
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    onState: (s) => states.push(s),
    onScreen: (s) => screens.push(s),
    onOutput: (b) => output.push(text.decode(b)),
    onExit: (e) => exits.push(e),
    onError: (e) => errors.push(e),
    random: () => 0.5,
    ...(retryLimit ? { retryLimit } : {}),
    setTimer: (fn, ms) => {
      timers.push({ fn, ms });
      return timers.length;
    },
    clearTimer: () => {},
  });
  const runTimers = () => {
    for (const t of timers.splice(0)) t.fn();
  };
  const last = () => {
    const s = sockets[sockets.length - 1];
    if (!s) throw new Error('no socket');
    return s;
  };
  return { client, sockets, timers, states, output, screens, exits, errors, runTimers, last };
}

describe('frame parsing', () => {
  it('reads the big-endian offset, including values above 2^32', () => {
    expect(parseOutputFrame(frame(5, 'abc'))).toEqual({ offset: 5, bytes: bytesOf('abc') });
    const big = parseOutputFrame(frame(2 ** 33 + 7, 'x'));
    expect(big?.offset).toBe(2 ** 33 + 7);
    expect(text.decode(big?.bytes)).toBe('x');
  });

  it('accepts a view into a larger buffer and rejects frames without a header', () => {
    const outer = new Uint8Array(20);
    outer.set(new Uint8Array(frame(3, 'hi')), 4);
    const parsed = parseOutputFrame(outer.subarray(4, 14));
    expect(parsed?.offset).toBe(3);
    expect(text.decode(parsed?.bytes)).toBe('hi');
    expect(parseOutputFrame(new Uint8Array(7))).toBeNull();
  });

  it('parses screen, exit and error text frames and ignores the rest', () => {
    expect(parseTextFrame('{"type":"screen","offset":10,"cols":80,"rows":24,"data":"$ "}')).toEqual({
      type: 'screen',
      offset: 10,
      cols: 80,
      rows: 24,
      data: '$ ',
    });
    expect(parseTextFrame('{"type":"exit","status":"succeeded","exit_code":0}')).toEqual({
      type: 'exit',
      status: 'succeeded',
      exitCode: 0,
    });
    expect(parseTextFrame('{"type":"exit","status":"stopped","exit_code":null}')).toEqual({
      type: 'exit',
      status: 'stopped',
      exitCode: null,
    });
    expect(parseTextFrame('{"type":"error","code":"not_found","message":"no run"}')).toEqual({
      type: 'error',
      code: 'not_found',
      message: 'no run',
    });
    expect(parseTextFrame('{"type":"store","paused":true,"message":"output is paused: the disk is full"}')).toEqual({
      type: 'store',
      paused: 'output is paused: the disk is full',
    });
    expect(parseTextFrame('{"type":"store","paused":false,"message":null}')).toEqual({ type: 'store', paused: null });
    expect(parseTextFrame('{"type":"store"}')).toBeNull();
    expect(parseTextFrame('{"type":"exit","status":"exploded"}')).toBeNull();
    expect(parseTextFrame('{"type":"screen","offset":-1,"cols":80,"rows":24,"data":""}')).toBeNull();
    expect(parseTextFrame('{"type":"hello"}')).toBeNull();
    expect(parseTextFrame('not json')).toBeNull();
  });

  it('judges frames against next: deliver the unseen tail, drop repeats, flag gaps', () => {
    const f = (offset: number, s: string) => ({ offset, bytes: bytesOf(s) });
    expect(judgeFrame(null, f(0, 'abc'))).toEqual({ kind: 'deliver', bytes: bytesOf('abc'), next: 3 });
    expect(judgeFrame(3, f(3, 'de'))).toEqual({ kind: 'deliver', bytes: bytesOf('de'), next: 5 });
    expect(judgeFrame(5, f(3, 'defg'))).toEqual({ kind: 'deliver', bytes: bytesOf('fg'), next: 7 });
    expect(judgeFrame(7, f(2, 'cdefg'))).toEqual({ kind: 'duplicate' });
    expect(judgeFrame(7, f(7, ''))).toEqual({ kind: 'duplicate' });
    expect(judgeFrame(7, f(9, 'x'))).toEqual({ kind: 'gap' });
  });
});

describe('ptyUrl', () => {
  it('follows the page scheme and adds from when resuming', () => {
    expect(ptyUrl({ protocol: 'http:', host: '127.0.0.1:7777' }, 'r1', null)).toBe('ws://127.0.0.1:7777/api/runs/r1/pty');
    expect(ptyUrl({ protocol: 'https:', host: 'v.example' }, 'r/1', 42)).toBe('wss://v.example/api/runs/r%2F1/pty?from=42');
  });
});

describe('PtyClient', () => {
  it('writes the screen, then only bytes it has not seen, in order', () => {
    const t = setup();
    t.client.start();
    expect(t.last().url).toBe('ws://h:1/api/runs/run-1/pty');
    t.last().serverOpen();
    t.last().serverSend('{"type":"screen","offset":100,"cols":80,"rows":24,"data":"SCREEN"}');
    t.last().serverSend(frame(90, '0123456789')); // all below 100: dropped
    t.last().serverSend(frame(100, 'abc'));
    t.last().serverSend(frame(101, 'bcdef')); // overlaps: only "def"
    t.last().serverSend(frame(106, 'g'));
    expect(t.screens).toEqual([{ offset: 100, cols: 80, rows: 24, data: 'SCREEN' }]);
    expect(t.output).toEqual(['abc', 'def', 'g']);
    expect(t.client.next).toBe(107);
    expect(t.states).toEqual(['connecting', 'live']);
  });

  it('reconnects with from=next after the socket drops while the run is live', () => {
    const t = setup();
    t.client.start();
    t.last().serverOpen();
    t.last().serverSend(frame(0, 'hello'));
    t.last().serverClose();
    expect(t.states).toEqual(['connecting', 'live', 'reconnecting']);
    expect(t.sockets).toHaveLength(1);
    expect(t.timers[0]?.ms).toBe(250);
    t.runTimers();
    expect(t.sockets).toHaveLength(2);
    expect(t.last().url).toBe('ws://h:1/api/runs/run-1/pty?from=5');
    t.last().serverOpen();
    t.last().serverSend(frame(5, ' world'));
    expect(t.output.join('')).toBe('hello world');
    expect(t.states).toEqual(['connecting', 'live', 'reconnecting', 'live']);
  });

  it('backs off while the server stays away, and resets after a successful open', () => {
    const t = setup();
    t.client.start();
    t.last().serverClose();
    t.runTimers();
    t.last().serverClose();
    t.runTimers();
    t.last().serverClose();
    expect(t.timers.map((x) => x.ms)).toEqual([1000]);
    t.runTimers();
    t.last().serverOpen();
    t.last().serverClose();
    expect(t.timers.map((x) => x.ms)).toEqual([250]);
  });

  it('reconnects with from=next when a frame skips ahead (a gap)', () => {
    const t = setup();
    t.client.start();
    t.last().serverOpen();
    t.last().serverSend(frame(0, 'abc'));
    const first = t.last();
    first.serverSend(frame(10, 'lost the middle'));
    expect(first.closed).toBe(true);
    expect(t.output).toEqual(['abc']);
    t.runTimers();
    expect(t.last().url).toBe('ws://h:1/api/runs/run-1/pty?from=3');
    // A late frame from the abandoned socket is ignored.
    first.onmessage?.({ data: frame(3, 'zzz') });
    t.last().serverOpen();
    t.last().serverSend(frame(3, 'defghij'));
    expect(t.output).toEqual(['abc', 'defghij']);
  });

  it('stops reconnecting after the exit frame', () => {
    const t = setup();
    t.client.start();
    t.last().serverOpen();
    t.last().serverSend(frame(0, 'bye'));
    t.last().serverSend('{"type":"exit","status":"succeeded","exit_code":0}');
    t.last().serverClose();
    t.runTimers();
    expect(t.sockets).toHaveLength(1);
    expect(t.exits).toEqual([{ status: 'succeeded', exitCode: 0 }]);
    expect(t.states[t.states.length - 1]).toBe('ended');
    t.client.sendInput('ignored');
    expect(t.last().sent).toEqual([]);
  });

  it('ends on an error frame without reconnecting', () => {
    const t = setup();
    t.client.start();
    t.last().serverOpen();
    t.last().serverSend('{"type":"error","code":"not_found","message":"No such run"}');
    t.last().serverClose();
    t.runTimers();
    expect(t.sockets).toHaveLength(1);
    expect(t.errors).toEqual([{ code: 'not_found', message: 'No such run' }]);
    expect(t.states[t.states.length - 1]).toBe('ended');
  });

  it('sends keystrokes as binary frames and resize as JSON text, again after a reconnect', () => {
    const t = setup();
    t.client.start();
    t.client.sendInput('early');
    t.client.resize(100, 30);
    expect(t.last().sent).toEqual([]);
    t.last().serverOpen();
    expect(t.last().sent).toEqual(['{"type":"resize","cols":100,"rows":30}', bytesOf('early')]);
    t.client.sendInput('yes\r');
    t.client.resize(100, 30); // unchanged: not sent again
    expect(t.last().sent[2]).toEqual(bytesOf('yes\r'));
    expect(t.last().sent).toHaveLength(3);
    t.last().serverClose();
    t.runTimers();
    t.last().serverOpen();
    expect(t.last().sent).toEqual(['{"type":"resize","cols":100,"rows":30}']);
  });

  it('stop() closes the socket and cancels any reconnect', () => {
    const t = setup();
    t.client.start();
    const s = t.last();
    s.serverOpen();
    t.client.stop();
    expect(s.closed).toBe(true);
    s.onclose?.();
    t.runTimers();
    expect(t.sockets).toHaveLength(1);
  });
});

describe('PtyClient binary input', () => {
  it('sends onBinary strings byte for byte', () => {
    const t = setup();
    t.client.start();
    t.last().serverOpen();
    t.client.sendBinaryString('\x1b[M\xff!');
    expect(t.last().sent).toEqual([new Uint8Array([0x1b, 0x5b, 0x4d, 0xff, 0x21])]);
  });
});

describe('PtyClient retry limit', () => {
  it('gives up after the limit of consecutive failures, counting from the last successful open', () => {
    const t = setup(() => 2);
    t.client.start();
    t.last().serverOpen();
    t.last().serverClose(); // attempt 0 -> retry
    t.runTimers();
    t.last().serverClose(); // attempt 1 -> retry
    t.runTimers();
    expect(t.sockets).toHaveLength(3);
    t.last().serverClose(); // attempt 2 -> limit reached
    t.runTimers();
    expect(t.sockets).toHaveLength(3);
    expect(t.errors).toEqual([{ code: 'unreachable', message: 'The terminal stream cannot be reached' }]);
    expect(t.states[t.states.length - 1]).toBe('ended');
  });
});

describe('PtyClient tickets', () => {
  function ticketSetup() {
    const urls: string[] = [];
    const sockets: FakeSocket[] = [];
    const timers: { fn: () => void; ms: number }[] = [];
    const tickets: { resolve: (t: string) => void; reject: (e: unknown) => void }[] = [];
    const client = new PtyClient({
      url: (from) => ptyUrl({ protocol: 'http:', host: 'h:1' }, 'run-1', from),
      ticket: () => new Promise<string>((resolve, reject) => tickets.push({ resolve, reject })),
      createSocket: (url) => {
        urls.push(url);
        const s = new FakeSocket(url);
        sockets.push(s);
        return s;
      },
      onState: () => {},
      onScreen: () => {},
      onOutput: () => {},
      onExit: () => {},
      onError: () => {},
      random: () => 0.5,
      setTimer: (fn, ms) => {
        timers.push({ fn, ms });
        return timers.length;
      },
      clearTimer: () => {},
    });
    const settle = () => new Promise((r) => setTimeout(r, 0));
    return { client, urls, sockets, timers, tickets, settle };
  }

  it('connects with a new ticket each time, keeping from= on a resume', async () => {
    const t = ticketSetup();
    t.client.start();
    expect(t.sockets).toHaveLength(0);
    t.tickets[0]!.resolve('a');
    await t.settle();
    expect(t.urls).toEqual(['ws://h:1/api/runs/run-1/pty?ticket=a']);
    t.sockets[0]!.serverOpen();
    t.sockets[0]!.serverSend(frame(0, 'hello'));
    t.sockets[0]!.serverClose();
    t.timers.shift()!.fn();
    t.tickets[1]!.resolve('b');
    await t.settle();
    expect(t.urls[1]).toBe('ws://h:1/api/runs/run-1/pty?from=5&ticket=b');
  });

  it('counts a failed ticket as a failed attempt and tries again', async () => {
    const t = ticketSetup();
    t.client.start();
    t.tickets[0]!.reject(new Error('401'));
    await t.settle();
    expect(t.sockets).toHaveLength(0);
    expect(t.timers.map((x) => x.ms)).toEqual([250]);
    t.timers.shift()!.fn();
    t.tickets[1]!.resolve('c');
    await t.settle();
    expect(t.urls).toEqual(['ws://h:1/api/runs/run-1/pty?ticket=c']);
  });

  it('opens nothing when stopped while a ticket is on its way', async () => {
    const t = ticketSetup();
    t.client.start();
    t.client.stop();
    t.tickets[0]!.resolve('late');
    await t.settle();
    expect(t.sockets).toHaveLength(0);
  });
});
