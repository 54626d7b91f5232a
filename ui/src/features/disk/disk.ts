// The disk view (pure): worktree rows sorted by size or age, which ones a one-click cleanup takes, and the words
// for sizes, ages and what a forced removal loses. The shapes mirror the server's WorktreeInfo / CleanupRequest /
// CleanupResult (core/worktrees.rs) until their generated types land in api/generated/types.ts.
import type { TaskStatus } from '../../api/generated/types';

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

export type SortKey = 'size' | 'age';
export type SortDir = 'asc' | 'desc';

/** Rows to show: existing worktrees (removed ones are history, not disk), sorted; ties by path. */
export function sortWorktrees(rows: readonly WorktreeInfo[], key: SortKey, dir: SortDir): WorktreeInfo[] {
  const sign = dir === 'asc' ? 1 : -1;
  return rows
    .filter((r) => r.exists)
    .sort((a, b) => {
      const d = key === 'size' ? a.size_bytes - b.size_bytes : a.age_secs - b.age_secs;
      if (d !== 0) return sign * d;
      return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
    });
}

/** Clicking a sorted column again flips it; another column starts largest/oldest first. */
export function nextSort(current: { key: SortKey; dir: SortDir }, key: SortKey): { key: SortKey; dir: SortDir } {
  if (current.key === key) return { key, dir: current.dir === 'asc' ? 'desc' : 'asc' };
  return { key, dir: 'desc' };
}

/** What one-click cleanup removes: the existing worktrees the server calls safe (never an active one). */
export function safeToClean(rows: readonly WorktreeInfo[]): WorktreeInfo[] {
  return rows.filter((r) => r.exists && r.safe_to_remove && !r.active);
}

export function totalBytes(rows: readonly Pick<WorktreeInfo, 'size_bytes'>[]): number {
  return rows.reduce((n, r) => n + r.size_bytes, 0);
}

/** What a forced removal of `row` loses, in words (empty when nothing: then it is not a forced removal). */
export function whatIsLost(row: WorktreeInfo): string[] {
  const lost: string[] = [];
  if (row.uncommitted > 0) lost.push(`${row.uncommitted} uncommitted change(s) in ${row.path} (deleted with the folder)`);
  if (row.unmerged_commits > 0 && !row.pushed) {
    lost.push(`${row.unmerged_commits} commit(s) not in ${row.target} and not pushed (they stay on branch ${row.branch} until it is deleted)`);
  }
  if (lost.length === 0 && row.why_not) lost.push(row.why_not);
  return lost;
}
