// The review contract (issue 9: diff, live file changes, land actions), from the types generated from the server's
// DTOs (src/api/generated/types.ts), under the names this feature uses.
import type { FileChange, FileDiff } from '../../api/generated/types';

export type {
  CommitRequest,
  DiffFile,
  GitCommands,
  GitState,
  MergeRequest,
  PrRequest,
  PullRequest,
  PushRequest,
  RebaseState,
  RunDiff,
} from '../../api/generated/types';

export type ChangeKind = FileChange;
/** `GET /api/runs/{id}/diff/file?path=…`: one file's contents on both sides and its patch. */
export type RunFileDiff = FileDiff;
/** Change-feed frame: files in a run's worktree changed (`paths: null`: anything may have, refetch all). */
export type { RunFilesEvent } from '../../api/events';
