import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ApiError,
  UNREACHABLE,
  UnauthorizedError,
  api,
  errorFromResponse,
  errorMessage,
  eventsUrl,
  exchangeCode,
  onUnauthorized,
  parseChangeEvent,
  requestBlob,
  requestText,
  setFetcher,
  withTicket,
} from './client';
import { SESSION_KEY, currentSession, setSessionStore, storeSession, type KeyValueStore } from './session';

type Call = { url: string; init: RequestInit };

/** The JSON a request sent (the client sends JSON text, nothing else). */
function jsonBody(init: RequestInit | undefined): unknown {
  const body = init?.body;
  if (typeof body !== 'string') throw new Error(`expected a JSON text body, got ${typeof body}`);
  return JSON.parse(body);
}

function fakeFetch(status: number, body: string, calls: Call[]) {
  setFetcher((url, init) => {
    calls.push({ url, init });
    return Promise.resolve(new Response(status === 204 ? null : body, { status, statusText: 'X' }));
  });
}

function memoryStore(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    getItem: (k) => data.get(k) ?? null,
    setItem: (k, v) => void data.set(k, v),
    removeItem: (k) => void data.delete(k),
  };
}

const headersOf = (init: RequestInit | undefined) => new Headers(init?.headers);

let store = memoryStore();
beforeEach(() => {
  store = memoryStore();
  setSessionStore(store);
});
afterEach(() => setFetcher((input, init) => fetch(input, init)));

describe('errorFromResponse', () => {
  it('keeps the server code and message', () => {
    const e = errorFromResponse(422, 'Unprocessable', '{"code":"not_a_git_repo","message":"/tmp/x is not a git repository"}');
    expect(e).toBeInstanceOf(ApiError);
    expect(e.code).toBe('not_a_git_repo');
    expect(e.message).toBe('/tmp/x is not a git repository');
    expect(e.status).toBe(422);
  });

  it('gives a typed error for 401', () => {
    const e = errorFromResponse(401, 'Unauthorized', '{"code":"unauthorized","message":"no token"}');
    expect(e).toBeInstanceOf(UnauthorizedError);
    expect(e.code).toBe('unauthorized');
  });

  it('falls back for non-JSON bodies', () => {
    const e = errorFromResponse(502, 'Bad Gateway', '<html>proxy down</html>');
    expect(e.code).toBe('http_error');
    expect(e.status).toBe(502);
    expect(e.message).toContain('proxy down');
  });
});

describe('request', () => {
  it('sends JSON with the session as a bearer token and never cookies', async () => {
    storeSession('sess-1');
    const calls: Call[] = [];
    fakeFetch(200, '{"id":"t1"}', calls);
    const t = await api.updateTask('t 1', { status: 'done', position: 0 });
    expect(t.id).toBe('t1');
    expect(calls[0]?.url).toBe('/api/tasks/t%201');
    expect(calls[0]?.init.method).toBe('PATCH');
    expect(calls[0]?.init.credentials).toBe('omit');
    expect(headersOf(calls[0]?.init).get('Authorization')).toBe('Bearer sess-1');
    expect(headersOf(calls[0]?.init).get('Content-Type')).toBe('application/json');
    expect(jsonBody(calls[0]?.init)).toEqual({ status: 'done', position: 0 });
  });

  it('sends no Authorization header without a session', async () => {
    const calls: Call[] = [];
    fakeFetch(200, '[]', calls);
    await api.listProjects();
    expect(headersOf(calls[0]?.init).has('Authorization')).toBe(false);
    expect(calls[0]?.init.credentials).toBe('omit');
  });

  it('forgets a session the server refuses', async () => {
    storeSession('revoked');
    fakeFetch(401, '{"code":"session_revoked","message":"signed out everywhere"}', []);
    const seen: string[] = [];
    const off = onUnauthorized((e) => seen.push(e.code));
    await expect(api.listProjects()).rejects.toMatchObject({ code: 'session_revoked', status: 401 });
    off();
    expect(seen).toEqual(['session_revoked']);
    expect(currentSession()).toBeNull();
    expect(store.data.has(SESSION_KEY)).toBe(false);
  });

  it('keeps a newer session stored while a request with the old one was in flight', async () => {
    storeSession('old');
    let answer: (r: Response) => void = () => {};
    setFetcher(() => new Promise<Response>((r) => (answer = r)));
    const seen: string[] = [];
    const off = onUnauthorized((e) => seen.push(e.code));
    const pending = api.listProjects();
    storeSession('new'); // another tab signed in meanwhile
    answer(new Response('{"code":"unauthorized","message":"no"}', { status: 401 }));
    await expect(pending).rejects.toBeInstanceOf(UnauthorizedError);
    off();
    expect(currentSession()).toBe('new');
    expect(seen).toEqual([]);
  });

  it('resolves 204 to undefined', async () => {
    fakeFetch(204, '', []);
    await expect(api.deleteTask('x')).resolves.toBeUndefined();
  });

  it('rejects with UnauthorizedError on 401 and tells the listeners', async () => {
    fakeFetch(401, '{"code":"unauthorized","message":"sign in"}', []);
    const seen: string[] = [];
    const off = onUnauthorized((e) => seen.push(e.code));
    await expect(api.listProjects()).rejects.toBeInstanceOf(UnauthorizedError);
    off();
    await expect(api.listProjects()).rejects.toBeInstanceOf(UnauthorizedError);
    expect(seen).toEqual(['unauthorized']);
  });

  it('maps network failures to code "network"', async () => {
    setFetcher(() => Promise.reject(new TypeError('Failed to fetch')));
    await expect(api.health()).rejects.toMatchObject({ code: 'network', status: 0 });
  });

  it('says in words that viban is not reachable, never "TypeError: Failed to fetch"', async () => {
    setFetcher(() => Promise.reject(new TypeError('Failed to fetch')));
    const e: unknown = await api.health().catch((err: unknown) => err);
    expect(errorMessage(e)).toBe('viban is not reachable — is it running?');
    expect(errorMessage(new TypeError('Failed to fetch'))).toBe(UNREACHABLE);
    expect(errorMessage(new TypeError('x is undefined'))).toBe('x is undefined');
  });
});

describe('sign-in code exchange', () => {
  it('posts the code without a credential and stores the session it gets', async () => {
    storeSession('stale');
    const calls: Call[] = [];
    fakeFetch(200, '{"session":"fresh-session"}', calls);
    await expect(exchangeCode('c0de')).resolves.toBe('fresh-session');
    expect(calls[0]?.url).toBe('/api/auth/session');
    expect(calls[0]?.init.method).toBe('POST');
    expect(calls[0]?.init.credentials).toBe('omit');
    expect(headersOf(calls[0]?.init).has('Authorization')).toBe(false);
    expect(jsonBody(calls[0]?.init)).toEqual({ code: 'c0de' });
    expect(currentSession()).toBe('fresh-session');
  });

  it('rejects a used or expired code with code_invalid, without signing the app out', async () => {
    storeSession('still-good');
    fakeFetch(401, '{"code":"code_invalid","message":"already used or expired"}', []);
    const seen: string[] = [];
    const off = onUnauthorized((e) => seen.push(e.code));
    await expect(exchangeCode('used')).rejects.toMatchObject({ code: 'code_invalid', status: 401 });
    off();
    expect(seen).toEqual([]);
    expect(currentSession()).toBe('still-good');
  });

  it('refuses an answer without a session', async () => {
    fakeFetch(200, '{"nope":1}', []);
    await expect(exchangeCode('c')).rejects.toMatchObject({ code: 'bad_response' });
    expect(currentSession()).toBeNull();
  });

  it('maps network failures to code "network"', async () => {
    setFetcher(() => Promise.reject(new TypeError('Failed to fetch')));
    await expect(exchangeCode('c')).rejects.toMatchObject({ code: 'network', status: 0 });
  });
});

describe('tickets, rotation and downloads', () => {
  it('asks for a WebSocket ticket with the session', async () => {
    storeSession('s');
    const calls: Call[] = [];
    fakeFetch(200, '{"ticket":"tk-1"}', calls);
    await expect(api.ticket()).resolves.toBe('tk-1');
    expect(calls[0]?.url).toBe('/api/auth/ticket');
    expect(calls[0]?.init.method).toBe('POST');
    expect(headersOf(calls[0]?.init).get('Authorization')).toBe('Bearer s');
  });

  it('a ticket refused with 401 signs the app out', async () => {
    storeSession('s');
    fakeFetch(401, '{"code":"unauthorized","message":"no"}', []);
    const seen: string[] = [];
    const off = onUnauthorized((e) => seen.push(e.code));
    await expect(api.ticket()).rejects.toBeInstanceOf(UnauthorizedError);
    off();
    expect(seen).toEqual(['unauthorized']);
  });

  it('rotates the token with POST /api/auth/rotate', async () => {
    storeSession('s');
    const calls: Call[] = [];
    fakeFetch(204, '', calls);
    await expect(api.rotateToken()).resolves.toBeUndefined();
    expect(calls[0]?.url).toBe('/api/auth/rotate');
    expect(calls[0]?.init.method).toBe('POST');
    expect(headersOf(calls[0]?.init).get('Authorization')).toBe('Bearer s');
  });

  it('fetches text and files with the session', async () => {
    storeSession('s');
    const calls: Call[] = [];
    fakeFetch(200, '{"version":2}\n', calls);
    await expect(requestText('/api/runs/r/transcript.cast', 'application/x-asciicast')).resolves.toBe('{"version":2}\n');
    const blob = await requestBlob('/api/runs/r/transcript.cast', 'application/x-asciicast');
    expect(await blob.text()).toBe('{"version":2}\n');
    for (const call of calls) {
      expect(call.init.method).toBe('GET');
      expect(call.init.credentials).toBe('omit');
      expect(headersOf(call.init).get('Authorization')).toBe('Bearer s');
      expect(headersOf(call.init).get('Accept')).toBe('application/x-asciicast');
    }
  });

  it('adds the ticket to a WebSocket URL, keeping its other parameters', () => {
    expect(withTicket('ws://h:1/api/events', 'a b')).toBe('ws://h:1/api/events?ticket=a%20b');
    expect(withTicket('ws://h:1/api/runs/r/pty?from=42', 't')).toBe('ws://h:1/api/runs/r/pty?from=42&ticket=t');
  });
});

describe('eventsUrl', () => {
  it('follows the page scheme', () => {
    expect(eventsUrl({ protocol: 'http:', host: '127.0.0.1:5000' })).toBe('ws://127.0.0.1:5000/api/events');
    expect(eventsUrl({ protocol: 'https:', host: 'viban.example' })).toBe('wss://viban.example/api/events');
  });
});

describe('parseChangeEvent', () => {
  it('parses change frames', () => {
    expect(
      parseChangeEvent('{"type":"change","table":"task","op":"update","id":"a","project_id":"p"}'),
    ).toEqual({ type: 'change', table: 'task', op: 'update', id: 'a', project_id: 'p' });
    expect(parseChangeEvent('{"type":"change","table":"project","op":"delete","id":"p","project_id":null}')).toEqual({
      type: 'change',
      table: 'project',
      op: 'delete',
      id: 'p',
      project_id: null,
    });
  });

  it('rejects garbage', () => {
    expect(parseChangeEvent('nope')).toBeNull();
    expect(parseChangeEvent('{"type":"change","table":"user","op":"update","id":"a"}')).toBeNull();
    expect(parseChangeEvent('{"type":"other"}')).toBeNull();
    expect(parseChangeEvent(42)).toBeNull();
  });

  it('parses run changes and run_activity frames', () => {
    expect(parseChangeEvent('{"type":"change","table":"run","op":"insert","id":"r","project_id":"p"}')).toEqual({
      type: 'change',
      table: 'run',
      op: 'insert',
      id: 'r',
      project_id: 'p',
    });
    const activity = {
      run_id: 'r',
      task_id: 't',
      project_id: 'p',
      last_lines: ['Proceed? [y/N]'],
      output_bytes: 120,
      idle_ms: 61000,
      waiting: true,
    };
    expect(parseChangeEvent(JSON.stringify({ type: 'run_activity', ...activity }))).toEqual({ type: 'run_activity', ...activity });
    expect(parseChangeEvent(JSON.stringify({ type: 'run_activity', ...activity, last_lines: [1] }))).toBeNull();
    expect(parseChangeEvent(JSON.stringify({ type: 'run_activity', ...activity, waiting: 'yes' }))).toBeNull();
  });

  it('parses run_files frames (paths, or null for everything)', () => {
    expect(parseChangeEvent('{"type":"run_files","run_id":"r1","task_id":"t1","paths":["a.ts","b/c.md"]}')).toEqual({
      type: 'run_files',
      run_id: 'r1',
      task_id: 't1',
      paths: ['a.ts', 'b/c.md'],
    });
    expect(parseChangeEvent('{"type":"run_files","run_id":"r1","task_id":"t1","paths":null}')).toEqual({
      type: 'run_files',
      run_id: 'r1',
      task_id: 't1',
      paths: null,
    });
    expect(parseChangeEvent('{"type":"run_files","run_id":"r1","task_id":"t1","paths":[1]}')).toBeNull();
    expect(parseChangeEvent('{"type":"run_files","paths":null}')).toBeNull();
  });

  it('parses hello and resync', () => {
    expect(parseChangeEvent('{"type":"hello","version":"0.1.0"}')).toEqual({ type: 'hello', version: '0.1.0' });
    expect(parseChangeEvent('{"type":"resync"}')).toEqual({ type: 'resync' });
    expect(parseChangeEvent('{"type":"status","database":"degraded"}')).toEqual({ type: 'status', database: 'degraded' });
    expect(parseChangeEvent('{"type":"status"}')).toBeNull();
  });
});
