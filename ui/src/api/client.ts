// HTTP + WebSocket client for the viban API (docs/api-contract.md).
// Every request goes to the same origin and carries the session cookie.
import type {
  ApiErrorBody,
  Board,
  ChangeEvent,
  CreateProject,
  CreateTask,
  Health,
  Project,
  Task,
  TaskEvent,
  UpdateProject,
  UpdateTask,
} from './generated/types';

/** An error answered by the server (`{code, message}`), or a network failure (`code: "network"`). */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;

  constructor(status: number, body: ApiErrorBody) {
    super(body.message);
    this.name = 'ApiError';
    this.code = body.code;
    this.status = status;
  }
}

/** 401: the browser has no valid session; the app shows the "Not signed in" screen. */
export class UnauthorizedError extends ApiError {
  constructor(body: ApiErrorBody) {
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
  let body: ApiErrorBody = { code: `http_${status}`, message: statusText || `HTTP ${status}` };
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

export async function request<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  let res: Response;
  try {
    res = await fetcher(path, init);
  } catch (e) {
    throw new ApiError(0, { code: 'network', message: `Cannot reach the viban server (${String(e)})` });
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) {
    const error = errorFromResponse(res.status, res.statusText, text);
    if (error instanceof UnauthorizedError) for (const l of unauthorizedListeners) l(error);
    throw error;
  }
  if (res.status === 204 || text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, { code: 'bad_response', message: 'The server sent a response that is not JSON' });
  }
}

const enc = encodeURIComponent;

export const api = {
  health: () => request<Health>('GET', '/api/health'),
  listProjects: () => request<Project[]>('GET', '/api/projects'),
  createProject: (body: CreateProject) => request<Project>('POST', '/api/projects', body),
  updateProject: (id: string, body: UpdateProject) => request<Project>('PATCH', `/api/projects/${enc(id)}`, body),
  deleteProject: (id: string) => request<void>('DELETE', `/api/projects/${enc(id)}`),
  getBoard: (projectId: string) => request<Board>('GET', `/api/projects/${enc(projectId)}/board`),
  createTask: (projectId: string, body: CreateTask) =>
    request<Task>('POST', `/api/projects/${enc(projectId)}/tasks`, body),
  getTask: (id: string) => request<Task>('GET', `/api/tasks/${enc(id)}`),
  taskEvents: (id: string) => request<TaskEvent[]>('GET', `/api/tasks/${enc(id)}/events`),
  updateTask: (id: string, body: UpdateTask) => request<Task>('PATCH', `/api/tasks/${enc(id)}`, body),
  deleteTask: (id: string) => request<void>('DELETE', `/api/tasks/${enc(id)}`),
};

/** `ws://host/api/events` or `wss://…` matching the page's own scheme and host. */
export function eventsUrl(loc: { protocol: string; host: string }): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/api/events`;
}

/** Parses one change-feed frame; anything malformed or unknown gives null. */
export function parseChangeEvent(data: unknown): ChangeEvent | null {
  if (typeof data !== 'string') return null;
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  switch (o.type) {
    case 'hello':
      return { type: 'hello', version: typeof o.version === 'string' ? o.version : '' };
    case 'resync':
      return { type: 'resync' };
    case 'status':
      return typeof o.database === 'string' ? { type: 'status', database: o.database } : null;
    case 'change':
      if ((o.table !== 'project' && o.table !== 'task' && o.table !== 'run') || typeof o.id !== 'string') return null;
      if (o.op !== 'insert' && o.op !== 'update' && o.op !== 'delete') return null;
      return {
        type: 'change',
        table: o.table,
        op: o.op,
        id: o.id,
        project_id: typeof o.project_id === 'string' ? o.project_id : null,
      };
    case 'run_activity':
      return parseRunActivity(o);
    default:
      return null;
  }
}

/** A `run_activity` frame (the cards' live line), or null when a field is missing or has the wrong type. */
function parseRunActivity(o: Record<string, unknown>): ChangeEvent | null {
  const { run_id, task_id, project_id, last_lines, output_bytes, idle_ms, waiting } = o;
  if (typeof run_id !== 'string' || typeof task_id !== 'string' || typeof project_id !== 'string') return null;
  if (!Array.isArray(last_lines) || !last_lines.every((l): l is string => typeof l === 'string')) return null;
  if (typeof output_bytes !== 'number' || typeof idle_ms !== 'number' || typeof waiting !== 'boolean') return null;
  return { type: 'run_activity', run_id, task_id, project_id, last_lines, output_bytes, idle_ms, waiting };
}

/** What a caller shows for any thrown value. */
export function errorMessage(e: unknown): string {
  if (e instanceof ApiError) return e.message || e.code;
  if (e instanceof Error) return e.message;
  return String(e);
}
