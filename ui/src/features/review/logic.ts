// Pure review logic: the file tree's rows, change labels, which open files a live event refreshes, and what each
// land action shows and sends. No React, no fetch: unit-tested in logic.test.ts.
import type { DiffFile, GitCommands, GitState, PullRequest, RunFileDiff, RunFilesEvent } from './types';
import { formatBytes } from '../../lib/format';

// ---------------------------------------------------------------------------------------------------------------
// File tree

export type TreeRow =
  | { kind: 'dir'; path: string; name: string; depth: number; files: number; collapsed: boolean }
  | { kind: 'file'; path: string; name: string; depth: number; file: DiffFile };

const byPath = (a: DiffFile, b: DiffFile) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** The files sorted by path (byte order, like git), the order of the tree and of j/k. */
export function sortFiles(files: readonly DiffFile[]): DiffFile[] {
  return [...files].sort(byPath);
}

/**
 * The tree as flat rows (directories first-seen before their files, depth for indentation), for a virtualised
 * list. A directory in `collapsed` keeps its row and hides everything beneath it. `files` must be sorted.
 */
export function buildRows(sorted: readonly DiffFile[], collapsed: ReadonlySet<string>): TreeRow[] {
  // Files under each directory (any depth), for the directory rows' counts.
  const counts = new Map<string, number>();
  for (const f of sorted) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      counts.set(dir, (counts.get(dir) ?? 0) + 1);
    }
  }
  const rows: TreeRow[] = [];
  let open: string[] = []; // directory components of the previous file
  for (const file of sorted) {
    const parts = file.path.split('/');
    const dirs = parts.slice(0, -1);
    let same = 0;
    while (same < dirs.length && same < open.length && dirs[same] === open[same]) same++;
    for (let i = same; i < dirs.length; i++) {
      const path = dirs.slice(0, i + 1).join('/');
      if (hiddenBy(path, collapsed)) continue;
      rows.push({ kind: 'dir', path, name: dirs[i]!, depth: i, files: counts.get(path) ?? 0, collapsed: collapsed.has(path) });
    }
    open = dirs;
    if (hiddenBy(file.path, collapsed)) continue;
    rows.push({ kind: 'file', path: file.path, name: parts[parts.length - 1]!, depth: dirs.length, file });
  }
  return rows;
}

/** True when a directory above `path` (not `path` itself) is collapsed. */
function hiddenBy(path: string, collapsed: ReadonlySet<string>): boolean {
  if (collapsed.size === 0) return false;
  const parts = path.split('/');
  for (let i = 1; i < parts.length; i++) if (collapsed.has(parts.slice(0, i).join('/'))) return true;
  return false;
}

/** The path `step` files away from `current` (j/k), staying at the ends; the first file when none is selected. */
export function neighbour(sorted: readonly DiffFile[], current: string | null, step: number): string | null {
  if (sorted.length === 0) return null;
  const at = current === null ? -1 : sorted.findIndex((f) => f.path === current);
  if (at < 0) return sorted[0]!.path;
  const next = Math.min(sorted.length - 1, Math.max(0, at + step));
  return sorted[next]!.path;
}

// ---------------------------------------------------------------------------------------------------------------
// Labels

/** One letter for the list (A M D R C T, ? for untracked) and the words for its title. */
export function changeBadge(file: DiffFile): { letter: string; text: string } {
  const words: string[] = [];
  let letter: string;
  if (file.untracked) {
    letter = '?';
    words.push('untracked (new)');
  } else {
    letter = { added: 'A', modified: 'M', deleted: 'D', renamed: 'R', copied: 'C', type_changed: 'T' }[file.change];
    words.push(file.change === 'type_changed' ? 'type changed' : file.change);
  }
  if (file.old_path && (file.change === 'renamed' || file.change === 'copied')) words.push(`from ${file.old_path}`);
  if (file.binary) words.push('binary');
  if (file.old_mode && file.new_mode && file.old_mode !== file.new_mode) words.push(`mode ${file.old_mode} → ${file.new_mode}`);
  return { letter, text: words.join(', ') };
}

/** What the diff pane shows instead of a diff, or null when there is a diff to render. */
export function placeholderText(d: RunFileDiff): string | null {
  if (d.binary) return `binary file, ${formatBytes(d.old_size)} → ${formatBytes(d.new_size)}`;
  if (d.too_large) return `too large to show here (${formatBytes(Math.max(d.old_size, d.new_size))}) — download the patch`;
  if (d.patch === '' && d.old_text === d.new_text) return 'no textual change (only the mode or type changed)';
  return null;
}

export function totalsText(files: number, additions: number, deletions: number): string {
  return `${files === 1 ? '1 file' : `${files.toLocaleString('en')} files`} changed, +${additions.toLocaleString('en')} −${deletions.toLocaleString('en')}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Live refresh

/** What arrived since the last refresh of one run's Changes view. */
export type Pending = { stats: boolean; all: boolean; paths: ReadonlySet<string> };

export const NOTHING_PENDING: Pending = { stats: false, all: false, paths: new Set() };

/** Adds a change-feed frame to what is pending for `runId` (frames of other runs change nothing). */
export function addEvent(pending: Pending, event: RunFilesEvent, runId: string): Pending {
  if (event.run_id !== runId) return pending;
  if (event.paths === null) return { stats: true, all: true, paths: pending.paths };
  const paths = new Set(pending.paths);
  for (const p of event.paths) paths.add(p);
  return { stats: true, all: pending.all, paths };
}

/**
 * The open files to reload for what is pending: all of them after a `paths: null` frame, otherwise only those
 * named (by their path, or by the old path of a rename). Unchanged open files are not re-read.
 */
export function filesToReload(pending: Pending, open: readonly { path: string; oldPath: string | null }[]): string[] {
  if (pending.all) return open.map((o) => o.path);
  return open.filter((o) => pending.paths.has(o.path) || (o.oldPath !== null && pending.paths.has(o.oldPath))).map((o) => o.path);
}

// ---------------------------------------------------------------------------------------------------------------
// Land actions

export type LandAction = 'commit' | 'merge' | 'squash' | 'rebase' | 'push' | 'force-push' | 'pr';

/** The exact command the server will run for `action`, as it reported it (null: not available). */
export function commandFor(action: LandAction, commands: GitCommands): string | null {
  switch (action) {
    case 'commit':
      return commands.commit;
    case 'merge':
      return commands.merge;
    case 'squash':
      return commands.squash;
    case 'rebase':
      return commands.rebase;
    case 'push':
      return commands.push;
    case 'force-push':
      return forceVariant(commands.push);
    case 'pr':
      return commands.pr;
  }
}

/** The push command with `--force-with-lease` when the server's push line has no force flag of its own. */
function forceVariant(push: string): string {
  if (/(^|\s)(--force|-f|--force-with-lease)(\s|=|$)/.test(push)) return push;
  const parts = push.split(' ');
  const at = parts.indexOf('push');
  if (at < 0) return `${push} --force-with-lease`;
  parts.splice(at + 1, 0, '--force-with-lease');
  return parts.join(' ');
}

/** Why an action cannot run now, or null when it can. */
export function blockedReason(action: LandAction, state: GitState, runActive: boolean): string | null {
  if (runActive && action !== 'pr') return 'The agent is still running: stop it or wait for it to finish.';
  if (state.rebase && action !== 'rebase') return 'A rebase is in progress: let the agent resolve it or abort it.';
  switch (action) {
    case 'commit':
      return state.uncommitted.length === 0 ? 'Nothing to commit.' : null;
    case 'merge':
    case 'squash':
      if (state.ahead === 0) return `Nothing to merge: ${state.branch} has no commits that ${state.target} lacks.`;
      return state.uncommitted.length > 0 ? 'Commit (or discard) the uncommitted changes first.' : null;
    case 'rebase':
      if (state.rebase) return null;
      return state.behind === 0 ? `Already up to date with ${state.target}.` : null;
    case 'push':
    case 'force-push':
      return state.ahead === 0 && state.unpushed === 0 ? 'Nothing to push.' : null;
    case 'pr':
      if (state.pr && state.pr.state === 'open') return `Pull request #${state.pr.number} is already open.`;
      return state.commands.pr === null ? 'No pull-request tool for this remote (gh for GitHub, glab for GitLab).' : null;
  }
}

/** The commit message prefilled from the task: its title (nothing is committed until the user asks). */
export function defaultCommitMessage(title: string): string {
  return (title.trim().split('\n')[0] ?? '').trim();
}

/** Title and body for a pull request, from the task and the run. */
export function defaultPr(
  task: { title: string; description: string },
  run: { agent: string; branch: string },
  state: Pick<GitState, 'target'>,
): { title: string; body: string } {
  const description = task.description.trim();
  const footer = `---\nMade with viban: agent \`${run.agent}\`, branch \`${run.branch}\` into \`${state.target}\`.`;
  return { title: task.title.trim(), body: description ? `${description}\n\n${footer}` : footer };
}

/** The follow-up prompt that asks the agent to finish a conflicted rebase. */
export function conflictPrompt(conflicts: readonly string[], onto: string): string {
  const list = conflicts.map((c) => `- ${c}`).join('\n');
  return (
    `A rebase of this branch onto ${onto} stopped with merge conflicts in these files:\n${list}\n\n` +
    'Resolve the conflicts in each file (keep both sides\' intent), `git add` them, and run ' +
    '`git rebase --continue` until the rebase is complete. Do not abort the rebase.'
  );
}

/** The PR badge's text and style. */
export function prBadge(pr: PullRequest): { text: string; tone: 'open' | 'merged' | 'closed' | 'failing' | 'pending' } {
  const checks = pr.checks === null ? '' : `, checks ${pr.checks}`;
  const text = `PR #${pr.number} ${pr.state}${checks}`;
  if (pr.state === 'merged' || pr.state === 'closed') return { text, tone: pr.state };
  if (pr.checks === 'failing') return { text, tone: 'failing' };
  if (pr.checks === 'pending') return { text, tone: 'pending' };
  return { text, tone: 'open' };
}

/** Plain words for the branch's position against its target. */
export function positionText(state: GitState): string {
  const parts = [`${state.ahead} ahead`, `${state.behind} behind ${state.target}`];
  if (state.uncommitted.length > 0) parts.push(`${state.uncommitted.length} uncommitted`);
  if (state.upstream) parts.push(state.unpushed > 0 ? `${state.unpushed} unpushed` : `pushed to ${state.upstream}`);
  return parts.join(' · ');
}
