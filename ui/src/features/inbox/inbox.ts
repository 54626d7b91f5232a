// The inbox (pure part): labels, keyboard movement, and the title's count.
import type { InboxItem, InboxKind } from '../../api/generated/types';

export const KIND_LABELS: Record<InboxKind, string> = {
  waiting: 'Waiting for you',
  review: 'Ready for review',
  failed: 'Failed',
  automation_failed: 'Automation failed',
};

/** A stable key for a list row (a run can be listed once; an automation entry has its own id). */
export function itemKey(item: InboxItem): string {
  return `${item.kind}:${item.firing_id ?? item.run_id ?? item.task_id}`;
}

/** Failures stay until seen; waiting and review items leave by themselves (answered, reviewed). */
export function canDismiss(item: InboxItem): boolean {
  return item.kind === 'failed' || item.kind === 'automation_failed';
}

/** The selection after moving by `delta` in a list of `length` (clamped; -1 for an empty list). */
export function moveSelection(index: number, delta: number, length: number): number {
  if (length <= 0) return -1;
  return Math.min(length - 1, Math.max(0, index + delta));
}

/** After the list changed: the same item if it is still there, else the same place. */
export function keepSelection(prev: readonly InboxItem[], next: readonly InboxItem[], index: number): number {
  const key = prev[index] ? itemKey(prev[index]) : null;
  const same = key ? next.findIndex((i) => itemKey(i) === key) : -1;
  if (same >= 0) return same;
  return moveSelection(index, 0, next.length);
}

/** The window's and tab's title: the waiting count first (see attention.ts), then what the inbox holds. */
export function withInboxCount(title: string, inbox: number): string {
  return inbox > 0 ? `${title} · ${inbox} in inbox` : title;
}
