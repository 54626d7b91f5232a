// The agents routes of docs/api-contract.md ("Agents and runs").
import type { AgentConfig, AgentInfo } from '../../api/generated/types';
import { request } from '../../api/client';

export const agentsApi = {
  /** `refresh` re-reads the login-shell PATH and re-runs every `--version` (can take seconds). */
  list: (refresh = false) => request<AgentInfo[]>('GET', refresh ? '/api/agents?refresh=true' : '/api/agents'),
  getConfig: () => request<AgentConfig>('GET', '/api/agents/config'),
  /** Writes the user's agents.toml; 422 `invalid_profile` (nothing written) when it does not parse. */
  saveConfig: (text: string) => request<AgentInfo[]>('PUT', '/api/agents/config', { text } satisfies Pick<AgentConfig, 'text'>),
};
