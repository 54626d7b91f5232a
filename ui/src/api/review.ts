// The review routes: a run's diff (stats, one file on demand, the whole patch), the land actions, and review
// comments (issue 9 item 4: per run, shared by the runs of one worktree, edited and resolved by id, and turned
// into a follow-up prompt that the server starts as a run). Errors come back as ApiError ({code, message}).
import type {
  CommentPrompt,
  CommitRequest,
  FileDiff as RunFileDiff,
  GitState,
  MergeRequest,
  NewComment,
  PrRequest,
  PushRequest,
  ReviewComment,
  Run,
  RunDiff,
} from './generated/types';
import { request, requestBlob } from './http';

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

export const listComments = (runId: string) => request<ReviewComment[]>('GET', `/api/runs/${enc(runId)}/comments`);
export const addComment = (runId: string, body: NewComment) => request<ReviewComment>('POST', `/api/runs/${enc(runId)}/comments`, body);
export const updateComment = (id: string, body: { body?: string; resolved?: boolean }) => request<ReviewComment>('PATCH', `/api/comments/${enc(id)}`, body);
export const deleteComment = (id: string) => request<void>('DELETE', `/api/comments/${enc(id)}`);
/** The follow-up prompt the server builds from `ids` (default: the unresolved comments not sent yet). */
export const commentPrompt = (runId: string, ids?: string[]) => request<CommentPrompt>('POST', `/api/runs/${enc(runId)}/comments/prompt`, ids ? { ids } : {});
/** Starts the follow-up run with the (edited) prompt and records it on the comments. */
export const sendComments = (runId: string, prompt: string, ids: string[]) => request<Run>('POST', `/api/runs/${enc(runId)}/comments/send`, { prompt, ids });
