// Task dependencies, the pure part: why a task cannot start, and which tasks it may wait for. Unit-tested in
// dependencies.test.ts.
import type { Task, TaskDependencies } from '../../api/generated/types';
import { shortId } from '../../lib/format';

/** The start button's reason to be off: the blockers not Done yet, or null when the task may start. */
export function blockedReason(deps: TaskDependencies | null): string | null {
  if (!deps?.blocked) return null;
  const open = deps.blockers.filter((b) => b.status !== 'done');
  return `Blocked by ${open.map((b) => `#${shortId(b.id)} ${b.title}`).join(', ')}: it can start once they are Done.`;
}

/** The tasks this one may be made to wait for: others of the board, not already its blockers or dependents. */
export function blockerChoices(task: Pick<Task, 'id'>, all: readonly Task[], deps: TaskDependencies | null): Task[] {
  const taken = new Set([task.id, ...(deps?.blockers ?? []).map((b) => b.id), ...(deps?.dependents ?? []).map((d) => d.id)]);
  return all.filter((t) => !taken.has(t.id) && t.status !== 'cancelled');
}
