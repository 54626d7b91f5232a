// The HTTP transport of the viban API (docs/api-contract.md): requests, errors and the sign-in code exchange.
// Every request goes to the same origin with `Authorization: Bearer <session>` (the session this browser got for a
// sign-in code, see session.ts) and never with cookies: the server ignores them. The calls themselves are in one
// module per resource (projects.ts, tasks.ts, runs.ts, agents.ts, review.ts, update.ts, worktrees.ts, auth.ts);
// the change feed's frames in events.ts.
import type { ApiErrorBody, ErrorCode, Session, SessionRequest } from './generated/types';
import { currentSession, forgetSession, storeSession } from './session';

/** The message for a request that never got an answer (browsers say only "TypeError: Failed to fetch"). */
export const UNREACHABLE = 'viban is not reachable — is it running?';

function networkError(cause: unknown): ApiError {
  const error = new ApiError(0, { code: 'network', message: UNREACHABLE });
  (error as { cause?: unknown }).cause = cause;
  return error;
}

/**
 * Codes the client gives itself: no answer at all (`network`), an answer that is not JSON or not what the call
 * expects (`bad_response`), an error status without the API's `{code, message}` body (`http_error`, e.g. from a
 * proxy in front of viban).
 */
export type ClientErrorCode = 'network' | 'bad_response' | 'http_error';

/** Every code an ApiError can carry: the server's (generated from Rust's `ErrorCode`) and the client's own. */
export type AnyErrorCode = ErrorCode | ClientErrorCode;

/** An error's body as the client sees it. */
export type ErrorBody = { code: AnyErrorCode; message: string };

/** An error answered by the server (`{code, message}`), or a network failure (`code: "network"`). */
export class ApiError extends Error {
  readonly code: AnyErrorCode;
  readonly status: number;

  constructor(status: number, body: ErrorBody | ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.code = body.code;
    this.status = status;
  }
}

/**
 * 401: no valid session (none yet, or revoked by "Sign out everywhere" / a token rotation — whatever the code,
 * `unauthorized`, `session_expired`, …, it means signed out), or a sign-in code that was already used or expired
 * (`code_invalid`, from exchangeCode only).
 */
export class UnauthorizedError extends ApiError {
  constructor(body: ErrorBody) {
    super(401, body);
    this.name = 'UnauthorizedError';
  }
}

export function isApiErrorBody(value: unknown): value is ApiErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>).code === 'string' &&
    typeof (value as Record<string, unknown>).message === 'string'
  );
}

/** Turns a non-2xx response body into an ApiError (never throws itself). */
export function errorFromResponse(status: number, statusText: string, text: string): ApiError {
  let body: ErrorBody = { code: 'http_error', message: statusText || `HTTP ${status}` };
  try {
    const parsed: unknown = JSON.parse(text);
    if (isApiErrorBody(parsed)) body = parsed;
  } catch {
    if (text.trim()) body = { ...body, message: text.trim().slice(0, 300) };
  }
  return status === 401 ? new UnauthorizedError(body) : new ApiError(status, body);
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export type Fetcher = (input: string, init: RequestInit) => Promise<Response>;

let fetcher: Fetcher = (input, init) => fetch(input, init);

/** Tests replace the transport; the app never calls this. */
export function setFetcher(f: Fetcher): void {
  fetcher = f;
}

type UnauthorizedListener = (error: UnauthorizedError) => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called for every 401, wherever the request came from (the app switches to its "Not signed in" screen). */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

/**
 * One API call with the session; cookies are never sent (`credentials: 'omit'`). A 401 forgets the session it was
 * made with and tells the `onUnauthorized` listeners — unless a newer session was stored while it was in flight.
 */
async function send(method: Method, path: string, body: unknown, accept: string): Promise<Response> {
  const session = currentSession();
  const headers: Record<string, string> = { Accept: accept };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (session) headers.Authorization = `Bearer ${session}`;
  const init: RequestInit = { method, credentials: 'omit', headers };
  if (body !== undefined) init.body = JSON.stringify(body);
  let res: Response;
  try {
    res = await fetcher(path, init);
  } catch (e) {
    throw networkError(e);
  }
  if (!res.ok) {
    const text = await res.text().catch(() => '');
    const error = errorFromResponse(res.status, res.statusText, text);
    if (error instanceof UnauthorizedError && currentSession() === session) {
      forgetSession(session);
      for (const l of unauthorizedListeners) l(error);
    }
    throw error;
  }
  return res;
}

export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body, 'application/json');
  const text = await res.text().catch(() => '');
  if (res.status === 204 || text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, { code: 'bad_response', message: 'The server sent a response that is not JSON' });
  }
}

/** A GET of something that is not JSON (a `.cast` transcript) as text. */
export async function requestText(path: string, accept: string): Promise<string> {
  const res = await send('GET', path, undefined, accept);
  return res.text();
}

/** A GET of a file to save (downloads go through fetch with the session, then a blob: URL). */
export async function requestBlob(path: string, accept: string): Promise<Blob> {
  const res = await send('GET', path, undefined, accept);
  return res.blob();
}

/**
 * Trades a sign-in code (from a `#code=` link) for a session and stores it. Needs no credential. A used, expired
 * or unknown code rejects with UnauthorizedError `code_invalid`; that 401 is the caller's to show, so the
 * `onUnauthorized` listeners are not told.
 */
export async function exchangeCode(code: string): Promise<string> {
  let res: Response;
  try {
    res = await fetcher('/api/auth/session', {
      method: 'POST',
      credentials: 'omit',
      headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
      body: JSON.stringify({ code } satisfies SessionRequest),
    });
  } catch (e) {
    throw networkError(e);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw errorFromResponse(res.status, res.statusText, text);
  let session: unknown;
  try {
    session = (JSON.parse(text) as Partial<Session>).session;
  } catch {
    session = undefined;
  }
  if (typeof session !== 'string' || session === '') {
    throw new ApiError(res.status, { code: 'bad_response', message: 'The server did not answer with a session' });
  }
  storeSession(session);
  return session;
}

/** What a caller shows for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message || e.code;
  // A fetch made outside `request` (or a WebSocket ticket) failing on the network: the same human message.
  if (e instanceof TypeError && /failed to fetch|networkerror|load failed/i.test(e.message)) return UNREACHABLE;
  if (e instanceof Error) return e.message;
  return String(e);
}
