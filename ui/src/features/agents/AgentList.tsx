import { memo } from 'react';
import type { AgentInfo } from '../../api/generated/types';
import { installStatus, onlyNotInstalled } from './agents';

/** The detected agents, one row each (already sorted by the caller). */
export function AgentList({ agents, busy }: { agents: readonly AgentInfo[]; busy: boolean }) {
  if (agents.length === 0) return <p className="muted">No agents are configured.</p>;
  return (
    <ul className="agent-list" aria-busy={busy} data-testid="agent-list">
      {agents.map((agent) => (
        <AgentRow key={agent.id} agent={agent} />
      ))}
    </ul>
  );
}

const AgentRow = memo(function AgentRow({ agent }: { agent: AgentInfo }) {
  return (
    <li className={`agent-row ${agent.installed ? 'agent-installed' : 'agent-missing'}`} data-testid="agent-row" data-agent-id={agent.id} data-installed={agent.installed}>
      <div className="agent-heading">
        <span className="agent-name">{agent.name}</span>
        <code className="agent-id">{agent.id}</code>
        {!agent.builtin && <span className="agent-tag">custom profile</span>}
        <span className="agent-status" data-testid="agent-installed">
          {installStatus(agent)}
        </span>
      </div>
      <dl className="agent-details">
        {agent.path && (
          <>
            <dt>Path</dt>
            <dd>
              <code>{agent.path}</code>
            </dd>
          </>
        )}
        <dt>Runs</dt>
        <dd>
          <code>{agent.command_line}</code>
        </dd>
        {!agent.installed && agent.install_hint && (
          <>
            <dt>Install</dt>
            <dd>
              <code className="agent-install-hint">{agent.install_hint}</code>
            </dd>
          </>
        )}
      </dl>
      {agent.problem && (
        // A built-in agent that is simply not installed is an option, not an error: said quietly.
        <p className={onlyNotInstalled(agent) ? 'agent-available muted small' : 'agent-problem'} data-testid="agent-problem">
          {onlyNotInstalled(agent) ? 'Available to install (not found on your login shell’s PATH).' : agent.problem}
        </p>
      )}
    </li>
  );
});
