// The change feed (`/api/events`): its frames, parsed defensively, and the WebSocket URLs with their tickets.
// WebSockets cannot carry the Authorization header from a browser, so each connection first asks for a
// single-use ticket (auth.ts) and puts it in its URL.
import type { ChangeEvent } from './generated/types';

/** Change-feed frame: files in a run's worktree changed (`paths: null`: anything may have, refetch all). */
export type RunFilesEvent = Extract<ChangeEvent, { type: 'run_files' }>;

/** Every frame of the change feed the UI understands. */
export type LiveEvent = ChangeEvent | RunFilesEvent;

/** `url` with `ticket=<ticket>` added to its query (other parameters, like `from=`, stay). */
export function withTicket(url: string, ticket: string): string {
  const hash = url.indexOf('#');
  const base = hash < 0 ? url : url.slice(0, hash);
  return `${base}${base.includes('?') ? '&' : '?'}ticket=${encodeURIComponent(ticket)}${hash < 0 ? '' : url.slice(hash)}`;
}

/** `ws://host/api/events` or `wss://…` matching the page's own scheme and host. */
export function eventsUrl(loc: { protocol: string; host: string }): string {
  const scheme = loc.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${loc.host}/api/events`;
}

/** Parses one change-feed frame; anything malformed or unknown gives null. */
export function parseChangeEvent(data: unknown): LiveEvent | null {
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
    case 'run_files':
      return parseRunFiles(o);
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

/** A `run_files` frame: `paths` is a list of worktree paths, or null (anything may have changed). */
function parseRunFiles(o: Record<string, unknown>): RunFilesEvent | null {
  const { run_id, task_id, paths } = o;
  if (typeof run_id !== 'string' || typeof task_id !== 'string') return null;
  if (paths === null || paths === undefined) return { type: 'run_files', run_id, task_id, paths: null };
  if (!Array.isArray(paths) || !paths.every((p): p is string => typeof p === 'string')) return null;
  return { type: 'run_files', run_id, task_id, paths };
}
