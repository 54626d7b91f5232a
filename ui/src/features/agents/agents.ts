// Agents settings (pure part): list order, wording, and where a TOML error points.
import type { AgentInfo } from '../../api/generated/types';

/** Installed agents first (they are the ones you can pick), then by name; ties by id so the order is stable. */
export function sortAgents(agents: readonly AgentInfo[]): AgentInfo[] {
  return [...agents].sort(
    (a, b) =>
      Number(b.installed) - Number(a.installed) ||
      a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) ||
      a.id.localeCompare(b.id),
  );
}

/** "3 of 9 installed". */
export function installedSummary(agents: readonly AgentInfo[]): string {
  const installed = agents.filter((a) => a.installed).length;
  return `${installed} of ${agents.length} installed`;
}

/** The status line under an agent's name: "Installed · 1.2.3", "Installed", or "Not installed". */
export function installStatus(agent: AgentInfo): string {
  if (!agent.installed) return 'Not installed';
  const version = agent.version?.trim();
  return version ? `Installed · ${version}` : 'Installed';
}

/**
 * A built-in agent whose only problem is that its CLI is not on the PATH: one the user may install, not an error.
 * A custom profile whose command is missing, or any other problem (a bad profile), stays an error.
 */
export function onlyNotInstalled(agent: AgentInfo): boolean {
  return agent.builtin && !agent.installed && agent.path === null && (agent.problem ?? '').includes('was not found on');
}

/** `line N, column M` (1-based) found in a TOML error message, or null. */
export function errorPosition(message: string): { line: number; column: number } | null {
  const m = /line (\d+), column (\d+)/i.exec(message);
  if (!m?.[1] || !m[2]) return null;
  return { line: Number(m[1]), column: Number(m[2]) };
}

/** Character offset of a 1-based line and column in `text`, clamped to the text (to put the caret there). */
export function offsetOf(text: string, line: number, column: number): number {
  const lines = text.split('\n');
  const lineIndex = Math.min(Math.max(line, 1), lines.length) - 1;
  let offset = 0;
  for (let i = 0; i < lineIndex; i++) offset += (lines[i] ?? '').length + 1;
  const lineLength = (lines[lineIndex] ?? '').length;
  return offset + Math.min(Math.max(column - 1, 0), lineLength);
}

/** What the agents file may contain, shown next to the editor. */
export const PROFILE_FORMAT_HELP = `[runs]                     # optional
max_concurrent = 4         # runs at once, all projects
max_per_project = 2
idle_notify_secs = 60      # notify when an agent printed nothing this long

[agents.myagent]           # a new id adds an agent; a built-in id
                           # (claude, codex, gemini, aider, opencode, amp,
                           #  qwen, cursor, custom) overrides it
name = "My agent"
command = "my-agent"       # looked up on your login-shell PATH, or an absolute path
args = ["--yes", "{prompt}"]
follow_up_args = ["--continue", "{prompt}"]
env = { MY_VAR = "1" }
# or: command_line = "bash -c 'run {prompt}'"
#   (split like a shell would, never run through one unless shell = true)`;
