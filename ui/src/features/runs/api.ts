// Typed calls for the agents-and-runs routes (docs/api-contract.md, "Agents and runs").
// Errors come back as ApiError ({code, message}) from the shared `request` helper.
import type { AgentInfo, FollowUp, Run, RunScreen, StartRun } from '../../api/generated/types';
import { request, requestBlob } from '../../api/client';

const enc = encodeURIComponent;
const runPath = (runId: string) => `/api/runs/${enc(runId)}`;

/** Every agent profile with what detection found (installed, version, install hint, problem). */
export const listAgents = () => request<AgentInfo[]>('GET', '/api/agents');

/** Starts an agent on a task in a new worktree; the task moves to In Progress. */
export const startRun = (taskId: string, body: StartRun) =>
  request<Run>('POST', `/api/tasks/${enc(taskId)}/runs`, body);

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
