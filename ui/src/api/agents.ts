// The agents routes of docs/api-contract.md ("Agents and runs").
import type { AgentConfig, AgentInfo } from './generated/types';
import { request } from './http';

export const agentsApi = {
  /** What the last detection found. */
  list: () => request<AgentInfo[]>('GET', '/api/agents'),
  /** Re-reads the login-shell PATH and re-runs every `--version` (can take seconds); answers like `list`. */
  detect: () => request<AgentInfo[]>('POST', '/api/agents/detect'),
  getConfig: () => request<AgentConfig>('GET', '/api/agents/config'),
  /** Writes the user's agents.toml; 422 `invalid_profile` (nothing written) when it does not parse. */
  saveConfig: (text: string) => request<AgentInfo[]>('PUT', '/api/agents/config', { text } satisfies Pick<AgentConfig, 'text'>),
};

/** Every agent profile with what detection found (installed, version, install hint, problem). */
export const listAgents = agentsApi.list;
