// What a task waits for (its blockers: it cannot start until they are Done), what waits for it, and an agent to
// start on it once the last blocker is Done.
import { useEffect, useState, type FormEvent } from 'react';
import type { AgentInfo, Task, TaskDependencies } from '../../api/generated/types';
import { errorMessage } from '../../api/client';
import { getBoard } from '../../api/projects';
import { addDependency, clearAutoStart, removeDependency, setAutoStart } from '../../api/tasks';
import { STATUS_LABELS } from '../board/logic';
import { shortId } from '../../lib/format';
import { blockerChoices } from './dependencies';

type Props = {
  task: Task;
  deps: TaskDependencies | null;
  agents: AgentInfo[] | null;
  onChange: (deps: TaskDependencies) => void;
};

export function Dependencies({ task, deps, agents, onChange }: Props) {
  const [board, setBoard] = useState<Task[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [agent, setAgent] = useState('');
  const [prompt, setPrompt] = useState('');

  useEffect(() => {
    let alive = true;
    getBoard(task.project_id)
      .then((b) => alive && setBoard(b.columns.flatMap((c) => c.tasks)))
      .catch(() => alive && setBoard([]));
    return () => {
      alive = false;
    };
  }, [task.project_id, deps]);

  useEffect(() => {
    setAgent(deps?.auto_start?.agent ?? '');
    setPrompt(deps?.auto_start?.prompt ?? task.title);
  }, [deps?.auto_start, task.title]);

  const act = async (call: () => Promise<TaskDependencies>) => {
    setError(null);
    try {
      onChange(await call());
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  const saveAutoStart = (e: FormEvent) => {
    e.preventDefault();
    if (!agent) {
      setError('Pick the agent to start.');
      return;
    }
    void act(() => setAutoStart(task.id, agent, prompt));
  };

  const choices = blockerChoices(task, board, deps);
  const blockers = deps?.blockers ?? [];
  const dependents = deps?.dependents ?? [];
  const auto = deps?.auto_start ?? null;
  return (
    <section className="dependencies" aria-label="Dependencies" data-testid="task-dependencies">
      <h4>Waits for</h4>
      {blockers.length === 0 && <p className="muted small">Nothing: it can start any time.</p>}
      <ul className="dependency-list">
        {blockers.map((b) => (
          <li key={b.id} data-testid="task-blocker" data-status={b.status}>
            <span className="card-id">#{shortId(b.id)}</span> {b.title}{' '}
            <span className={`dependency-status dependency-${b.status}`}>{STATUS_LABELS[b.status]}</span>
            <button
              type="button"
              className="link-button"
              aria-label={`Stop waiting for ${b.title}`}
              onClick={() => void act(() => removeDependency(task.id, b.id))}
            >
              remove
            </button>
          </li>
        ))}
      </ul>
      <select
        data-testid="task-add-blocker"
        value=""
        onChange={(e) => e.target.value && void act(() => addDependency(task.id, e.target.value))}
        aria-label="Add a task this one waits for"
      >
        <option value="">Wait for another task…</option>
        {choices.map((t) => (
          <option key={t.id} value={t.id}>
            #{shortId(t.id)} {t.title}
          </option>
        ))}
      </select>
      {dependents.length > 0 && (
        <p className="muted small" data-testid="task-dependents">
          Waited for by {dependents.map((d) => `#${shortId(d.id)} ${d.title}`).join(', ')}.
        </p>
      )}
      {blockers.length > 0 && (
        <form className="auto-start" onSubmit={saveAutoStart} data-testid="task-auto-start">
          <span className="field-label">When they are all Done, start</span>
          <select value={agent} onChange={(e) => setAgent(e.target.value)} aria-label="Agent to start" data-testid="auto-start-agent">
            <option value="">no agent</option>
            {(agents ?? []).map((a) => (
              <option key={a.id} value={a.id} disabled={!a.installed}>
                {a.name}
              </option>
            ))}
          </select>
          <input value={prompt} onChange={(e) => setPrompt(e.target.value)} aria-label="Prompt" placeholder="Prompt" />
          <button type="submit" className="button" data-testid="auto-start-save">
            Save
          </button>
          {auto && (
            <button type="button" className="link-button" onClick={() => void act(() => clearAutoStart(task.id))}>
              remove
            </button>
          )}
          {auto?.fired_at && <span className="muted small" data-testid="auto-start-fired">started once already</span>}
        </form>
      )}
      {error && (
        <div className="form-error" role="alert" data-testid="dependency-error">
          {error}
        </div>
      )}
    </section>
  );
}
