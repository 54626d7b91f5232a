// The review contract (issue 9: diff, live file changes, land actions), defined here until the server's DTOs are
// generated into src/api/generated/types.ts. Field names and unions follow the server contract exactly; once the
// generated types exist, these become re-exports of them.

export type ChangeKind = 'added' | 'modified' | 'deleted' | 'renamed' | 'copied' | 'type_changed';

/** One changed file of a run's worktree against the merge-base with its target (stats only). */
export type DiffFile = {
  path: string;
  old_path: string | null;
  change: ChangeKind;
  additions: number;
  deletions: number;
  binary: boolean;
  untracked: boolean;
  old_mode: string | null;
  new_mode: string | null;
};

/** `GET /api/runs/{id}/diff`. */
export type RunDiff = {
  run_id: string;
  target: string;
  merge_base: string;
  files: DiffFile[];
  additions: number;
  deletions: number;
};

/** `GET /api/runs/{id}/diff/file?path=…`: one file's contents on both sides and its patch. */
export type RunFileDiff = {
  path: string;
  old_path: string | null;
  binary: boolean;
  too_large: boolean;
  old_size: number;
  new_size: number;
  old_text: string | null;
  new_text: string | null;
  patch: string;
};

export type PrState = 'open' | 'merged' | 'closed';
export type PrChecks = 'pending' | 'passing' | 'failing';

export type PullRequest = {
  provider: string;
  url: string;
  number: number;
  state: PrState;
  checks: PrChecks | null;
};

export type RebaseState = { onto: string; conflicts: string[] };

/** The exact command line each land action would run (shown before running it). */
export type GitCommands = {
  commit: string;
  merge: string;
  squash: string;
  rebase: string;
  push: string;
  pr: string | null;
};

/** `GET /api/runs/{id}/git`, and the answer of every land action. */
export type GitState = {
  branch: string;
  target: string;
  ahead: number;
  behind: number;
  uncommitted: string[];
  rebase: RebaseState | null;
  upstream: string | null;
  unpushed: number;
  pr: PullRequest | null;
  commands: GitCommands;
};

export type CommitRequest = { message: string; paths?: string[] };
export type MergeRequest = { squash: boolean; message?: string };
export type PushRequest = { force: boolean };
export type PrRequest = { title: string; body: string; draft?: boolean };

/** Change-feed frame: files in a run's worktree changed (`paths: null`: anything may have, refetch all). */
export type RunFilesEvent = { type: 'run_files'; run_id: string; paths: string[] | null };
