// Typed calls for review comments (issue 9 item 4): per run (shared by the runs of one worktree), edited and
// resolved by id, and turned into a follow-up prompt that the server starts as a run.
import type { Run } from '../../api/generated/types';
import { request } from '../../api/client';
import type { CommentPrompt, NewComment, ReviewComment } from './comments';

const enc = encodeURIComponent;

export const listComments = (runId: string) => request<ReviewComment[]>('GET', `/api/runs/${enc(runId)}/comments`);
export const addComment = (runId: string, body: NewComment) => request<ReviewComment>('POST', `/api/runs/${enc(runId)}/comments`, body);
export const updateComment = (id: string, body: { body?: string; resolved?: boolean }) => request<ReviewComment>('PATCH', `/api/comments/${enc(id)}`, body);
export const deleteComment = (id: string) => request<void>('DELETE', `/api/comments/${enc(id)}`);
/** The follow-up prompt the server builds from `ids` (default: the unresolved comments not sent yet). */
export const commentPrompt = (runId: string, ids?: string[]) => request<CommentPrompt>('POST', `/api/runs/${enc(runId)}/comments/prompt`, ids ? { ids } : {});
/** Starts the follow-up run with the (edited) prompt and records it on the comments. */
export const sendComments = (runId: string, prompt: string, ids: string[]) => request<Run>('POST', `/api/runs/${enc(runId)}/comments/send`, { prompt, ids });
