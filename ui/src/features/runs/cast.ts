// Asciicast v2 transcripts (a JSON header line, then `[seconds, code, data]` event lines) and a player that
// schedules them against a clock. Pure apart from the injected timer, so parsing and timing are unit-tested.

export type CastEvent =
  | { time: number; kind: 'output'; data: string }
  /** The terminal was resized (`"r"` events, data `COLSxROWS`). */
  | { time: number; kind: 'resize'; cols: number; rows: number };

export type Cast = { width: number; height: number; events: CastEvent[] };

/** Quiet stretches longer than this (seconds) are shortened, so waiting for an answer does not replay as a pause. */
export const DEFAULT_IDLE_LIMIT_S = 2;

export class CastFormatError extends Error {
  override name = 'CastFormatError';
}

const positive = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0;

/**
 * Parses a transcript. The header must be valid; event lines that are malformed or of kinds a viewer does not
 * play (input, markers) are skipped. Times are made non-decreasing and idle gaps capped at `idle_time_limit`
 * (from the header, else DEFAULT_IDLE_LIMIT_S).
 */
export function parseCast(text: string): Cast {
  const lines = text.split('\n');
  let header: unknown;
  try {
    header = JSON.parse(lines[0] ?? '');
  } catch {
    throw new CastFormatError('The transcript has no asciicast header');
  }
  if (typeof header !== 'object' || header === null) throw new CastFormatError('The transcript has no asciicast header');
  const h = header as Record<string, unknown>;
  if (h.version !== 2) throw new CastFormatError(`Unsupported asciicast version ${String(h.version)}`);
  const width = positive(h.width) ? Math.floor(h.width) : 80;
  const height = positive(h.height) ? Math.floor(h.height) : 24;
  const idleLimit = positive(h.idle_time_limit) ? h.idle_time_limit : DEFAULT_IDLE_LIMIT_S;

  const events: CastEvent[] = [];
  for (const line of lines.slice(1)) {
    const event = parseEventLine(line);
    if (event) events.push(event);
  }
  return { width, height, events: limitIdle(events, idleLimit) };
}

function parseEventLine(line: string): CastEvent | null {
  if (!line.trim()) return null;
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (!Array.isArray(v) || v.length < 3) return null;
  const [time, code, data] = v as unknown[];
  if (typeof time !== 'number' || !Number.isFinite(time) || typeof data !== 'string') return null;
  if (code === 'o') return { time: Math.max(0, time), kind: 'output', data };
  if (code === 'r') {
    const m = /^(\d+)x(\d+)$/.exec(data);
    if (!m) return null;
    const cols = Number(m[1]);
    const rows = Number(m[2]);
    return cols > 0 && rows > 0 ? { time: Math.max(0, time), kind: 'resize', cols, rows } : null;
  }
  return null;
}

/** Re-times events so no gap exceeds `limit` seconds (and time never goes backwards). */
export function limitIdle(events: readonly CastEvent[], limit: number): CastEvent[] {
  let previousOriginal = 0;
  let previousTimed = 0;
  return events.map((event) => {
    const gap = Math.max(0, event.time - previousOriginal);
    previousOriginal = Math.max(previousOriginal, event.time);
    previousTimed += Math.min(gap, limit);
    return { ...event, time: previousTimed };
  });
}

export type PlaybackSpeed = 1 | 2 | 8 | 'instant';
export const PLAYBACK_SPEEDS: readonly PlaybackSpeed[] = [1, 2, 8, 'instant'];

export type CastPlayerOptions = {
  /** Events due now, in order (several at once when they share a time or the speed is instant). */
  onEvents: (events: CastEvent[]) => void;
  /** The whole transcript has been played. */
  onEnd: () => void;
  /** Playing or paused changed. */
  onPlaying?: (playing: boolean) => void;
  /** A seek backwards: clear the screen, the events from the start follow (see seek). */
  onReset?: () => void;
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
};

export class CastPlayer {
  private index = 0;
  /** Transcript time (seconds) already played. */
  private position = 0;
  private speed: PlaybackSpeed = 1;
  private timer: unknown = null;
  /** When the pending timer was set and the position then, to know how far a pause got. */
  private anchor: { at: number; position: number } | null = null;
  private isPlaying = false;
  private readonly now: () => number;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(
    private readonly events: readonly CastEvent[],
    private readonly options: CastPlayerOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  get playing(): boolean {
    return this.isPlaying;
  }

  get finished(): boolean {
    return this.index >= this.events.length;
  }

  /** Seconds of (idle-limited) transcript time played so far. */
  get elapsed(): number {
    return this.position;
  }

  get duration(): number {
    return this.events[this.events.length - 1]?.time ?? 0;
  }

  get currentSpeed(): PlaybackSpeed {
    return this.speed;
  }

  /** Where playback is now (seconds), moving between events while playing: for a progress bar. */
  get currentTime(): number {
    if (this.isPlaying && this.anchor && this.speed !== 'instant') {
      const travelled = ((this.now() - this.anchor.at) / 1000) * this.speed;
      const nextTime = this.events[this.index]?.time ?? this.anchor.position;
      return Math.min(nextTime, this.anchor.position + travelled);
    }
    return this.position;
  }

  /**
   * Jumps to `time` (seconds, clamped to the transcript): forwards, the events in between are emitted at once;
   * backwards, onReset is called and everything up to `time` is emitted again from the start. Playing continues
   * from there; seeking to the end ends it.
   */
  seek(time: number): void {
    const target = Math.min(this.duration, Math.max(0, Number.isFinite(time) ? time : 0));
    const wasPlaying = this.isPlaying;
    this.cancelTimer();
    this.anchor = null;
    if (target < this.position || (target === 0 && this.index > 0)) {
      this.index = 0;
      this.options.onReset?.();
    }
    this.emitDue(target);
    if (this.finished) return this.end();
    if (wasPlaying) this.schedule();
  }

  play(): void {
    if (this.isPlaying || this.finished) return;
    this.setPlaying(true);
    this.schedule();
  }

  pause(): void {
    if (!this.isPlaying) return;
    this.cancelTimer();
    if (this.anchor && this.speed !== 'instant') {
      const travelled = ((this.now() - this.anchor.at) / 1000) * this.speed;
      const nextTime = this.events[this.index]?.time ?? this.anchor.position;
      this.position = Math.min(nextTime, this.anchor.position + travelled);
    }
    this.anchor = null;
    this.setPlaying(false);
  }

  setSpeed(speed: PlaybackSpeed): void {
    if (speed === this.speed) return;
    const wasPlaying = this.isPlaying;
    this.pause();
    this.speed = speed;
    if (wasPlaying) this.play();
  }

  /** Back to the start, paused (the caller clears its terminal). */
  rewind(): void {
    this.pause();
    this.index = 0;
    this.position = 0;
  }

  dispose(): void {
    this.cancelTimer();
    this.isPlaying = false;
  }

  private setPlaying(playing: boolean): void {
    if (playing === this.isPlaying) return;
    this.isPlaying = playing;
    this.options.onPlaying?.(playing);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const next = this.events[this.index];
    if (!next) return this.end();
    if (this.speed === 'instant') {
      const rest = this.events.slice(this.index);
      this.index = this.events.length;
      this.position = this.duration;
      this.options.onEvents(rest);
      return this.end();
    }
    const delayMs = (Math.max(0, next.time - this.position) / this.speed) * 1000;
    this.anchor = { at: this.now(), position: this.position };
    this.timer = this.setTimer(() => {
      this.timer = null;
      this.anchor = null;
      this.emitDue(next.time);
      this.schedule();
    }, delayMs);
  }

  /** Emits every event up to `time` in one batch. */
  private emitDue(time: number): void {
    const start = this.index;
    while (this.index < this.events.length && (this.events[this.index]?.time ?? Infinity) <= time) this.index += 1;
    this.position = time;
    if (this.index > start) this.options.onEvents(this.events.slice(start, this.index));
  }

  private end(): void {
    this.cancelTimer();
    this.anchor = null;
    this.setPlaying(false);
    this.options.onEnd();
  }
}
