import { afterEach, describe, expect, it } from 'vitest';
import {
  SESSION_KEY,
  codeFromHash,
  currentSession,
  forgetSession,
  hashWithoutCode,
  setSessionStore,
  storeSession,
  takeSignInCode,
  type KeyValueStore,
} from './session';

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

afterEach(() => setSessionStore(null));

describe('session storage', () => {
  it('stores, reads and forgets the session under viban.session', () => {
    const store = memoryStore();
    setSessionStore(store);
    expect(currentSession()).toBeNull();
    storeSession('abc');
    expect(store.data.get(SESSION_KEY)).toBe('abc');
    expect(SESSION_KEY).toBe('viban.session');
    expect(currentSession()).toBe('abc');
    forgetSession();
    expect(currentSession()).toBeNull();
    expect(store.data.size).toBe(0);
  });

  it('forgets only the session it was asked about', () => {
    setSessionStore(memoryStore());
    storeSession('new');
    forgetSession('old');
    expect(currentSession()).toBe('new');
    forgetSession('new');
    expect(currentSession()).toBeNull();
  });

  it('follows what another tab stored or removed', () => {
    const store = memoryStore();
    setSessionStore(store);
    storeSession('mine');
    store.data.set(SESSION_KEY, 'from-another-tab');
    expect(currentSession()).toBe('from-another-tab');
    store.data.delete(SESSION_KEY);
    expect(currentSession()).toBeNull();
  });

  it('falls back to memory when storage throws', () => {
    const broken: KeyValueStore = {
      getItem: () => {
        throw new Error('SecurityError');
      },
      setItem: () => {
        throw new Error('QuotaExceededError');
      },
      removeItem: () => {
        throw new Error('SecurityError');
      },
    };
    setSessionStore(broken);
    storeSession('kept');
    expect(currentSession()).toBe('kept');
    forgetSession();
    expect(currentSession()).toBeNull();
  });
});

describe('sign-in code in the address bar', () => {
  it('reads the code from the fragment', () => {
    expect(codeFromHash('#code=AbC123')).toBe('AbC123');
    expect(codeFromHash('code=x&y=1')).toBe('x');
    expect(codeFromHash('#y=1&code=z')).toBe('z');
    expect(codeFromHash('')).toBeNull();
    expect(codeFromHash('#code=')).toBeNull();
    expect(codeFromHash('#other=1')).toBeNull();
  });

  it('keeps the rest of the fragment', () => {
    expect(hashWithoutCode('#code=x')).toBe('');
    expect(hashWithoutCode('#code=x&task=1')).toBe('#task=1');
  });

  it('takes the code out of the address bar at once', () => {
    const calls: unknown[][] = [];
    const history = { state: { s: 1 }, replaceState: (...args: unknown[]) => void calls.push(args) };
    const code = takeSignInCode({ pathname: '/', search: '', hash: '#code=secret' }, history);
    expect(code).toBe('secret');
    expect(calls).toEqual([[{ s: 1 }, '', '/']]);

    calls.length = 0;
    expect(takeSignInCode({ pathname: '/board', search: '?p=1', hash: '#code=c&x=2' }, history)).toBe('c');
    expect(calls).toEqual([[{ s: 1 }, '', '/board?p=1#x=2']]);
  });

  it('leaves an address without a code alone', () => {
    const calls: unknown[][] = [];
    const history = { state: null, replaceState: (...args: unknown[]) => void calls.push(args) };
    expect(takeSignInCode({ pathname: '/', search: '', hash: '' }, history)).toBeNull();
    expect(calls).toEqual([]);
  });
});
