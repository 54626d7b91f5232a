// Editing a column's automation: when a card enters the column, run a script in its worktree (its output is
// stored and shown like a run's) or start an agent with a prompt template; a WIP limit queues the starts.
import { useState } from 'react';
import { errorMessage } from '../../api/client';
import { deleteAutomation, putAutomation } from '../../api/automation';
import type { Automation, TaskStatus } from '../../api/generated/types';
import { Modal } from '../../components/Modal';
import { STATUS_LABELS } from '../board/logic';
import { useAgents } from '../runs/useTaskRuns';
import { useSaveShortcut } from '../shortcuts/useSaveShortcut';
import { formOf, toPut, type AutomationForm } from './automation';

type Props = {
  projectId: string;
  column: TaskStatus;
  current: Automation | null;
  onClose: () => void;
  onSaved: () => void;
};

export function AutomationDialog({ projectId, column, current, onClose, onSaved }: Props) {
  const { agents } = useAgents();
  const installed = (agents ?? []).filter((a) => a.installed && !a.problem);
  const [form, setForm] = useState<AutomationForm>(() => formOf(current, ''));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = (patch: Partial<AutomationForm>) => setForm((f) => ({ ...f, ...patch }));
  const agent = form.agent || installed[0]?.id || '';

  const save = async () => {
    const put = toPut({ ...form, agent });
    if ('error' in put) {
      setError(put.error);
      return;
    }
    setBusy(true);
    try {
      await putAutomation(projectId, column, put.body);
      onSaved();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    setBusy(true);
    try {
      await deleteAutomation(projectId, column);
      onSaved();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const onKeyDown = useSaveShortcut(() => void save());

  return (
    <Modal title={`When a card enters ${STATUS_LABELS[column]}`} onClose={onClose} className="automation-dialog" testId="automation-dialog" onKeyDown={onKeyDown}>
      <form
        className="form"
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <fieldset className="radio-row">
          <legend>Do</legend>
          <label>
            <input type="radio" name="action" checked={form.action === 'script'} onChange={() => set({ action: 'script' })} /> Run a script in the
            task’s worktree
          </label>
          <label>
            <input type="radio" name="action" checked={form.action === 'agent'} onChange={() => set({ action: 'agent' })} /> Start an agent
          </label>
        </fieldset>
        {form.action === 'script' ? (
          <label>
            Script (<code>/bin/sh -c</code>; exit 0 is success)
            <textarea
              data-testid="automation-script"
              rows={4}
              value={form.script}
              placeholder="npm test"
              onChange={(e) => set({ script: e.target.value })}
              data-autofocus
            />
          </label>
        ) : (
          <>
            <label>
              Agent
              <select value={agent} onChange={(e) => set({ agent: e.target.value })}>
                {installed.map((a) => (
                  <option key={a.id} value={a.id}>
                    {a.name}
                  </option>
                ))}
              </select>
            </label>
            <label>
              Prompt (<code>{'{title}'}</code>, <code>{'{description}'}</code> and <code>{'{branch}'}</code> are filled in)
              <textarea rows={4} value={form.prompt} onChange={(e) => set({ prompt: e.target.value })} />
            </label>
          </>
        )}
        <div className="form-row">
          {form.action === 'script' && (
            <label>
              Timeout (s)
              <input type="number" min={1} max={86400} value={form.timeoutSecs} onChange={(e) => set({ timeoutSecs: e.target.value })} />
            </label>
          )}
          <label>
            WIP limit (at once; empty: none)
            <input type="number" min={1} max={100} data-testid="automation-wip" value={form.wipLimit} onChange={(e) => set({ wipLimit: e.target.value })} />
          </label>
          <label className="checkbox">
            <input type="checkbox" checked={form.paused} onChange={(e) => set({ paused: e.target.checked })} /> Paused
          </label>
        </div>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="form-actions">
          {current && (
            <button type="button" className="button button-danger" onClick={() => void remove()} disabled={busy}>
              Remove
            </button>
          )}
          <span className="spacer" />
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button button-primary" disabled={busy} data-testid="automation-save" title="Save (Ctrl+Enter)">
            Save
          </button>
        </div>
      </form>
    </Modal>
  );
}
