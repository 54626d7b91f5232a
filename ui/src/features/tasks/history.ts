// Compact one-line descriptions of task history events (GET /api/tasks/{id}/events).
import type { TaskEvent } from '../../api/generated/types';
import { STATUS_LABELS, isTaskStatus } from '../board/logic';

function show(value: unknown): string {
  if (isTaskStatus(value)) return STATUS_LABELS[value];
  if (typeof value === 'string') return value.length > 40 ? `“${value.slice(0, 39)}…”` : `“${value}”`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (value === null || value === undefined) return '—';
  return 'changed';
}

export function humaniseKind(kind: string): string {
  const words = kind.replace(/[_.-]+/g, ' ').trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : 'Event';
}

/** e.g. "Status: Todo → In Progress", "Created", "Updated title, description". */
export function describeEvent(ev: TaskEvent): string {
  const label = humaniseKind(ev.kind);
  const data = ev.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return label;
  const o = data as Record<string, unknown>;
  if (ev.kind === 'created') return isTaskStatus(o.status) ? `Created in ${STATUS_LABELS[o.status]}` : 'Created';
  if ('from' in o && 'to' in o) {
    const at = typeof o.index === 'number' ? `, position ${o.index + 1}` : '';
    if (o.from === o.to) return `${label}: within ${show(o.to)}${at}`;
    return `${label}: ${show(o.from)} → ${show(o.to)}${at}`;
  }
  const changes: string[] = [];
  for (const [key, value] of Object.entries(o)) {
    if (typeof value === 'object' && value !== null && 'from' in value && 'to' in value) {
      changes.push(key === 'status' ? `status ${show(value.from)} → ${show(value.to)}` : key);
    } else if (key === 'status') {
      changes.push(`status ${show(value)}`);
    } else if (key !== 'position') {
      changes.push(key);
    }
  }
  return changes.length ? `${label}: ${changes.join(', ')}` : label;
}

