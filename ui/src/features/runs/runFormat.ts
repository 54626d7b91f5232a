// Pure helpers for showing runs: which are active, how long they took, what the start form prefills. Shared by
// the runs panel and the board's cards (features/board/runs.ts), so both read the same.
import type { AgentInfo, Run, RunStatus, Task } from '../../api/generated/types';

const ACTIVE: readonly RunStatus[] = ['queued', 'starting', 'running'];

/** queued, starting and running runs can still produce output and be stopped. */
export function isActive(status: RunStatus): boolean {
  return ACTIVE.includes(status);
}

/** The start form's prompt: the task's title, then its description. */
export function initialPrompt(task: Pick<Task, 'title' | 'description'>): string {
  const description = task.description.trim();
  return description ? `${task.title.trim()}\n\n${description}` : task.title.trim();
}

/** Milliseconds the run has been going (until `now` while active), or null before it started. */
export function runDurationMs(run: Pick<Run, 'started_at' | 'finished_at'>, now: number): number | null {
  if (!run.started_at) return null;
  const start = Date.parse(run.started_at);
  const end = run.finished_at ? Date.parse(run.finished_at) : now;
  if (Number.isNaN(start) || Number.isNaN(end)) return null;
  return Math.max(0, end - start);
}

/** "4s", "2m 05s", "1h 02m". Negative or non-finite values read as 0s. */
export function formatDuration(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.floor(ms / 1000) : 0;
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m ${String(seconds).padStart(2, '0')}s`;
  return `${seconds}s`;
}

/** Newest first (the server's order), so a locally added run lands where a refetch would put it. */
export function sortNewestFirst(runs: readonly Run[]): Run[] {
  return [...runs].sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0));
}

/** Replaces the run with the same id, or adds it; keeps newest first. */
export function upsertRun(runs: readonly Run[], run: Run): Run[] {
  return sortNewestFirst([run, ...runs.filter((r) => r.id !== run.id)]);
}

/**
 * Ids of the agent runs that are the newest in their worktree: only those offer a follow-up or removing the
 * worktree (an older run's worktree has moved on since). Shells are never followed up and do not count.
 */
export function latestPerWorktree(runs: readonly Run[]): Set<string> {
  const seen = new Set<string>();
  const latest = new Set<string>();
  for (const run of sortNewestFirst(runs)) {
    if (run.kind === 'shell' || seen.has(run.worktree_path)) continue;
    seen.add(run.worktree_path);
    latest.add(run.id);
  }
  return latest;
}

/** "exit 0", "exit 130", or "" when there is no code (still running, killed by a signal, never started). */
export function exitLabel(code: number | null): string {
  return code === null ? '' : `exit ${code}`;
}

/** Agents that can run now, in the server's order. */
export function installedAgents(agents: readonly AgentInfo[]): AgentInfo[] {
  return agents.filter((a) => a.installed);
}

/** The agent the start form shows: the one picked if it can run, else the last one used, else the first that can. */
export function pickAgent(agents: readonly AgentInfo[], picked: string | null, lastUsed: string | null): string {
  const usable = installedAgents(agents);
  for (const id of [picked, lastUsed]) if (id && usable.some((a) => a.id === id)) return id;
  return usable[0]?.id ?? '';
}

/** Why an agent cannot run and how to fix it, in one line. */
export function agentHint(agent: AgentInfo): string {
  const why = agent.problem ?? 'Not installed';
  return agent.install_hint ? `${why} — ${agent.install_hint}` : why;
}
