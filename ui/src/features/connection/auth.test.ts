import { describe, expect, it } from 'vitest';
import { ApiError, UnauthorizedError } from '../../api/client';
import { AuthController, type AuthState } from './auth';

/** A controller over a fake session store and fake server calls that the test settles by hand. */
function harness({ session = null as string | null, code = null as string | null } = {}) {
  const stored = { value: session };
  const exchanges: { code: string; resolve: () => void; reject: (e: unknown) => void }[] = [];
  const rotations: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  const auth = new AuthController(
    {
      exchange: (c) =>
        new Promise<void>((resolve, reject) => {
          exchanges.push({
            code: c,
            resolve: () => {
              stored.value = `session-for-${c}`;
              resolve();
            },
            reject,
          });
        }),
      rotate: () => new Promise<void>((resolve, reject) => rotations.push({ resolve, reject })),
      hasSession: () => stored.value !== null,
      forgetSession: () => {
        stored.value = null;
      },
    },
    code,
  );
  const states: AuthState[] = [];
  auth.subscribe(() => states.push(auth.getState()));
  return { auth, stored, exchanges, rotations, states };
}

const tick = () => new Promise((r) => setTimeout(r, 0));
const codeInvalid = () => new UnauthorizedError({ code: 'code_invalid', message: 'already used or expired' });

describe('AuthController at load', () => {
  it('is signed in with a stored session and signed out without one', () => {
    expect(harness({ session: 's' }).auth.getState()).toEqual({ kind: 'signed-in' });
    expect(harness().auth.getState()).toEqual({ kind: 'signed-out', reason: 'no_session', message: null });
  });

  it('trades a code from the address bar, even over a stored session', async () => {
    const h = harness({ session: 'old', code: 'c1' });
    expect(h.auth.getState()).toEqual({ kind: 'signing-in' });
    expect(h.exchanges.map((e) => e.code)).toEqual(['c1']);
    h.exchanges[0]!.resolve();
    await tick();
    expect(h.auth.getState()).toEqual({ kind: 'signed-in' });
    expect(h.stored.value).toBe('session-for-c1');
  });

  it('says so when the code was already used or expired', async () => {
    const h = harness({ code: 'used' });
    h.exchanges[0]!.reject(codeInvalid());
    await tick();
    expect(h.auth.getState()).toEqual({ kind: 'signed-out', reason: 'code_invalid', message: null });
    expect(h.auth.canRetry).toBe(false);
  });

  it('offers to try a code again when the server could not be reached', async () => {
    const h = harness({ code: 'c' });
    h.exchanges[0]!.reject(new ApiError(0, { code: 'network', message: 'Cannot reach the viban server' }));
    await tick();
    expect(h.auth.getState()).toMatchObject({ kind: 'signed-out', reason: 'exchange_failed', message: 'Cannot reach the viban server' });
    expect(h.auth.canRetry).toBe(true);
    h.auth.retry();
    expect(h.exchanges.map((e) => e.code)).toEqual(['c', 'c']);
    h.exchanges[1]!.resolve();
    await tick();
    expect(h.auth.getState()).toEqual({ kind: 'signed-in' });
    expect(h.auth.canRetry).toBe(false);
  });

  it('only the newest code counts', async () => {
    const h = harness({ code: 'first' });
    void h.auth.signInWithCode('second');
    h.exchanges[1]!.resolve();
    await tick();
    h.exchanges[0]!.reject(codeInvalid());
    await tick();
    expect(h.auth.getState()).toEqual({ kind: 'signed-in' });
  });
});

describe('AuthController while the app runs', () => {
  it('a refused session signs the tab out, and a new code (pasted into this tab) signs it in again', async () => {
    const h = harness({ session: 's' });
    h.auth.unauthorized();
    expect(h.auth.getState()).toEqual({ kind: 'signed-out', reason: 'session_ended', message: null });
    h.auth.unauthorized(); // more 401s from requests in flight change nothing
    expect(h.states).toHaveLength(1);
    const done = h.auth.signInWithCode('new');
    h.exchanges[0]!.resolve();
    await done;
    expect(h.auth.getState()).toEqual({ kind: 'signed-in' });
  });

  it('follows the session another tab stored or lost', () => {
    const h = harness();
    h.stored.value = 'from-another-tab';
    h.auth.sessionChanged();
    expect(h.auth.getState()).toEqual({ kind: 'signed-in' });
    h.stored.value = null;
    h.auth.sessionChanged();
    expect(h.auth.getState()).toMatchObject({ kind: 'signed-out', reason: 'session_ended' });
  });

  it('a 401 during a sign-in does not cut it short', async () => {
    const h = harness({ session: 'old', code: 'c' });
    h.auth.unauthorized();
    h.auth.sessionChanged();
    expect(h.auth.getState()).toEqual({ kind: 'signing-in' });
    h.exchanges[0]!.resolve();
    await tick();
    expect(h.auth.getState()).toEqual({ kind: 'signed-in' });
  });

  it('sign out everywhere rotates the token, forgets the session and says so', async () => {
    const h = harness({ session: 's' });
    const done = h.auth.signOutEverywhere();
    expect(h.rotations).toHaveLength(1);
    expect(h.auth.getState()).toEqual({ kind: 'signed-in' });
    // The change feed's next request fails first: the reason is still "you did this".
    h.auth.unauthorized();
    h.rotations[0]!.resolve();
    await done;
    expect(h.auth.getState()).toEqual({ kind: 'signed-out', reason: 'signed_out_everywhere', message: null });
    expect(h.stored.value).toBeNull();
  });

  it('a failed rotation leaves the tab signed in and rejects', async () => {
    const h = harness({ session: 's' });
    const done = h.auth.signOutEverywhere();
    h.rotations[0]!.reject(new ApiError(500, { code: 'internal', message: 'boom' }));
    await expect(done).rejects.toMatchObject({ code: 'internal' });
    expect(h.auth.getState()).toEqual({ kind: 'signed-in' });
    expect(h.stored.value).toBe('s');
  });
});
