import { Suspense, lazy, useEffect, useRef, useState, type FormEvent } from 'react';
import type { Task, TaskStatus } from '../../api/generated/types';
import { errorMessage } from '../../api/client';
import { SidePane } from '../cockpit/SidePane';
import { STATUSES, STATUS_LABELS } from '../board/logic';
import { useSaveShortcut } from '../shortcuts/useSaveShortcut';
import { useToast } from '../toasts/ToastProvider';
import { TaskHistory } from './TaskHistory';
import { listTaskRuns } from '../../api/runs';
import { deleteQuestion, followServer, formOf, olderCopy, sameForm, taskChanges, type TaskForm } from './taskForm';
import { draftKey, forgetDraft, loadDraft, restoreDraft, storeDraft } from './draft';
import { Fold } from './Fold';
import { panelLayout } from './panelLayout';
import { isActive, shortId } from '../../lib/format';
import { createTask, deleteTask, updateTask } from '../../api/tasks';

const MarkdownPreview = lazy(() => import('./MarkdownPreview'));
// Agent runs bring xterm.js along: loaded only when a saved task is opened.
const RunsPanel = lazy(() => import('./RunsPanel'));

/** `task` of an edit is kept current by the caller (the board's copy), so the form can follow server changes. */
export type PanelMode = { kind: 'create'; status: TaskStatus } | { kind: 'edit'; task: Task };

type Props = {
  projectId: string;
  mode: PanelMode;
  onClose: () => void;
  onSaved: (task: Task, created: boolean) => void;
  onDeleted: (taskId: string) => void;
  /** The task's run that is waiting for input, if any: opening the panel then focuses its terminal. */
  waitingRunId?: string | null;
};

export function TaskPanel({ projectId, mode, onClose, onSaved, onDeleted, waitingRunId = null }: Props) {
  const notify = useToast();
  const task = mode.kind === 'edit' ? mode.task : null;
  // Unsaved text survives Esc, × or opening another card as a draft (sessionStorage, per task); see draft.ts.
  const [draftKeyOf] = useState(() => draftKey(projectId, task?.id ?? null));
  const [restored] = useState<TaskForm | null>(() => {
    const draft = restoreDraft(loadDraft(draftKeyOf), task ? formOf(task) : null);
    return draft && mode.kind === 'create' ? { ...draft, status: mode.status } : draft;
  });
  const [form, setForm] = useState<TaskForm>(
    () => restored ?? (mode.kind === 'edit' ? formOf(mode.task) : { title: '', description: '', status: mode.status }),
  );
  const [draftShown, setDraftShown] = useState(restored !== null);
  const { title, description, status } = form;
  const setField = <K extends keyof TaskForm>(field: K, value: TaskForm[K]) => setForm((f) => ({ ...f, [field]: value }));

  // `mode.task` is the live task (the board refetches it on every change event). What the form was last synced
  // with is kept, so a field the user has not touched follows changes made elsewhere (a run moving the task to
  // In Progress, another tab renaming it) while an edited field keeps the user's value. An older copy (the
  // snapshot the panel opened with, when the board no longer holds the task) is not followed back.
  const [synced, setSynced] = useState<{ form: TaskForm; at: string } | null>(() =>
    task ? { form: formOf(task), at: task.updated_at } : null,
  );
  if (task && synced && !olderCopy(task.updated_at, synced.at)) {
    const server = formOf(task);
    if (!sameForm(server, synced.form)) {
      setSynced({ form: server, at: task.updated_at });
      setForm((f) => followServer(f, synced.form, server));
    }
  }
  const base = synced?.form ?? null;
  useEffect(() => storeDraft(draftKeyOf, { form, base }), [draftKeyOf, form, base]);
  const discardDraft = () => {
    forgetDraft(draftKeyOf);
    setDraftShown(false);
    setForm(task ? formOf(task) : { title: '', description: '', status: form.status });
  };
  const [tab, setTab] = useState<'write' | 'preview'>('write');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [confirmDelete, setConfirmDelete] = useState(false);
  // Runs that deleting would stop (queued, starting, running), counted when the user asks to delete.
  const [activeRuns, setActiveRuns] = useState(0);

  const askDelete = () => {
    setConfirmDelete(true);
    setActiveRuns(0);
    if (mode.kind !== 'edit') return;
    listTaskRuns(mode.task.id)
      .then((runs) => setActiveRuns(runs.filter((r) => isActive(r.status)).length))
      // Without the count the plain question still stands; the server stops the agents either way.
      .catch(() => undefined);
  };

  const save = async () => {
    if (busy) return;
    const trimmed = title.trim();
    if (!trimmed) {
      setError('A task needs a title.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      if (mode.kind === 'create') {
        const task = await createTask(projectId, { title: trimmed, description, status });
        forgetDraft(draftKeyOf);
        onSaved(task, true);
      } else {
        const patch = taskChanges(mode.task, { title: trimmed, description, status });
        if (!patch) {
          forgetDraft(draftKeyOf);
          onClose();
          return;
        }
        const task = await updateTask(mode.task.id, patch);
        forgetDraft(draftKeyOf);
        onSaved(task, false);
      }
    } catch (e) {
      setError(errorMessage(e));
      setBusy(false);
    }
  };

  const remove = async () => {
    if (mode.kind !== 'edit' || busy) return;
    setBusy(true);
    try {
      await deleteTask(mode.task.id);
      forgetDraft(draftKeyOf);
      onDeleted(mode.task.id);
    } catch (e) {
      notify('error', `Could not delete the task: ${errorMessage(e)}`);
      setBusy(false);
      setConfirmDelete(false);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void save();
  };

  const onKeyDown = useSaveShortcut<HTMLDivElement>(() => void save());

  // While a run is live (reported by the runs panel once loaded) its terminal leads and the rest folds away.
  const [live, setLive] = useState(false);
  const layout = panelLayout(mode.kind === 'edit' && live);
  // Folding the details away must not strand focus in a hidden field (Esc and the panel's keys would be lost).
  const sectionsRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const active = document.activeElement;
    if (layout.live && active instanceof HTMLElement && sectionsRef.current?.contains(active) && active.closest('[hidden]')) {
      sectionsRef.current.closest<HTMLElement>('[role="dialog"]')?.focus();
    }
  }, [layout.live]);

  const heading = mode.kind === 'create' ? 'New task' : `Task ${shortId(mode.task.id)}`;

  return (
    <SidePane
      mode="task"
      title={heading}
      onClose={onClose}
      className={mode.kind === 'edit' ? 'task-panel-with-runs' : undefined}
      testId="task-panel"
      onKeyDown={onKeyDown}
    >
      <div ref={sectionsRef} className={`task-panel-sections${layout.live ? ' task-panel-live' : ''}`} data-testid="task-panel-sections" data-live={layout.live}>
      <Fold section="details" label="Task details" foldable={layout.foldable.has('details')} order={layout.order.details}>
      <form className="form task-form" onSubmit={onSubmit} noValidate>
        {draftShown && (
          <p className="draft-note muted small" data-testid="task-draft-note">
            Unsaved draft restored.{' '}
            <button type="button" className="link-button" data-testid="task-draft-discard" onClick={discardDraft}>
              Discard draft
            </button>
          </p>
        )}
        <label className="field">
          <span>Title</span>
          <input
            data-testid="task-title-input"
            data-autofocus
            value={title}
            onChange={(e) => setField('title', e.target.value)}
            placeholder="What needs doing?"
            autoComplete="off"
            maxLength={500}
          />
        </label>

        <div className="field">
          <div className="tabs" role="tablist" aria-label="Description">
            <span className="field-label">Description</span>
            <button type="button" role="tab" aria-selected={tab === 'write'} className="tab" onClick={() => setTab('write')}>
              Write
            </button>
            <button
              type="button"
              role="tab"
              aria-selected={tab === 'preview'}
              className="tab"
              onClick={() => setTab('preview')}
              data-testid="task-preview-tab"
            >
              Preview
            </button>
          </div>
          {tab === 'write' ? (
            <textarea
              data-testid="task-description-input"
              aria-label="Description (markdown)"
              value={description}
              onChange={(e) => setField('description', e.target.value)}
              placeholder="Markdown supported"
              rows={10}
            />
          ) : (
            <div className="markdown" data-testid="task-preview" role="tabpanel">
              {description.trim() ? (
                <Suspense fallback={<p className="muted">Loading preview…</p>}>
                  <MarkdownPreview source={description} />
                </Suspense>
              ) : (
                <p className="muted">Nothing to preview.</p>
              )}
            </div>
          )}
        </div>

        <label className="field">
          <span>Status</span>
          <select data-testid="task-status-select" value={status} onChange={(e) => setField('status', e.target.value as TaskStatus)}>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {STATUS_LABELS[s]}
              </option>
            ))}
          </select>
        </label>

        {error && (
          <div className="form-error" role="alert">
            {error}
          </div>
        )}

        <div className="form-actions">
          {mode.kind === 'edit' &&
            (confirmDelete ? (
              <span className="confirm-delete" role="group" aria-label="Confirm delete">
                <span data-testid="task-delete-question">{deleteQuestion(activeRuns)}</span>
                <button type="button" className="button button-danger" data-testid="task-delete-confirm" onClick={() => void remove()}>
                  {busy && activeRuns > 0 ? 'Stopping agents…' : 'Delete'}
                </button>
                <button type="button" className="button" onClick={() => setConfirmDelete(false)}>
                  Keep
                </button>
              </span>
            ) : (
              <button type="button" className="button button-ghost-danger" data-testid="task-delete" onClick={askDelete}>
                Delete…
              </button>
            ))}
          <span className="spacer" />
          <button
            type="button"
            className="button"
            title="Close and discard unsaved changes (Esc keeps them as a draft)"
            onClick={() => {
              forgetDraft(draftKeyOf);
              onClose();
            }}
          >
            Cancel
          </button>
          <button type="submit" className="button button-primary" data-testid="task-save" disabled={busy} title="Ctrl+Enter">
            {mode.kind === 'create' ? 'Create task' : 'Save'}
          </button>
        </div>
      </form>
      </Fold>
      {mode.kind === 'edit' && (
        <Fold section="history" label="History" foldable={layout.foldable.has('history')} order={layout.order.history}>
          <TaskHistory taskId={mode.task.id} version={mode.task.updated_at} />
        </Fold>
      )}
      {mode.kind === 'edit' && (
        <Suspense fallback={<p className="muted small">Loading agent runs…</p>}>
          <RunsPanel task={mode.task} onLiveChange={setLive} waitingRunId={waitingRunId} startOrder={layout.order.start} />
        </Suspense>
      )}
      </div>
    </SidePane>
  );
}
