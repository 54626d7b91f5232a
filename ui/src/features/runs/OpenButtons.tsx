// "Open in editor" and "Shell" for a run's worktree, and "Open in editor" for one file of it (the Changes view's
// file header). The editor opens on the machine the server runs on (the user's own, for the local app).
import { useState } from 'react';
import type { Run } from '../../api/generated/types';
import { errorMessage } from '../../api/client';
import { openInEditor, startShell } from '../../api/runs';
import { shellSize } from './openLogic';

type Props = { run: Run; onStarted: (run: Run) => void };

export function OpenButtons({ run, onStarted }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const act = async (f: () => Promise<void>) => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      await f();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="run-open" data-testid="run-open">
      <button
        type="button"
        className="button button-small"
        data-testid="open-in-editor"
        title="Open the worktree in your editor ([editor] in agents.toml, else VS Code, Cursor, Zed or a JetBrains IDE)"
        disabled={busy}
        onClick={() => void act(() => openInEditor(run.id))}
      >
        Open in editor
      </button>
      <button
        type="button"
        className="button button-small"
        data-testid="open-shell"
        title="A shell in this worktree, in the app's terminal (not an agent: the card does not move)"
        disabled={busy}
        onClick={() => void act(async () => onStarted(await startShell(run.id, shellSize(run))))}
      >
        Shell
      </button>
      {error && (
        <p className="run-message run-message-error" role="alert" data-testid="run-open-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** The Changes view's file header: this file in the editor (a deleted file has nothing to open). */
export function OpenFileButton({ runId, path, line }: { runId: string; path: string; line?: number }) {
  const [error, setError] = useState<string | null>(null);
  const open = () => {
    setError(null);
    openInEditor(runId, line === undefined ? { path } : { path, line }).catch((e: unknown) => setError(errorMessage(e)));
  };
  return (
    <>
      <button type="button" className="button button-small" data-testid="open-file-in-editor" title="Open this file in your editor" onClick={open}>
        Open in editor
      </button>
      {error && (
        <span className="muted small" role="alert" title={error}>
          {error}
        </span>
      )}
    </>
  );
}
