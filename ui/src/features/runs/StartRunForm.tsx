// Starts an agent on the task: which agent, the prompt (prefilled from the task), and optionally the base.
import { useState, type FormEvent } from 'react';
import type { AgentInfo, Run, RuntimeKind, Task } from '../../api/generated/types';
import { errorMessage } from '../../api/client';
import { useSaveShortcut } from '../shortcuts/useSaveShortcut';
import { startRun } from '../../api/runs';
import { lastUsedAgent, rememberAgent } from './lastAgent';
import { agentHint, initialPrompt, installedAgents, pickAgent } from './runFormat';

const RUNTIME_WORDS: Record<RuntimeKind, string> = { local: 'here', container: 'container', kubernetes: 'Kubernetes' };

type Props = {
  task: Task;
  agents: AgentInfo[] | null;
  agentsError: string | null;
  onStarted: (run: Run) => void;
  /** Why the task cannot start now (it waits for other tasks), or null. */
  blocked?: string | null;
};

export function StartRunForm({ task, agents, agentsError, onStarted, blocked = null }: Props) {
  const [picked, setPicked] = useState<string | null>(null);
  const [prompt, setPrompt] = useState(() => initialPrompt(task));
  const [base, setBase] = useState('');
  // Where to run it; '' leaves it to the project's default, then the agent's profile (the server decides).
  const [where, setWhere] = useState<RuntimeKind | ''>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const agentId = agents ? pickAgent(agents, picked, lastUsedAgent()) : '';
  const unavailable = agents?.filter((a) => !a.installed) ?? [];
  const noneInstalled = agents !== null && installedAgents(agents).length === 0;
  const profileRuntime = agents?.find((a) => a.id === agentId)?.runtime ?? 'local';

  const start = async () => {
    if (busy) return;
    if (!agentId) {
      setError('Pick an installed agent first.');
      return;
    }
    if (!prompt.trim()) {
      setError('Write a prompt for the agent.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const trimmedBase = base.trim();
      const run = await startRun(task.id, {
        agent: agentId,
        prompt,
        ...(trimmedBase ? { base: trimmedBase } : {}),
        ...(where ? { runtime: where } : {}),
      });
      rememberAgent(agentId);
      onStarted(run);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void start();
  };

  // Ctrl/Cmd+Enter here starts the run; the task panel around it must not take it as "save the task".
  const onKeyDown = useSaveShortcut<HTMLFormElement>(() => void start(), { stopPropagation: true });

  return (
    <form className="form run-start" onSubmit={onSubmit} onKeyDown={onKeyDown} noValidate aria-label="Start an agent">
      <div className="run-start-row">
        <label className="field run-agent-field">
          <span>Agent</span>
          <select
            data-testid="run-agent-select"
            value={agentId}
            onChange={(e) => setPicked(e.target.value)}
            disabled={!agents || noneInstalled}
          >
            {!agents && <option value="">{agentsError ? 'Agents unavailable' : 'Loading agents…'}</option>}
            {noneInstalled && <option value="">No agent installed</option>}
            {agents?.map((a) => (
              <option key={a.id} value={a.id} disabled={!a.installed} title={a.installed ? (a.version ?? a.command_line) : agentHint(a)}>
                {a.installed ? a.name : `${a.name} (not installed)`}
              </option>
            ))}
          </select>
        </label>
        <label className="field run-runtime-field" title="Where the agent runs: here, with your files; in a container with limits (agents.toml [container]); or as a Job on your Kubernetes cluster (agents.toml [kubernetes]). Default: the project's setting, else the agent's profile.">
          <span>Runs</span>
          <select data-testid="run-runtime-select" value={where} onChange={(e) => setWhere(e.target.value as RuntimeKind | '')}>
            <option value="">default ({RUNTIME_WORDS[profileRuntime]})</option>
            <option value="local">on this machine</option>
            <option value="container">in a container</option>
            <option value="kubernetes">on Kubernetes</option>
          </select>
        </label>
        <label className="field run-base-field">
          <span>Base</span>
          <input
            data-testid="run-base"
            value={base}
            onChange={(e) => setBase(e.target.value)}
            placeholder="default branch"
            autoComplete="off"
            spellCheck={false}
          />
        </label>
      </div>
      {agentsError && <p className="muted small">Could not load the agents: {agentsError}</p>}
      {unavailable.length > 0 && (
        <details className="run-agent-hints" open={noneInstalled}>
          <summary className="muted small">
            {unavailable.length === 1 ? '1 agent is' : `${unavailable.length} agents are`} not available
          </summary>
          <ul data-testid="run-agent-hints">
            {unavailable.map((a) => (
              <li key={a.id} className="small">
                <strong>{a.name}</strong>: <span className="muted">{agentHint(a)}</span>
              </li>
            ))}
          </ul>
        </details>
      )}
      <label className="field">
        <span>Prompt</span>
        <textarea
          className="run-prompt"
          data-testid="run-prompt"
          value={prompt}
          onChange={(e) => setPrompt(e.target.value)}
          rows={4}
          placeholder="What should the agent do?"
        />
      </label>
      {error && (
        <div className="form-error" role="alert" data-testid="run-error">
          {error}
        </div>
      )}
      {blocked && (
        <p className="muted small" data-testid="run-blocked">
          {blocked}
        </p>
      )}
      <div className="form-actions">
        <span className="muted small">Runs in a new worktree and branch; the task moves to In Progress.</span>
        <span className="spacer" />
        <button
          type="submit"
          className="button button-primary"
          data-testid="run-start"
          disabled={busy || !agentId || Boolean(blocked)}
          title={blocked ?? 'Ctrl+Enter'}
        >
          {busy ? 'Starting…' : 'Start'}
        </button>
      </div>
    </form>
  );
}
