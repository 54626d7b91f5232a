import { useState, type FormEvent } from 'react';
import type { Project } from '../../api/generated/types';
import { ApiError, errorMessage } from '../../api/client';
import { Modal } from '../../components/Modal';
import { defaultedName, folderName, projectErrorHint } from './selection';
import { createProject, updateProject } from '../../api/projects';

type Props = {
  onClose: () => void;
  onCreated: (project: Project) => void;
};

type FormError = { hint: string | null; message: string };

export function AddProjectDialog({ onClose, onCreated }: Props) {
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<FormError | null>(null);

  const derivedName = folderName(path);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (busy) return;
    const repoPath = path.trim();
    if (!repoPath) {
      setError({ hint: null, message: 'Enter the absolute path of a git repository.' });
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const project = await createProject({ name: name.trim() || derivedName, repo_path: repoPath });
      // No name typed: the server resolved the repository's top folder (for `…/repo/src` or `~/…`), name it so.
      const better = defaultedName(project, name);
      onCreated(better ? await updateProject(project.id, { name: better }).catch(() => project) : project);
    } catch (err) {
      const hint = err instanceof ApiError ? projectErrorHint(err.code) : null;
      setError({ hint, message: errorMessage(err) });
      setBusy(false);
    }
  };

  return (
    <Modal title="Add project" onClose={onClose} testId="add-project-dialog">
      <form className="form" onSubmit={(e) => void submit(e)} noValidate>
        <label className="field">
          <span>Repository path</span>
          <input
            data-testid="project-path-input"
            data-autofocus
            value={path}
            onChange={(e) => setPath(e.target.value)}
            placeholder="/home/me/code/my-app"
            spellCheck={false}
            autoComplete="off"
            required
          />
          <small className="muted">An absolute path (or <code>~/…</code>) to a git work tree on the machine running viban-server; a subfolder
            adds its repository, named after the repository's folder unless you name it.</small>
        </label>
        <label className="field">
          <span>Name</span>
          <input
            data-testid="project-name-input"
            value={name}
            onChange={(e) => setName(e.target.value)}
            placeholder={derivedName || 'my-app'}
            autoComplete="off"
          />
        </label>
        {error && (
          <div className="form-error" role="alert" data-testid="project-error">
            {error.hint && <strong>{error.hint}</strong>}
            <span>{error.message}</span>
          </div>
        )}
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" data-testid="project-save" disabled={busy}>
            {busy ? 'Adding…' : 'Add project'}
          </button>
        </div>
      </form>
    </Modal>
  );
}
