import type { Task, TaskStatus, UpdateTask } from '../../api/generated/types';

export type TaskForm = { title: string; description: string; status: TaskStatus };

/** The PATCH body for an edit: only the changed fields, or null when nothing changed. */
export function taskChanges(task: Task, form: TaskForm): UpdateTask | null {
  const patch: UpdateTask = {};
  if (form.title !== task.title) patch.title = form.title;
  if (form.description !== task.description) patch.description = form.description;
  if (form.status !== task.status) patch.status = form.status;
  return Object.keys(patch).length ? patch : null;
}

/** The form's fields as they are on the server. */
export function formOf(task: Pick<Task, 'title' | 'description' | 'status'>): TaskForm {
  return { title: task.title, description: task.description, status: task.status };
}

const FIELDS = ['title', 'description', 'status'] as const;

/** True when every field is the same. */
export function sameForm(a: TaskForm, b: TaskForm): boolean {
  return FIELDS.every((f) => a[f] === b[f]);
}

/**
 * The form after the task changed on the server (from `base`, what the form was last synced with, to `server`):
 * a field the user has not edited (still equal to `base`) follows the server; an edited one keeps the user's value.
 */
export function followServer(form: TaskForm, base: TaskForm, server: TaskForm): TaskForm {
  return {
    title: form.title === base.title ? server.title : form.title,
    description: form.description === base.description ? server.description : form.description,
    status: form.status === base.status ? server.status : form.status,
  };
}

/** True when a copy of the task updated at `candidate` is older than the one updated at `current` (stale). */
export function olderCopy(candidate: string, current: string): boolean {
  const a = Date.parse(candidate);
  const b = Date.parse(current);
  return !Number.isNaN(a) && !Number.isNaN(b) && a < b;
}

/** The delete confirmation: deleting a task stops its agents first (the server waits until they are gone). */
export function deleteQuestion(activeRuns: number): string {
  if (activeRuns <= 0) return 'Delete this task?';
  const agents = activeRuns === 1 ? 'its running agent' : `its ${activeRuns} running agents`;
  return `Delete this task? This stops ${agents} first.`;
}
