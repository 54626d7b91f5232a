// The disk view (pure): worktree rows sorted by size or age, which ones a one-click cleanup takes, and the words
// for what a forced removal loses. The row shapes are the API's (api/worktrees.ts).
import type { WorktreeInfo } from '../../api/worktrees';

export type { CleanupRequest, CleanupResult, WorktreeInfo } from '../../api/worktrees';

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
