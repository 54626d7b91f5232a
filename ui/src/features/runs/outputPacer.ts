// Paces a terminal's output into xterm (issue 11, several terminals at once). A terminal the user is not typing
// into gets its output in batches at most every PACE_MS: xterm then redraws it about 25 times a second instead of on
// every frame, so four agents printing at full speed leave the page's main thread room for the one being typed into.
// The focused terminal writes every chunk at once (keystroke echo is never held back), and focusing a terminal
// flushes what it held. Framework-free, unit-tested with fake timers.

export const PACE_MS = 40;

export type PacerOptions = {
  write: (bytes: Uint8Array) => void;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (handle: unknown) => void;
};

export class OutputPacer {
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private timer: unknown = null;
  private immediate = false;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (handle: unknown) => void;

  constructor(private readonly options: PacerOptions) {
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = options.clearTimer ?? ((h) => clearTimeout(h as ReturnType<typeof setTimeout>));
  }

  /** Output for the terminal: written now when immediate, else held until the next batch. */
  push(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    if (this.immediate) {
      this.options.write(bytes);
      return;
    }
    this.held.push(bytes);
    this.heldBytes += bytes.byteLength;
    if (this.timer === null) this.timer = this.setTimer(() => this.flushHeld(), PACE_MS);
  }

  /** The terminal has the keyboard: write at once from now on (and what was held, now). */
  setImmediate(immediate: boolean): void {
    this.immediate = immediate;
    if (immediate) this.flush();
  }

  /** Writes everything held now (before a screen redraw, an exit, or when the terminal goes away). */
  flush(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.flushHeld();
  }

  /** Drops what is held without writing it (the screen is about to be redrawn from a snapshot). */
  discard(): void {
    if (this.timer !== null) this.clearTimer(this.timer);
    this.timer = null;
    this.held = [];
    this.heldBytes = 0;
  }

  private flushHeld(): void {
    this.timer = null;
    if (this.held.length === 0) return;
    const chunks = this.held;
    const total = this.heldBytes;
    this.held = [];
    this.heldBytes = 0;
    const only = chunks.length === 1 ? chunks[0] : undefined;
    if (only) {
      this.options.write(only);
      return;
    }
    const joined = new Uint8Array(total);
    let at = 0;
    for (const c of chunks) {
      joined.set(c, at);
      at += c.byteLength;
    }
    this.options.write(joined);
  }
}
