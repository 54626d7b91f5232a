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
