// Where this browser keeps its viban session, and how a sign-in link's code is read from the address bar.
//
// The session lives in localStorage, which is per origin (scheme, host and port): another server on another port
// of 127.0.0.1 cannot read it, unlike a cookie, which the browser would send to every port of the host. It is
// sent as `Authorization: Bearer <session>` by the API client and never put in a URL.

export const SESSION_KEY = 'viban.session';

/** The part of `Storage` used here; tests pass an in-memory one. */
export type KeyValueStore = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

function browserStore(): KeyValueStore | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    // Storage disabled by the browser's settings: the session is kept in memory for this page only.
    return null;
  }
}

let store: KeyValueStore | null = browserStore();
/** The session when storage is unavailable or refused it (this page only); null while storage holds it. */
let memory: string | null = null;

/** Tests swap in their own storage (null: memory only). */
export function setSessionStore(next: KeyValueStore | null): void {
  store = next;
  memory = null;
}

/** The session, read from storage every time: another tab may have replaced or removed it. */
export function currentSession(): string | null {
  if (memory !== null || !store) return memory;
  try {
    return store.getItem(SESSION_KEY) || null;
  } catch {
    return null;
  }
}

export function storeSession(session: string): void {
  memory = null;
  try {
    if (!store) throw new Error('no storage');
    store.setItem(SESSION_KEY, session);
  } catch {
    // Storage disabled, full or in a privacy mode: memory holds it for this page.
    memory = session;
  }
}

/**
 * Forgets the session. With `only`, forgets it only while it is still that one: a request that failed with an old
 * session must not throw away a newer one another tab (or a sign-in in this tab) has stored meanwhile.
 */
export function forgetSession(only?: string | null): void {
  if (only !== undefined && currentSession() !== only) return;
  memory = null;
  try {
    store?.removeItem(SESSION_KEY);
  } catch {
    // nothing stored
  }
}

/** The `code` of a sign-in link's fragment (`#code=…`), or null. */
export function codeFromHash(hash: string): string | null {
  const code = new URLSearchParams(hash.replace(/^#/, '')).get('code');
  return code ? code : null;
}

/** The fragment without its `code` parameter ('' when nothing else was in it). */
export function hashWithoutCode(hash: string): string {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  params.delete('code');
  const rest = params.toString();
  return rest ? `#${rest}` : '';
}

type LocationLike = { pathname: string; search: string; hash: string };
type HistoryLike = { state: unknown; replaceState(data: unknown, unused: string, url?: string | null): void };

/**
 * Takes a sign-in code out of the address bar: returns it and replaces the current history entry with the same
 * address minus the code, so it stays in neither the address bar nor the history (it is single use anyway).
 */
export function takeSignInCode(location: LocationLike, history: HistoryLike): string | null {
  const code = codeFromHash(location.hash);
  if (code === null) return null;
  history.replaceState(history.state, '', `${location.pathname}${location.search}${hashWithoutCode(location.hash)}`);
  return code;
}
