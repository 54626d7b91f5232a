// Whether this tab is signed in, framework-free so it is unit-tested. The browser wiring (address bar, storage
// events, the API client's 401s) is in useAuth.tsx.
//
// A sign-in link is `http://127.0.0.1:PORT/#code=CODE`: the code is single use and short-lived, and is traded at
// `POST /api/auth/session` for a session this browser keeps (see api/session.ts). When the server stops accepting
// the session (401 on any call: "Sign out everywhere" here or elsewhere, a rotated token), the tab is signed out
// until a new link is opened — in this tab (the address bar, a same-page navigation) or in another one (which
// stores a new session that this tab picks up), so whatever is on screen here survives.
import { ApiError } from '../../api/client';

export type SignedOutReason =
  /** This browser has no session (first visit, or its storage was cleared). */
  | 'no_session'
  /** The server refused the session: the token was rotated, or "Sign out everywhere" was used elsewhere. */
  | 'session_ended'
  /** The link's code was already used or has expired. */
  | 'code_invalid'
  /** This tab used "Sign out everywhere". */
  | 'signed_out_everywhere'
  /** The code could not be traded (server unreachable or an unexpected answer); it may still be good. */
  | 'exchange_failed';

export type AuthState =
  | { kind: 'signing-in' }
  | { kind: 'signed-in' }
  | { kind: 'signed-out'; reason: SignedOutReason; message: string | null };

export type AuthDeps = {
  /** Trades a code for a session and stores it (rejects with ApiError). */
  exchange: (code: string) => Promise<unknown>;
  /** `POST /api/auth/rotate`. */
  rotate: () => Promise<unknown>;
  hasSession: () => boolean;
  forgetSession: () => void;
};

export class AuthController {
  private state: AuthState;
  private readonly listeners = new Set<() => void>();
  /** A code whose exchange failed for a reason other than the code itself: "Try again" uses it once more. */
  private retryCode: string | null = null;
  /** Bumped by every exchange, so only the newest one's answer counts. */
  private exchanges = 0;

  /** `code`: the one taken from the address bar at load, if any (it wins over a stored session). */
  constructor(
    private readonly deps: AuthDeps,
    code: string | null,
  ) {
    this.state = deps.hasSession() ? { kind: 'signed-in' } : signedOut('no_session');
    if (code !== null) void this.signInWithCode(code);
  }

  readonly getState = (): AuthState => this.state;

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Trades a sign-in code for a session; resolves once the state says how it went. */
  async signInWithCode(code: string): Promise<void> {
    const exchange = ++this.exchanges;
    this.retryCode = null;
    this.set({ kind: 'signing-in' });
    try {
      await this.deps.exchange(code);
      if (exchange !== this.exchanges) return;
      this.set({ kind: 'signed-in' });
    } catch (e) {
      if (exchange !== this.exchanges) return;
      if (e instanceof ApiError && e.status === 401) {
        this.set(signedOut('code_invalid'));
        return;
      }
      this.retryCode = code;
      this.set(signedOut('exchange_failed', e instanceof Error ? e.message : String(e)));
    }
  }

  /** Whether "Try again" can trade the last code once more. */
  get canRetry(): boolean {
    return this.retryCode !== null;
  }

  retry(): void {
    if (this.retryCode !== null) void this.signInWithCode(this.retryCode);
    else this.sessionChanged();
  }

  /** An API call answered 401 with the current session. */
  unauthorized(): void {
    if (this.state.kind === 'signed-in') this.set(signedOut('session_ended'));
  }

  /** The stored session changed (another tab signed in, or was signed out): follow it. */
  sessionChanged(): void {
    if (this.state.kind === 'signing-in') return;
    const has = this.deps.hasSession();
    if (has && this.state.kind === 'signed-out') this.set({ kind: 'signed-in' });
    else if (!has && this.state.kind === 'signed-in') this.set(signedOut('session_ended'));
  }

  /**
   * Rotates the install token, which revokes every session everywhere, this tab's included. Rejects (state
   * unchanged, unless the server already refused the session) when the server did not do it.
   */
  async signOutEverywhere(): Promise<void> {
    await this.deps.rotate();
    this.exchanges += 1;
    this.deps.forgetSession();
    this.set(signedOut('signed_out_everywhere'));
  }

  private set(state: AuthState): void {
    this.state = state;
    for (const l of this.listeners) l();
  }
}

function signedOut(reason: SignedOutReason, message: string | null = null): AuthState {
  return { kind: 'signed-out', reason, message };
}
