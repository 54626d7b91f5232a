// Typed calls for the review routes: a run's diff (stats, one file on demand, the whole patch) and the land
// actions. Errors come back as ApiError ({code, message}) from the shared `request` helper.
import { request, requestBlob } from '../../api/client';
import type {
  CommitRequest,
  GitState,
  MergeRequest,
  PrRequest,
  PushRequest,
  RunDiff,
  RunFileDiff,
} from './types';

const enc = encodeURIComponent;
const runPath = (runId: string) => `/api/runs/${enc(runId)}`;

/** Every changed file with its +/− counts (no contents). */
export const getDiff = (runId: string) => request<RunDiff>('GET', `${runPath(runId)}/diff`);

/** One file's old and new text and its patch, loaded only when the file is shown. */
export const getFileDiff = (runId: string, path: string) =>
  request<RunFileDiff>('GET', `${runPath(runId)}/diff/file?path=${enc(path)}`);

/** The whole change as a unified patch, to save (fetched with the session, saved through a blob: URL). */
export const patchFile = (runId: string) => requestBlob(`${runPath(runId)}/diff?format=patch`, 'text/x-diff, text/plain, */*');

export const getGitState = (runId: string) => request<GitState>('GET', `${runPath(runId)}/git`);
export const commit = (runId: string, body: CommitRequest) => request<GitState>('POST', `${runPath(runId)}/commit`, body);
export const merge = (runId: string, body: MergeRequest) => request<GitState>('POST', `${runPath(runId)}/merge`, body);
export const rebase = (runId: string) => request<GitState>('POST', `${runPath(runId)}/rebase`, {});
export const abortRebase = (runId: string) => request<GitState>('POST', `${runPath(runId)}/rebase/abort`, {});
export const push = (runId: string, body: PushRequest) => request<GitState>('POST', `${runPath(runId)}/push`, body);
export const openPr = (runId: string, body: PrRequest) => request<GitState>('POST', `${runPath(runId)}/pr`, body);
