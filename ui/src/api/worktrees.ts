// The worktrees routes (the disk view): every worktree with its size and safety, and cleanup. The shapes mirror
// the server's WorktreeInfo / CleanupRequest / CleanupResult (core/worktrees.rs) until their generated types land
// in generated/types.ts.
import type { TaskStatus } from './generated/types';
import { request } from './http';

export type WorktreeInfo = {
  path: string;
  project_id: string;
  project_name: string;
  task_id: string;
  task_title: string;
  task_status: TaskStatus;
  branch: string;
  target: string;
  run_ids: string[];
  active: boolean;
  exists: boolean;
  removed: boolean;
  size_bytes: number;
  size_exact: boolean;
  uncommitted: number;
  unmerged_commits: number;
  pushed: boolean;
  age_secs: number;
  safe_to_remove: boolean;
  why_not: string | null;
};

export type CleanupRequest = { paths?: string[]; force?: boolean };
export type CleanupResult = { removed: string[]; skipped: { path: string; why: string }[]; deleted_branches: string[] };

export const listWorktrees = () => request<WorktreeInfo[]>('GET', '/api/worktrees');
export const cleanupWorktrees = (body: CleanupRequest) => request<CleanupResult>('POST', '/api/worktrees/cleanup', body);
