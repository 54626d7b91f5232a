// A project's settings: its name, and how each new run's worktree is prepared before the agent starts (a setup
// script, files copied from the repository). Saved with PATCH /api/projects/{id}.
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import type { DefaultRuntime, Project } from '../../api/generated/types';
import { ApiError, errorMessage } from '../../api/client';
import { Modal } from '../../components/Modal';
import { useSaveShortcut } from '../shortcuts/useSaveShortcut';
import { projectChanges, settingsForm, type ProjectSettingsForm } from './projectSettings';
import { RuntimeOptionsFields } from './RuntimeOptionsFields';
import { deleteProject, updateProject } from '../../api/projects';

export const REMOVE_QUESTION =
  'Remove this project from viban? Its running agents are stopped and its tasks and runs are forgotten. The repository itself is not touched.';

type Props = {
  project: Project;
  onClose: () => void;
  onSaved: (project: Project) => void;
  /** The project was removed (DELETE /api/projects/{id}). */
  onRemoved: (id: string) => void;
};

export function ProjectSettingsDialog({ project: current, onClose, onSaved, onRemoved }: Props) {
  // Changes are computed against the project as it was when the dialog opened, so a field left alone is not sent
  // (and cannot undo a change someone else made meanwhile).
  const [project] = useState(current);
  const [form, setForm] = useState<ProjectSettingsForm>(() => settingsForm(project));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const [confirmRemove, setConfirmRemove] = useState(false);

  // The server stops the project's running agents, then forgets the project, its tasks and runs; the repository
  // (and any worktree left on disk) is never touched.
  const remove = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await deleteProject(project.id);
      onRemoved(project.id);
    } catch (e) {
      setError(`Could not remove the project: ${errorMessage(e)}`);
      setBusy(false);
      setConfirmRemove(false);
    }
  };

  const set = (field: 'name' | 'setupScript' | 'copyFiles') => (value: string) => setForm((f) => ({ ...f, [field]: value }));

  const save = async () => {
    if (busy) return;
    if (!form.name.trim()) {
      setError('A project needs a name.');
      return;
    }
    const patch = projectChanges(project, form);
    if (typeof patch === 'string') {
      setError(patch);
      return;
    }
    if (!patch) {
      onClose();
      return;
    }
    setBusy(true);
    setError(null);
    try {
      onSaved(await updateProject(project.id, patch));
    } catch (e) {
      // 400 validation names the offending value (an empty name, a path outside the repository): shown as is.
      setError(e instanceof ApiError && e.code === 'validation' ? e.message : `Could not save: ${errorMessage(e)}`);
      setBusy(false);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void save();
  };

  const onKeyDown = useSaveShortcut<HTMLDivElement>(() => void save());

  return (
    <Modal title="Project settings" onClose={onClose} testId="project-settings" onKeyDown={onKeyDown}>
      <form className="form" onSubmit={onSubmit} noValidate>
        <p className="muted small project-settings-path" title={project.repo_path}>
          <code>{project.repo_path}</code>
        </p>
        <label className="field">
          <span>Name</span>
          <input
            data-testid="project-settings-name"
            data-autofocus
            value={form.name}
            onChange={(e) => set('name')(e.target.value)}
            autoComplete="off"
            maxLength={200}
          />
        </label>
        <HelpedTextarea
          label="Setup script"
          className="project-settings-script"
          testId="project-settings-setup-script"
          value={form.setupScript}
          onChange={set('setupScript')}
          placeholder="npm ci"
          rows={5}
        >
          Runs with <code>/bin/sh -c</code> in each new worktree before the agent starts, e.g. <code>npm ci</code>. If it
          fails, the run fails and the agent is not started. Leave empty for none.
        </HelpedTextarea>
        <HelpedTextarea
          label="Files to copy"
          className="project-settings-files"
          testId="project-settings-copy-files"
          value={form.copyFiles}
          onChange={set('copyFiles')}
          placeholder=".env"
          rows={4}
        >
          One path per line, relative to the repository (e.g. <code>.env</code>): files git does not track that each new
          worktree needs. Copied before the setup script runs.
        </HelpedTextarea>
        <label className="field">
          <span>Agents run</span>
          <select
            data-testid="project-settings-runtime"
            value={form.defaultRuntime}
            onChange={(e) => setForm((f) => ({ ...f, defaultRuntime: e.target.value as DefaultRuntime }))}
          >
            <option value="profile">where each agent&apos;s profile says</option>
            <option value="local">on this machine</option>
            <option value="container">in a container (agents.toml [container])</option>
            <option value="kubernetes">as Kubernetes Jobs (agents.toml [kubernetes])</option>
          </select>
        </label>
        <RuntimeOptionsFields value={form.options} onChange={(options) => setForm((f) => ({ ...f, options }))} />
        {error && (
          <div className="form-error" role="alert" data-testid="project-settings-error">
            {error}
          </div>
        )}
        <div className="form-actions">
          {confirmRemove ? (
            <span className="confirm-delete" role="group" aria-label="Confirm remove">
              <span data-testid="project-remove-question">{REMOVE_QUESTION}</span>
              <button type="button" className="button button-danger" data-testid="project-remove-confirm" onClick={() => void remove()} disabled={busy}>
                {busy ? 'Removing…' : 'Remove'}
              </button>
              <button type="button" className="button" onClick={() => setConfirmRemove(false)}>
                Keep
              </button>
            </span>
          ) : (
            <button type="button" className="button button-ghost-danger" data-testid="project-remove" onClick={() => setConfirmRemove(true)}>
              Remove project…
            </button>
          )}
          <span className="spacer" />
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" data-testid="project-settings-save" disabled={busy} title="Ctrl+Enter">
            {busy ? 'Saving…' : 'Save'}
          </button>
        </div>
      </form>
    </Modal>
  );
}

type HelpedTextareaProps = {
  label: string;
  className: string;
  testId: string;
  value: string;
  onChange: (value: string) => void;
  placeholder: string;
  rows: number;
  /** The help text under the box (the textarea is described by it). */
  children: ReactNode;
};

/** A labelled multi-line setting for code or paths (no spell check), with its help text below. */
function HelpedTextarea({ label, className, testId, value, onChange, placeholder, rows, children }: HelpedTextareaProps) {
  const helpId = useId();
  return (
    <label className="field">
      <span>{label}</span>
      <textarea
        className={className}
        data-testid={testId}
        aria-describedby={helpId}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder={placeholder}
        spellCheck={false}
        rows={rows}
      />
      <small className="muted" id={helpId}>
        {children}
      </small>
    </label>
  );
}
