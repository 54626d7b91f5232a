// The change-feed connection: one WebSocket, reconnected with capped exponential backoff. While it is down,
// `/api/health` is polled on the same schedule: failing health means "offline", passing health means the server
// is back and the socket is reopened. Every attempt first gets a single-use ticket (a browser WebSocket cannot send
// the Authorization header) and connects with `?ticket=`. Framework-free so the state machine is unit-tested.
import { parseChangeEvent, withTicket, type LiveEvent } from '../../api/client';

export type ConnectionState = 'connected' | 'reconnecting' | 'offline';

export const BACKOFF_BASE_MS = 250;
export const BACKOFF_CAP_MS = 5000;

/** Delay before retry number `attempt` (0-based): 250 ms doubling, ±20 % jitter, never above 5 s. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = BACKOFF_BASE_MS * 2 ** Math.min(attempt, 16);
  const jittered = base * (0.8 + 0.4 * random());
  return Math.round(Math.min(BACKOFF_CAP_MS, jittered));
}

export type SocketLike = {
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  close(): void;
};

export type LiveConnectionDeps = {
  url: string;
  /**
   * A fresh single-use ticket for each connection attempt (`POST /api/auth/ticket`), added to the URL as
   * `?ticket=`. A failure counts as a failed attempt (retried with backoff); a 401 there signs the app out, which
   * stops the connection. Without it the URL is used as is.
   */
  ticket?: () => Promise<string>;
  createSocket: (url: string) => SocketLike;
  checkHealth: () => Promise<boolean>;
  onState: (state: ConnectionState) => void;
  onEvent: (event: LiveEvent) => void;
  /** Called on every (re)open: notifications may have been missed, so the caller refetches. */
  onOpen: () => void;
  /**
   * When the next attempt is due (`now()` time, ms), each time one is scheduled; null when an attempt starts or the
   * socket opens. The offline banner counts down to it.
   */
  onRetryScheduled?: (at: number | null) => void;
  random?: () => number;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
};

export class LiveConnection {
  private socket: SocketLike | null = null;
  /** A ticket is being fetched for the next socket. */
  private connecting = false;
  /** Bumped by stop(), so a ticket that arrives afterwards opens nothing. */
  private generation = 0;
  private timer: unknown = null;
  private attempt = 0;
  private stopped = false;
  /** A health check is in flight (Retry now then waits for it instead of starting a second one). */
  private probing = false;
  private state: ConnectionState = 'reconnecting';
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly deps: LiveConnectionDeps) {
    this.setTimer = deps.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = deps.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.generation += 1;
    this.connecting = false;
    this.cancelTimer();
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onclose = null;
      s.onmessage = null;
      s.close();
    }
  }

  /** Skip the remaining backoff (e.g. the browser says it is online again). */
  retryNow(): void {
    if (this.stopped || this.socket || this.connecting || this.probing || this.state === 'connected') return;
    this.cancelTimer();
    this.attempt = 0;
    void this.probe();
  }

  private setState(state: ConnectionState): void {
    if (state === this.state) return;
    this.state = state;
    this.deps.onState(state);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  private connect(): void {
    const { ticket } = this.deps;
    if (!ticket) {
      this.openSocket(this.deps.url);
      return;
    }
    const generation = this.generation;
    this.connecting = true;
    ticket().then(
      (t) => {
        if (generation !== this.generation) return;
        this.connecting = false;
        this.openSocket(withTicket(this.deps.url, t));
      },
      () => {
        if (generation !== this.generation) return;
        this.connecting = false;
        this.scheduleRetry();
      },
    );
  }

  private openSocket(url: string): void {
    let socket: SocketLike;
    try {
      socket = this.deps.createSocket(url);
    } catch {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.attempt = 0;
      this.deps.onRetryScheduled?.(null);
      this.setState('connected');
      this.deps.onOpen();
    };
    socket.onmessage = (ev) => {
      const event = parseChangeEvent(ev.data);
      if (event) this.deps.onEvent(event);
    };
    socket.onerror = () => {};
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (this.stopped) return;
      if (this.state === 'connected') this.setState('reconnecting');
      this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    if (this.stopped) return;
    this.cancelTimer();
    const delay = backoffDelay(this.attempt, this.deps.random);
    this.attempt += 1;
    this.deps.onRetryScheduled?.((this.deps.now ?? Date.now)() + delay);
    this.timer = this.setTimer(() => {
      this.timer = null;
      void this.probe();
    }, delay);
  }

  private async probe(): Promise<void> {
    let healthy: boolean;
    this.probing = true;
    this.deps.onRetryScheduled?.(null);
    try {
      healthy = await this.deps.checkHealth();
    } catch {
      healthy = false;
    } finally {
      this.probing = false;
    }
    if (this.stopped || this.socket || this.connecting) return;
    if (healthy) {
      if (this.state === 'offline') this.setState('reconnecting');
      this.connect();
    } else {
      this.setState('offline');
      this.scheduleRetry();
    }
  }
}
