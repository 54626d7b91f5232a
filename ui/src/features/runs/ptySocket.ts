// Client for a run's live terminal, WebSocket `/api/runs/{id}/pty[?from=<offset>]` (docs/api-contract.md).
// Output arrives as binary frames (8-byte big-endian offset of the first byte, then the bytes) and is delivered
// exactly once, in order: bytes below `next` are dropped, a frame that starts beyond `next` means bytes were lost
// and the client reconnects with `?from=next`, which the server answers with exactly what is missing. A socket
// that drops before the `exit` frame is reopened the same way with capped backoff. Each connection first gets a
// single-use ticket and adds it as `&ticket=` (a browser WebSocket cannot send the Authorization header).
// Framework-free so it is unit-tested with a fake socket.
import type { ErrorCode, RunStatus } from '../../api/generated/types';
import { withTicket } from '../../api/client';
import { backoffDelay } from '../connection/liveConnection';

export type PtyState = 'connecting' | 'live' | 'reconnecting' | 'ended';

/** Redraws the current screen of a live run; the stream continues at `offset`. */
export type ScreenFrame = { offset: number; cols: number; rows: number; data: string };
export type ExitFrame = { status: RunStatus; exitCode: number | null };
/** A terminal error: the server's frame codes, or the socket's own (`unreachable`, `error` for a frame without one). */
export type ErrorFrame = { code: ErrorCode | 'unreachable' | 'error'; message: string };

/** Storing the run's output paused (the agent waits; nothing is lost) with why, or resumed (`paused: null`). */
export type StoreFrame = { paused: string | null };

export type PtyTextFrame =
  | ({ type: 'screen' } & ScreenFrame)
  | ({ type: 'exit' } & ExitFrame)
  | ({ type: 'error' } & ErrorFrame)
  | ({ type: 'store' } & StoreFrame);

export type OutputFrame = { offset: number; bytes: Uint8Array };

const RUN_STATUSES: readonly RunStatus[] = ['queued', 'starting', 'running', 'succeeded', 'failed', 'stopped', 'interrupted'];
const isRunStatus = (v: unknown): v is RunStatus => typeof v === 'string' && (RUN_STATUSES as readonly string[]).includes(v);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Parses a server text frame; anything malformed or unknown gives null (and is ignored). */
export function parseTextFrame(text: string): PtyTextFrame | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  switch (o.type) {
    case 'screen':
      if (!isCount(o.offset) || !isCount(o.cols) || !isCount(o.rows) || typeof o.data !== 'string') return null;
      return { type: 'screen', offset: o.offset, cols: o.cols, rows: o.rows, data: o.data };
    case 'exit': {
      if (!isRunStatus(o.status)) return null;
      const exitCode = typeof o.exit_code === 'number' && Number.isInteger(o.exit_code) ? o.exit_code : null;
      return { type: 'exit', status: o.status, exitCode };
    }
    case 'store':
      if (typeof o.paused !== 'boolean') return null;
      return { type: 'store', paused: o.paused ? (typeof o.message === 'string' ? o.message : 'output is paused') : null };
    case 'error':
      return {
        type: 'error',
        // The server's codes are its ErrorCode enum; the type is its promise, not checked here.
        code: typeof o.code === 'string' ? (o.code as ErrorCode) : 'error',
        message: typeof o.message === 'string' ? o.message : 'The terminal connection failed',
      };
    default:
      return null;
  }
}

/** Splits a binary frame into its offset and bytes; null when it is shorter than the 8-byte header. */
export function parseOutputFrame(data: ArrayBuffer | ArrayBufferView): OutputFrame | null {
  const bytes =
    data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.byteLength < 8) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  // Two 32-bit halves instead of getBigUint64: offsets stay far below 2^53, and plain numbers are simpler to use.
  const offset = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
  return { offset, bytes: bytes.subarray(8) };
}

/**
 * What to do with an output frame given `next`, the offset of the first byte not yet delivered (null before
 * anything arrived): deliver its unseen tail, drop it as already seen, or report a gap before it.
 */
export type FrameVerdict = { kind: 'deliver'; bytes: Uint8Array; next: number } | { kind: 'duplicate' } | { kind: 'gap' };

export function judgeFrame(next: number | null, frame: OutputFrame): FrameVerdict {
  const end = frame.offset + frame.bytes.byteLength;
  // Nothing seen yet: a replay (finished run) starts wherever the server starts.
  if (next === null) return { kind: 'deliver', bytes: frame.bytes, next: end };
  if (frame.offset > next) return { kind: 'gap' };
  if (end <= next) return { kind: 'duplicate' };
  return { kind: 'deliver', bytes: frame.bytes.subarray(next - frame.offset), next: end };
}

/** `ws://host/api/runs/{id}/pty` (or `wss:` on an https page), with `?from=` when resuming. */
export function ptyUrl(loc: { protocol: string; host: string }, runId: string, from: number | null): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  const query = from === null ? '' : `?from=${from}`;
  return `${scheme}//${loc.host}/api/runs/${encodeURIComponent(runId)}/pty${query}`;
}

/** The part of a WebSocket this client uses; the browser adapter sets `binaryType = 'arraybuffer'`. */
export type PtySocketLike = {
  onopen: (() => void) | null;
  onclose: (() => void) | null;
  onerror: (() => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string | Uint8Array): void;
  close(): void;
};

export function browserPtySocket(url: string): PtySocketLike {
  const ws = new WebSocket(url);
  ws.binaryType = 'arraybuffer';
  const socket: PtySocketLike = {
    onopen: null,
    onclose: null,
    onerror: null,
    onmessage: null,
    send: (data) => ws.send(data),
    close: () => ws.close(),
  };
  ws.onopen = () => socket.onopen?.();
  ws.onclose = () => socket.onclose?.();
  ws.onerror = () => socket.onerror?.();
  ws.onmessage = (e: MessageEvent) => socket.onmessage?.({ data: e.data });
  return socket;
}

export type PtyClientOptions = {
  /** The socket URL, resuming at `from` when it is not null. */
  url: (from: number | null) => string;
  /**
   * A fresh single-use ticket for each connection attempt (`POST /api/auth/ticket`), added to the URL. A failure
   * counts as a failed attempt. Without it the URL is used as is.
   */
  ticket?: () => Promise<string>;
  createSocket: (url: string) => PtySocketLike;
  onState: (state: PtyState) => void;
  /** Reset the terminal and write `data`. */
  onScreen: (frame: ScreenFrame) => void;
  onOutput: (bytes: Uint8Array) => void;
  onExit: (exit: ExitFrame) => void;
  onError: (error: ErrorFrame) => void;
  /** Storing output paused or resumed (optional: a viewer may ignore it). */
  onStore?: (frame: StoreFrame) => void;
  /**
   * Consecutive failed attempts after which the client gives up with an `unreachable` error (asked each time:
   * a live run is worth waiting for, a finished one that cannot be fetched is not). Unlimited by default.
   */
  retryLimit?: () => number;
  random?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
};

/** Keystrokes typed while (re)connecting are kept up to this many bytes and sent once the socket opens. */
export const MAX_PENDING_INPUT = 64 * 1024;

export class PtyClient {
  private socket: PtySocketLike | null = null;
  /** A ticket is being fetched for the next socket. */
  private connecting = false;
  /** Bumped by stop(), so a ticket that arrives afterwards opens nothing. */
  private generation = 0;
  private open = false;
  private timer: unknown = null;
  private attempt = 0;
  private stopped = false;
  private finished = false;
  private state: PtyState | null = null;
  private nextOffset: number | null = null;
  private size: { cols: number; rows: number } | null = null;
  private pendingInput: Uint8Array[] = [];
  private pendingBytes = 0;
  private readonly encoder = new TextEncoder();
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: PtyClientOptions) {
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  /** Offset of the first output byte not received yet (null before any output or screen). */
  get next(): number | null {
    return this.nextOffset;
  }

  start(): void {
    this.stopped = false;
    this.setState('connecting');
    this.connect();
  }

  /** Closes for good (the view went away); no reconnect. */
  stop(): void {
    this.stopped = true;
    this.generation += 1;
    this.connecting = false;
    this.cancelTimer();
    this.dropSocket();
  }

  /** Keystrokes for the agent, sent as a binary frame. */
  sendInput(data: string): void {
    this.sendBytes(this.encoder.encode(data));
  }

  /** xterm's `onBinary` data (legacy mouse reports): one character per byte, not UTF-8. */
  sendBinaryString(data: string): void {
    this.sendBytes(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff));
  }

  private sendBytes(bytes: Uint8Array): void {
    if (this.finished || this.stopped || bytes.byteLength === 0) return;
    if (this.open && this.socket) {
      this.socket.send(bytes);
      return;
    }
    if (this.pendingBytes + bytes.byteLength > MAX_PENDING_INPUT) return;
    this.pendingInput.push(bytes);
    this.pendingBytes += bytes.byteLength;
  }

  /** Resizes the PTY; remembered and sent again after a reconnect (the last viewer to resize wins). */
  resize(cols: number, rows: number): void {
    if (this.size && this.size.cols === cols && this.size.rows === rows) return;
    this.size = { cols, rows };
    this.sendSize();
  }

  private setState(state: PtyState): void {
    if (state === this.state) return;
    this.state = state;
    this.options.onState(state);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  private dropSocket(): void {
    const s = this.socket;
    this.socket = null;
    this.open = false;
    if (s) {
      s.onopen = null;
      s.onclose = null;
      s.onmessage = null;
      s.onerror = null;
      s.close();
    }
  }

  private sendSize(): void {
    if (this.finished || !this.open || !this.socket || !this.size) return;
    this.socket.send(JSON.stringify({ type: 'resize', cols: this.size.cols, rows: this.size.rows }));
  }

  private connect(): void {
    const { ticket } = this.options;
    if (!ticket) {
      this.openSocket(this.options.url(this.nextOffset));
      return;
    }
    const generation = this.generation;
    this.connecting = true;
    ticket().then(
      (t) => {
        if (generation !== this.generation) return;
        this.connecting = false;
        if (this.stopped || this.finished) return;
        this.openSocket(withTicket(this.options.url(this.nextOffset), t));
      },
      () => {
        if (generation !== this.generation) return;
        this.connecting = false;
        this.scheduleReconnect();
      },
    );
  }

  private openSocket(url: string): void {
    let socket: PtySocketLike;
    try {
      socket = this.options.createSocket(url);
    } catch {
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.open = true;
      this.attempt = 0;
      this.setState('live');
      this.sendSize();
      for (const bytes of this.pendingInput) socket.send(bytes);
      this.pendingInput = [];
      this.pendingBytes = 0;
    };
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.receive(ev.data);
    };
    socket.onerror = () => {};
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.open = false;
      if (this.stopped || this.finished) return;
      this.scheduleReconnect();
    };
  }

  private receive(data: unknown): void {
    if (typeof data === 'string') {
      const frame = parseTextFrame(data);
      if (frame) this.receiveText(frame);
      return;
    }
    if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) return;
    const frame = parseOutputFrame(data);
    if (!frame) return;
    const verdict = judgeFrame(this.nextOffset, frame);
    switch (verdict.kind) {
      case 'duplicate':
        return;
      case 'gap':
        // Bytes between `next` and this frame never arrived: ask again from `next`.
        this.dropSocket();
        this.scheduleReconnect();
        return;
      case 'deliver':
        this.nextOffset = verdict.next;
        if (verdict.bytes.byteLength > 0) this.options.onOutput(verdict.bytes);
        return;
    }
  }

  private receiveText(frame: PtyTextFrame): void {
    switch (frame.type) {
      case 'screen':
        this.nextOffset = frame.offset;
        this.options.onScreen({ offset: frame.offset, cols: frame.cols, rows: frame.rows, data: frame.data });
        return;
      case 'exit':
        this.finish();
        this.options.onExit({ status: frame.status, exitCode: frame.exitCode });
        return;
      case 'error':
        this.finish();
        this.options.onError({ code: frame.code, message: frame.message });
        return;
      case 'store':
        this.options.onStore?.({ paused: frame.paused });
        return;
    }
  }

  /** The server said its last word (exit or error): nothing more will come, so never reconnect. */
  private finish(): void {
    this.finished = true;
    this.pendingInput = [];
    this.pendingBytes = 0;
    this.cancelTimer();
    this.setState('ended');
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.finished) return;
    if (this.attempt >= (this.options.retryLimit?.() ?? Infinity)) {
      this.finish();
      this.options.onError({ code: 'unreachable', message: 'The terminal stream cannot be reached' });
      return;
    }
    this.setState('reconnecting');
    this.cancelTimer();
    const delay = backoffDelay(this.attempt, this.options.random);
    this.attempt += 1;
    this.timer = this.setTimer(() => {
      this.timer = null;
      if (!this.stopped && !this.finished && !this.socket && !this.connecting) this.connect();
    }, delay);
  }
}
