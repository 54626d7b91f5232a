// Typed calls for leaving viban for the user's own tools (docs/api-contract.md, "Editor and shell"): the editor
// on a run's worktree or a file of it, and a login shell in the worktree (a run of kind `shell`).
import type { Editors, OpenInEditor, Run, StartShell } from '../../api/generated/types';
import { request } from '../../api/client';

const runPath = (runId: string) => `/api/runs/${encodeURIComponent(runId)}`;

/** The editor presets, the configured command and the one "Open in editor" runs (null: none; see `hint`). */
export const getEditors = () => request<Editors>('GET', '/api/editors');

/** 204; 422 `no_editor` (message says how to set one), 400 `invalid_path`, 409 `worktree_removed`. */
export const openInEditor = (runId: string, body: OpenInEditor = {}) =>
  request<void>('POST', `${runPath(runId)}/open`, body);

/** Starts a login shell in the run's worktree at once (never queued, never moves the card). */
export const startShell = (runId: string, body: StartShell = {}) =>
  request<Run>('POST', `${runPath(runId)}/shell`, body);
