// The runs routes (docs/api-contract.md, "Agents and runs" and "Editor and shell"): starting, stopping and
// following up runs, their terminal over HTTP, transcripts, worktrees, and leaving viban for the user's editor
// or a shell. Errors come back as ApiError ({code, message}) from the shared `request` helper.
import type { Editors, FollowUp, OpenInEditor, Run, RunScreen, StartRun, StartShell } from './generated/types';
import { request, requestBlob } from './http';

const enc = encodeURIComponent;
const runPath = (runId: string) => `/api/runs/${enc(runId)}`;

/** Starts an agent on a task in a new worktree; the task moves to In Progress. */
export const startRun = (taskId: string, body: StartRun) =>
  request<Run>('POST', `/api/tasks/${enc(taskId)}/runs`, body);

/** `GET /api/projects/{id}/runs`: the newest run of each task of the project. */
export const listProjectRuns = (projectId: string) => request<Run[]>('GET', `/api/projects/${enc(projectId)}/runs`);

/** The task's runs, newest first. */
export const listTaskRuns = (taskId: string) => request<Run[]>('GET', `/api/tasks/${enc(taskId)}/runs`);

export const getRun = (runId: string) => request<Run>('GET', runPath(runId));

/** Resolves once the run's processes are gone (409 `run_not_active` when it already ended). */
export const stopRun = (runId: string) => request<Run>('POST', `${runPath(runId)}/stop`);

/** A new run in the same worktree and branch as `runId`. */
export const followUp = (runId: string, body: FollowUp) => request<Run>('POST', `${runPath(runId)}/follow-up`, body);

/** Keystrokes over HTTP (the terminal normally sends them over its WebSocket). */
export const sendInput = (runId: string, data: string) => request<void>('POST', `${runPath(runId)}/input`, { data });

export const resize = (runId: string, cols: number, rows: number) =>
  request<void>('POST', `${runPath(runId)}/resize`, { cols, rows });

export const getScreen = (runId: string) => request<RunScreen>('GET', `${runPath(runId)}/screen`);

/** Removes the run's worktree folder (the branch stays); 409 `worktree_dirty` unless `force`. */
export const removeWorktree = (runId: string, force = false) =>
  request<void>('DELETE', `${runPath(runId)}/worktree${force ? '?force=true' : ''}`);

/** Where the asciicast v2 transcript is served (fetched with the session, never opened as a plain link). */
export const castUrl = (runId: string) => `${runPath(runId)}/transcript.cast`;

export const CAST_TYPE = 'application/x-asciicast';

/** The transcript as a file to save (`viban-run-<id>.cast`). */
export const castFile = (runId: string) => requestBlob(castUrl(runId), CAST_TYPE);

/** The editor presets, the configured command and the one "Open in editor" runs (null: none; see `hint`). */
export const getEditors = () => request<Editors>('GET', '/api/editors');

/** 204; 422 `no_editor` (message says how to set one), 400 `invalid_path`, 409 `worktree_removed`. */
export const openInEditor = (runId: string, body: OpenInEditor = {}) =>
  request<void>('POST', `${runPath(runId)}/open`, body);

/** Starts a login shell in the run's worktree at once (never queued, never moves the card). */
export const startShell = (runId: string, body: StartShell = {}) =>
  request<Run>('POST', `${runPath(runId)}/shell`, body);
