import { useMemo } from 'react';
import { Modal } from '../../components/Modal';
import { AgentList } from './AgentList';
import { installedSummary, sortAgents } from './agents';
import { useSaveShortcut } from '../shortcuts/useSaveShortcut';
import { ProfileEditor } from './ProfileEditor';
import { SignOutEverywhere } from './SignOutEverywhere';
import { useAgents } from './useAgents';
import { useProfileEditor } from './useProfileEditor';
import { UpdatesSettings } from '../update/UpdatesSettings';

/**
 * Agents settings: what detection found for each agent profile, the editor for the user's agents.toml,
 * "Sign out everywhere", and Updates (version, channel, update URL, Check for updates).
 */
export function AgentsSettings({ onClose }: { onClose: () => void }) {
  const list = useAgents();
  const editor = useProfileEditor(list.replace);
  const sorted = useMemo(() => (list.agents ? sortAgents(list.agents) : null), [list.agents]);

  // Ctrl/Cmd+Enter (and, as before, Ctrl/Cmd+S: never the browser's "save page") anywhere in the dialog saves the file.
  const onKeyDown = useSaveShortcut<HTMLDivElement>(editor.save, { alsoCtrlS: true });

  return (
    <Modal title="Agents" onClose={onClose} className="agents-dialog" testId="agents-settings" onKeyDown={onKeyDown}>
      <section className="agents-section" aria-label="Detected agents">
        <div className="agents-toolbar">
          <span className="field-label">Detected agents</span>
          {sorted && <span className="muted small">{installedSummary(sorted)}</span>}
          <span className="spacer" />
          <button
            type="button"
            className="button"
            data-testid="agents-redetect"
            onClick={list.redetect}
            disabled={list.detecting}
            title="Re-read your login-shell PATH and run each agent's --version"
          >
            {list.detecting && <span className="spinner" aria-hidden="true" />}
            {list.detecting ? 'Detecting…' : 'Re-detect'}
          </button>
        </div>
        {list.detecting && (
          <p className="muted small" role="status">
            Re-reading your login-shell PATH and asking each agent for its version…
          </p>
        )}
        {list.error && (
          <div className="form-error" role="alert">
            <span>Cannot list the agents: {list.error}</span>
            <span>
              <button type="button" className="button" onClick={list.reload}>
                Retry
              </button>
            </span>
          </div>
        )}
        {!sorted && !list.error && <p className="muted">Loading agents…</p>}
        {sorted && <AgentList agents={sorted} busy={list.detecting} />}
      </section>
      <section className="agents-section">
        <ProfileEditor editor={editor} />
      </section>
      <section className="agents-section" aria-label="Sign-in">
        <SignOutEverywhere />
      </section>
      <section className="agents-section" aria-label="Updates">
        <UpdatesSettings />
      </section>
    </Modal>
  );
}
