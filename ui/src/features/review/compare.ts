// Compare attempts (pure): a task's runs grouped into attempts (one per worktree: follow-ups continue an attempt),
// each with its diff's totals, and the union of the files they changed with every attempt's counts.
import type { Run } from '../../api/generated/types';
import type { DiffFile, RunDiff } from './types';

export type Attempt = {
  /** The newest run of the worktree: the one whose diff, git state and merge stand for the attempt. */
  run: Run;
  runs: number;
  agent: string;
  status: Run['status'];
  /** Summed over the attempt's runs that started; null when none did. */
  durationMs: number | null;
  diff: RunDiff | null;
  error: string | null;
};

/** Newest run per worktree, newest attempt first (runs come newest first from the API, but are sorted here too). */
export function groupAttempts(runs: readonly Run[], now: number): Omit<Attempt, 'diff' | 'error'>[] {
  const sorted = [...runs].sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
  const byTree = new Map<string, Run[]>();
  for (const r of sorted) {
    const list = byTree.get(r.worktree_path);
    if (list) list.push(r);
    else byTree.set(r.worktree_path, [r]);
  }
  return [...byTree.values()].map((list) => {
    const run = list[0]!;
    let total: number | null = null;
    for (const r of list) {
      if (!r.started_at) continue;
      const end = r.finished_at ? Date.parse(r.finished_at) : now;
      total = (total ?? 0) + Math.max(0, end - Date.parse(r.started_at));
    }
    return { run, runs: list.length, agent: run.agent, status: run.status, durationMs: total };
  });
}

export type FileRow = {
  path: string;
  /** Per attempt, in the attempts' order: its entry for the file, or null when that attempt did not change it. */
  cells: (DiffFile | null)[];
  /** True when every attempt that has a diff changed this file. */
  common: boolean;
};

/** The union of the changed files of all attempts, sorted by path, with each attempt's entry. */
export function fileMatrix(diffs: readonly (RunDiff | null)[]): FileRow[] {
  const paths = new Set<string>();
  const maps = diffs.map((d) => {
    const m = new Map<string, DiffFile>();
    for (const f of d?.files ?? []) {
      m.set(f.path, f);
      paths.add(f.path);
    }
    return m;
  });
  const loaded = diffs.filter((d) => d !== null).length;
  return [...paths]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((path) => {
      const cells = maps.map((m) => m.get(path) ?? null);
      const present = cells.filter((c) => c !== null).length;
      return { path, cells, common: loaded > 1 && present === loaded };
    });
}

/** The attempts other than `picked` whose worktrees may be cleaned up after a pick (active ones never). */
export function othersToClean(attempts: readonly Pick<Attempt, 'run' | 'status'>[], pickedRunId: string): Run[] {
  return attempts
    .filter((a) => a.run.id !== pickedRunId && !['queued', 'starting', 'running'].includes(a.status))
    .map((a) => a.run);
}
