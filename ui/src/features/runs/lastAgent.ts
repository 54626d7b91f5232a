// The agent last started from this browser (localStorage): the start form preselects it and the board's `s` key
// (features/keyboard) starts it.
const LAST_AGENT_KEY = 'viban.lastAgent';

export function lastUsedAgent(): string | null {
  try {
    return localStorage.getItem(LAST_AGENT_KEY);
  } catch {
    return null;
  }
}

export function rememberAgent(id: string): void {
  try {
    localStorage.setItem(LAST_AGENT_KEY, id);
  } catch {
    // Storage can be unavailable (private mode); the form then starts from the first installed agent.
  }
}
