// Column automation (pure part): the editor's form, what it sends, and what the column header says.
import type { Automation, AutomationAction, PutAutomation } from '../../api/generated/types';

export type AutomationForm = {
  action: AutomationAction;
  script: string;
  agent: string;
  prompt: string;
  timeoutSecs: string;
  wipLimit: string;
  paused: boolean;
};

export const DEFAULT_PROMPT = 'Work on "{title}" (branch {branch}).\n\n{description}';

export function formOf(a: Automation | null, firstAgent: string): AutomationForm {
  if (!a) {
    return { action: 'script', script: '', agent: firstAgent, prompt: DEFAULT_PROMPT, timeoutSecs: '600', wipLimit: '', paused: false };
  }
  return {
    action: a.action,
    script: a.script,
    agent: a.agent || firstAgent,
    prompt: a.prompt,
    timeoutSecs: String(a.timeout_secs),
    wipLimit: a.wip_limit === null ? '' : String(a.wip_limit),
    paused: a.paused,
  };
}

/** The PUT body, or the first thing wrong with the form. */
export function toPut(f: AutomationForm): { body: PutAutomation } | { error: string } {
  const timeout = Number(f.timeoutSecs.trim());
  if (!Number.isInteger(timeout) || timeout < 1 || timeout > 86400) return { error: 'The timeout is a whole number of seconds, 1 to 86400.' };
  const wip = f.wipLimit.trim();
  const wipLimit = wip === '' ? undefined : Number(wip);
  if (wipLimit !== undefined && (!Number.isInteger(wipLimit) || wipLimit < 1 || wipLimit > 100)) {
    return { error: 'The WIP limit is empty (none) or a whole number, 1 to 100.' };
  }
  if (f.action === 'script' && !f.script.trim()) return { error: 'Write the script to run.' };
  if (f.action === 'agent' && !f.agent) return { error: 'Choose the agent to start.' };
  const body: PutAutomation = { action: f.action, timeout_secs: timeout, paused: f.paused };
  if (wipLimit !== undefined) body.wip_limit = wipLimit;
  if (f.action === 'script') body.script = f.script;
  else {
    body.agent = f.agent;
    body.prompt = f.prompt;
  }
  return { body };
}

/** The body that flips `paused` and keeps the rest. */
export function pausedPut(a: Automation, paused: boolean): PutAutomation {
  const body: PutAutomation = { action: a.action, timeout_secs: a.timeout_secs, paused };
  if (a.wip_limit !== null) body.wip_limit = a.wip_limit;
  if (a.action === 'script') body.script = a.script;
  else {
    body.agent = a.agent;
    body.prompt = a.prompt;
  }
  return body;
}

/** The column header's words: what it does, its limit and what is under way. */
export function headerSummary(a: Automation, agentName: (id: string) => string): string {
  const what = a.action === 'script' ? 'Script' : `Start ${agentName(a.agent)}`;
  const parts = [a.paused ? `${what} (paused)` : what];
  if (a.wip_limit !== null) parts.push(`WIP ${a.running}/${a.wip_limit}`);
  else if (a.running > 0) parts.push(`${a.running} running`);
  if (a.pending > 0) parts.push(`${a.pending} waiting`);
  return parts.join(' · ');
}
