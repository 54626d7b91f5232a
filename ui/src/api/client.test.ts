import { afterEach, describe, expect, it } from 'vitest';
import {
  ApiError,
  UnauthorizedError,
  api,
  errorFromResponse,
  eventsUrl,
  onUnauthorized,
  parseChangeEvent,
  setFetcher,
} from './client';

type Call = { url: string; init: RequestInit };

function fakeFetch(status: number, body: string, calls: Call[]) {
  setFetcher(async (url, init) => {
    calls.push({ url, init });
    return new Response(status === 204 ? null : body, { status, statusText: 'X' });
  });
}

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
    expect(e.code).toBe('http_502');
    expect(e.message).toContain('proxy down');
  });
});

describe('request', () => {
  it('sends JSON with same-origin credentials', async () => {
    const calls: Call[] = [];
    fakeFetch(200, '{"id":"t1"}', calls);
    const t = await api.updateTask('t 1', { status: 'done', position: 0 });
    expect(t.id).toBe('t1');
    expect(calls[0]?.url).toBe('/api/tasks/t%201');
    expect(calls[0]?.init.method).toBe('PATCH');
    expect(calls[0]?.init.credentials).toBe('same-origin');
    expect(JSON.parse(String(calls[0]?.init.body))).toEqual({ status: 'done', position: 0 });
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
    setFetcher(async () => {
      throw new TypeError('Failed to fetch');
    });
    await expect(api.health()).rejects.toMatchObject({ code: 'network', status: 0 });
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

  it('parses hello and resync', () => {
    expect(parseChangeEvent('{"type":"hello","version":"0.1.0"}')).toEqual({ type: 'hello', version: '0.1.0' });
    expect(parseChangeEvent('{"type":"resync"}')).toEqual({ type: 'resync' });
    expect(parseChangeEvent('{"type":"status","database":"degraded"}')).toEqual({ type: 'status', database: 'degraded' });
    expect(parseChangeEvent('{"type":"status"}')).toBeNull();
  });
});
