// Pure rules for the editor and shell buttons (openLogic.test.ts).
import type { Run } from '../../api/generated/types';

/** A shell the user opened, not an agent run. */
export function isShell(run: Pick<Run, 'kind'>): boolean {
  return run.kind === 'shell';
}

/** An agent's run: not a shell, nor a column automation's script (those never have review or follow-ups). */
export function isAgentRun(run: Pick<Run, 'kind'>): boolean {
  return run.kind === 'agent';
}

/** What a run's row and terminal are called: shells and automation scripts say so, agents show their name. */
export function runLabel(run: Pick<Run, 'kind' | 'agent'>, agentName: string): string {
  if (run.kind === 'script') return 'automation script';
  return isShell(run) ? 'shell' : agentName;
}

/**
 * The worktree actions apply while the worktree exists: not for a run still waiting for its worktree to be used
 * (queued), nor once it was removed.
 */
export function canOpen(run: Pick<Run, 'status' | 'worktree_path'>, removed: ReadonlySet<string>): boolean {
  return run.status !== 'queued' && !removed.has(run.worktree_path);
}

/** The terminal size a new shell starts with: the run's own, so the shell fits the same terminal pane. */
export function shellSize(run: Pick<Run, 'cols' | 'rows'>): { cols: number; rows: number } {
  return { cols: Math.min(500, Math.max(20, run.cols)), rows: Math.min(300, Math.max(5, run.rows)) };
}
