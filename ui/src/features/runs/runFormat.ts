// Pure helpers for the runs panel: run order, which runs offer a follow-up, what the start form prefills.
// How runs read (active, durations, exit codes) is in the shared lib/format.ts.
import type { AgentInfo, Run, Task } from '../../api/generated/types';

/** The start form's prompt: the task's title, then its description. */
export function initialPrompt(task: Pick<Task, 'title' | 'description'>): string {
  const description = task.description.trim();
  return description ? `${task.title.trim()}\n\n${description}` : task.title.trim();
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
    if (run.kind !== 'agent' || seen.has(run.worktree_path)) continue;
    seen.add(run.worktree_path);
    latest.add(run.id);
  }
  return latest;
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

// Moved to the shared formatting module; re-exported for the features that still import them from here.
export { exitLabel, formatDuration, isActive, runDurationMs } from '../../lib/format';
