// Pure board logic: column bookkeeping, drop resolution, optimistic moves and filtering.
// No React here, so every rule is unit-tested (logic.test.ts).
import type { BoardColumn, Task, TaskStatus } from '../../api/generated/types';
import { shortId } from '../../lib/format';

export const STATUSES: readonly TaskStatus[] = ['todo', 'in_progress', 'in_review', 'done', 'cancelled'];

export const STATUS_LABELS: Readonly<Record<TaskStatus, string>> = {
  todo: 'Todo',
  in_progress: 'In Progress',
  in_review: 'In Review',
  done: 'Done',
  cancelled: 'Cancelled',
};

export type Columns = Readonly<Record<TaskStatus, readonly Task[]>>;

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}

export function emptyColumns(): Columns {
  return { todo: [], in_progress: [], in_review: [], done: [], cancelled: [] };
}

/** The server's columns as a record with all five statuses (missing ones empty, unknown ones dropped). */
export function columnsFromBoard(columns: readonly BoardColumn[]): Columns {
  const out: Record<TaskStatus, readonly Task[]> = { ...emptyColumns() };
  for (const col of columns) if (isTaskStatus(col.status)) out[col.status] = col.tasks;
  return out;
}

export type TaskLocation = { status: TaskStatus; index: number; task: Task };

export function findTask(columns: Columns, id: string): TaskLocation | null {
  for (const status of STATUSES) {
    const index = columns[status].findIndex((t) => t.id === id);
    const task = columns[status][index];
    if (task) return { status, index, task };
  }
  return null;
}

/**
 * Where a dragged card was dropped, relative to the cards the user could see:
 * before/after the card `anchorId`, or (anchorId null) at the start/end of the column.
 */
export type DropPlacement = { status: TaskStatus; anchorId: string | null; place: 'before' | 'after' };

/** A move as the API wants it: `position` is the index in the target column counted without the task. */
export type MoveTarget = { status: TaskStatus; index: number };

/**
 * Turns a drop into the index to send. Works on the full column (the view may be filtered), and
 * gives null when the drop would leave the task where it is.
 */
export function resolveDrop(columns: Columns, activeId: string, placement: DropPlacement): MoveTarget | null {
  const source = findTask(columns, activeId);
  if (!source) return null;
  if (placement.anchorId === activeId) return null;
  const rest = columns[placement.status].filter((t) => t.id !== activeId);
  let index: number;
  if (placement.anchorId === null) {
    index = placement.place === 'before' ? 0 : rest.length;
  } else {
    const anchor = rest.findIndex((t) => t.id === placement.anchorId);
    if (anchor < 0) index = rest.length;
    else index = placement.place === 'before' ? anchor : anchor + 1;
  }
  if (placement.status === source.status && index === source.index) return null;
  return { status: placement.status, index };
}

/**
 * Within one (possibly filtered) column, a sortable drop over `overIndex` lands after the over card when
 * moving down and before it when moving up: the same rule as arrayMove, which the drag preview shows.
 */
export function placementWithinColumn(activeIndex: number, overIndex: number): 'before' | 'after' {
  return activeIndex < overIndex ? 'after' : 'before';
}

/** The columns after moving a task (immutable: only the touched columns are copied). */
export function applyMove(columns: Columns, taskId: string, target: MoveTarget): Columns {
  const source = findTask(columns, taskId);
  if (!source) return columns;
  const moved: Task = source.status === target.status ? source.task : { ...source.task, status: target.status };
  const out: Record<TaskStatus, readonly Task[]> = { ...columns };
  out[source.status] = columns[source.status].filter((t) => t.id !== taskId);
  const dest = [...out[target.status]];
  const index = Math.max(0, Math.min(target.index, dest.length));
  dest.splice(index, 0, moved);
  out[target.status] = dest;
  return out;
}

/** Replaces a task by id (for edits) without moving it. */
export function replaceTask(columns: Columns, task: Task): Columns {
  const loc = findTask(columns, task.id);
  if (!loc) return columns;
  if (loc.status !== task.status) return applyMove(columns, task.id, { status: task.status, index: 0 });
  const list = [...columns[loc.status]];
  list[loc.index] = task;
  return { ...columns, [loc.status]: list };
}

/** Removes a task by id. */
export function removeTask(columns: Columns, taskId: string): Columns {
  const loc = findTask(columns, taskId);
  if (!loc) return columns;
  return { ...columns, [loc.status]: columns[loc.status].filter((t) => t.id !== taskId) };
}

// Lower-cased "title\ndescription" per task object; tasks are immutable, so the cache never goes stale.
const haystacks = new WeakMap<Task, string>();

function haystack(task: Task): string {
  let h = haystacks.get(task);
  if (h === undefined) {
    h = `${task.title}\n${task.description}`.toLowerCase();
    haystacks.set(task, h);
  }
  return h;
}

export function normaliseQuery(query: string): string {
  return query.trim().toLowerCase();
}

/**
 * Also matches the short id shown on cards: `#abc` (a prefix of 3 or more), or without `#` from 6 characters
 * (so an ordinary word such as "add" does not match ids).
 */
export function matchesQuery(task: Task, needle: string): boolean {
  if (needle === '' || haystack(task).includes(needle)) return true;
  const hash = needle.startsWith('#');
  const id = hash ? needle.slice(1) : needle;
  return id.length >= (hash ? 3 : 6) && /^[0-9a-f]+$/.test(id) && shortId(task.id).toLowerCase().startsWith(id);
}

/** Cards whose title or description contains the query (case-insensitive). Empty query: the same object. */
export function filterColumns(columns: Columns, query: string): Columns {
  const needle = normaliseQuery(query);
  if (needle === '') return columns;
  const out: Record<TaskStatus, readonly Task[]> = { ...emptyColumns() };
  for (const status of STATUSES) out[status] = columns[status].filter((t) => matchesQuery(t, needle));
  return out;
}

export function countTasks(columns: Columns): number {
  return STATUSES.reduce((n, s) => n + columns[s].length, 0);
}

/** Inline markdown reduced to its text: emphasis, code and strike marks dropped, links and images to their label. */
function plainInline(line: string): string {
  return line
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/(\*\*|\*|~~|`)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/(?<!\w)(__|_)(?=\S)(.+?)(?<=\S)\1(?!\w)/g, '$2');
}

/** The first non-empty line of a markdown description, as plain text. */
export function firstLine(description: string, max = 120): string {
  for (const raw of description.split('\n')) {
    const line = plainInline(raw.replace(/^\s*(#{1,6}\s+|[-*+]\s+|>\s*|\d+\.\s+)/, '')).trim();
    if (line) return line.length > max ? `${line.slice(0, max - 1)}…` : line;
  }
  return '';
}
