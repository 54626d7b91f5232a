// Unsaved task text kept per task in sessionStorage, so closing the panel (Esc, a backdrop click, ×) loses nothing:
// reopening the task (or New task in the same column's project) restores it. Saving, deleting or Discard drops it.
import { isTaskStatus } from '../board/logic';
import { followServer, sameForm, type TaskForm } from './taskForm';

/** `base` is the task as the form last saw it on the server (null for a new task). */
export type Draft = { form: TaskForm; base: TaskForm | null };

/** Minimal Storage, so tests can pass a Map-backed one. */
export type DraftStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function draftKey(projectId: string, taskId: string | null): string {
  return `viban.draft.${projectId}.${taskId ?? 'new'}`;
}

/** True when the form holds text worth keeping: a new task with a title or description, or an edited task. */
export function isDirty(form: TaskForm, base: TaskForm | null): boolean {
  if (!base) return form.title.trim() !== '' || form.description.trim() !== '';
  return !sameForm(form, base);
}

function sessionStore(): DraftStorage | null {
  try {
    return window.sessionStorage;
  } catch {
    return null;
  }
}

/** Keeps the draft when dirty, forgets it otherwise. Storage errors (full, disabled) are ignored. */
export function storeDraft(key: string, draft: Draft, storage: DraftStorage | null = sessionStore()): void {
  if (!storage) return;
  try {
    if (isDirty(draft.form, draft.base)) storage.setItem(key, JSON.stringify(draft));
    else storage.removeItem(key);
  } catch {
    // Nothing to do: the draft then lasts as long as the panel.
  }
}

export function forgetDraft(key: string, storage: DraftStorage | null = sessionStore()): void {
  try {
    storage?.removeItem(key);
  } catch {
    // ignored
  }
}

function isForm(v: unknown): v is TaskForm {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.title === 'string' && typeof o.description === 'string' && isTaskStatus(o.status);
}

export function loadDraft(key: string, storage: DraftStorage | null = sessionStore()): Draft | null {
  try {
    const raw = storage?.getItem(key);
    if (!raw) return null;
    const o = JSON.parse(raw) as Record<string, unknown>;
    if (!isForm(o.form) || !(o.base === null || isForm(o.base))) return null;
    return { form: o.form, base: o.base };
  } catch {
    return null;
  }
}

/**
 * The form to open with: the draft's edits on top of the task as it is now (a field the user had not edited
 * follows what changed on the server meanwhile), or null when the draft holds nothing more than `server`.
 */
export function restoreDraft(draft: Draft | null, server: TaskForm | null): TaskForm | null {
  if (!draft) return null;
  const form = server && draft.base ? followServer(draft.form, draft.base, server) : draft.form;
  return isDirty(form, server) ? form : null;
}
