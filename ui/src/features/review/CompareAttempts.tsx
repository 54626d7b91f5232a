// Compare attempts: a task's attempts (one per worktree) side by side — agent, status, duration, files changed,
// +/− — the union of their files, and the selected file from each attempt next to each other. **Pick this one**
// merges that attempt (showing the server's merge command first; uncommitted work is committed first only when
// the user ticks it) and then offers to remove the other attempts' worktrees.
import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Task } from '../../api/generated/types';
import { ApiError, errorMessage } from '../../api/client';
import { Modal } from '../../components/Modal';
import { listTaskRuns, removeWorktree } from '../../api/runs';
import { commit, getDiff, getGitState, merge } from '../../api/review';
import { fileMatrix, groupAttempts, othersToClean, type Attempt } from './compare';
import { DiffPane } from './DiffPane';
import { DiffsPool } from './DiffsPool';
import { defaultCommitMessage } from './logic';
import type { GitState } from './types';
import { formatDuration } from '../../lib/format';

type Props = { task: Pick<Task, 'id' | 'title'>; onClose: () => void };

/** A worktree to remove: not yet, removed, or kept (and why). */
type Cleanup = { runId: string; branch: string; result: 'pending' | 'removed' | { kept: string } };

export function CompareAttempts({ task, onClose }: Props) {
  const [attempts, setAttempts] = useState<Attempt[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [picking, setPicking] = useState<{ attempt: Attempt; state: GitState | null; error: string | null } | null>(null);
  const [commitFirst, setCommitFirst] = useState(true);
  const [busy, setBusy] = useState(false);
  const [merged, setMerged] = useState<Attempt | null>(null);
  const [cleanup, setCleanup] = useState<Cleanup[] | null>(null);

  const load = useCallback(async () => {
    try {
      const runs = await listTaskRuns(task.id);
      const groups = groupAttempts(runs, Date.now());
      const withDiffs = await Promise.all(
        groups.map(async (g): Promise<Attempt> => {
          try {
            return { ...g, diff: await getDiff(g.run.id), error: null };
          } catch (e) {
            return { ...g, diff: null, error: errorMessage(e) };
          }
        }),
      );
      setAttempts(withDiffs);
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [task.id]);

  useEffect(() => {
    void load();
  }, [load]);

  const matrix = useMemo(() => fileMatrix((attempts ?? []).map((a) => a.diff)), [attempts]);
  const selectedRow = matrix.find((r) => r.path === selected) ?? matrix[0] ?? null;

  const startPick = async (attempt: Attempt) => {
    setPicking({ attempt, state: null, error: null });
    try {
      const state = await getGitState(attempt.run.id);
      setPicking({ attempt, state, error: null });
      setCommitFirst(state.uncommitted.length > 0);
    } catch (e) {
      setPicking({ attempt, state: null, error: errorMessage(e) });
    }
  };

  const runPick = async () => {
    if (!picking?.state || busy) return;
    const { attempt, state } = picking;
    setBusy(true);
    try {
      if (commitFirst && state.uncommitted.length > 0) await commit(attempt.run.id, { message: defaultCommitMessage(task.title) || 'Work by the agent' });
      await merge(attempt.run.id, { squash: false });
      // The server moves the task to Done; the board follows its change events.
      setMerged(attempt);
      setPicking(null);
      setCleanup(othersToClean(attempts ?? [], attempt.run.id).map((r) => ({ runId: r.id, branch: r.branch, result: 'pending' })));
    } catch (e) {
      setPicking({ attempt, state, error: e instanceof ApiError ? `${e.message || e.code} (${e.code})` : errorMessage(e) });
    } finally {
      setBusy(false);
    }
  };

  const cleanOthers = async () => {
    if (!cleanup || busy) return;
    setBusy(true);
    const results = await Promise.all(
      cleanup.map(async (c): Promise<Cleanup> => {
        if (c.result === 'removed') return c;
        try {
          await removeWorktree(c.runId);
          return { ...c, result: 'removed' };
        } catch (e) {
          const why = e instanceof ApiError && e.code === 'worktree_dirty' ? 'kept: it has uncommitted changes (remove it from Disk usage to force)' : `kept: ${errorMessage(e)}`;
          return { ...c, result: { kept: why } };
        }
      }),
    );
    setCleanup(results);
    setBusy(false);
  };

  return (
    <Modal title={`Compare attempts — ${task.title}`} onClose={onClose} className="compare-dialog" testId="compare-dialog">
      {error && <p className="form-error" role="alert">{error}</p>}
      {!attempts && !error && <p className="muted small">Loading the attempts…</p>}
      {attempts && attempts.length < 2 && <p className="muted small">This task has a single attempt. Start another agent to compare.</p>}
      {attempts && (
        <table className="compare-table" data-testid="compare-attempts">
          <thead>
            <tr>
              <th />
              {attempts.map((a) => (
                <th key={a.run.id} data-testid="compare-attempt" data-run-id={a.run.id}>
                  <span className="compare-agent">{a.agent}</span> <code className="small">{a.run.branch}</code>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            <tr>
              <th>Status</th>
              {attempts.map((a) => <td key={a.run.id}>{a.status}{a.runs > 1 ? ` (${a.runs} runs)` : ''}</td>)}
            </tr>
            <tr>
              <th>Duration</th>
              {attempts.map((a) => <td key={a.run.id}>{a.durationMs === null ? '—' : formatDuration(a.durationMs)}</td>)}
            </tr>
            <tr>
              <th>Files</th>
              {attempts.map((a) => (
                <td key={a.run.id} data-testid="compare-totals">
                  {a.diff ? (
                    <>
                      {a.diff.files.length} · <span className="diff-add">+{a.diff.additions}</span> <span className="diff-del">−{a.diff.deletions}</span>
                    </>
                  ) : (
                    <span className="form-error small">{a.error ?? '…'}</span>
                  )}
                </td>
              ))}
            </tr>
            <tr>
              <th />
              {attempts.map((a) => (
                <td key={a.run.id}>
                  <button
                    type="button"
                    className="button button-small button-primary"
                    data-testid="compare-pick"
                    disabled={busy || merged !== null || ['queued', 'starting', 'running'].includes(a.status)}
                    onClick={() => void startPick(a)}
                  >
                    Pick this one
                  </button>
                </td>
              ))}
            </tr>
            {matrix.map((row) => (
              <tr key={row.path} className={row.path === selectedRow?.path ? 'compare-row-selected' : undefined}>
                <th>
                  <button type="button" className="link-button" data-testid="compare-file" data-path={row.path} onClick={() => setSelected(row.path)}>
                    {row.path}
                  </button>
                </th>
                {row.cells.map((c, i) => (
                  <td key={attempts[i]!.run.id} className="small">
                    {c ? (
                      <>
                        <span className="diff-add">+{c.additions}</span> <span className="diff-del">−{c.deletions}</span>
                      </>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {picking && (
        <div className="land-dialog" role="group" aria-label="Pick this attempt" data-testid="compare-pick-confirm">
          <p className="small">
            Merge <code>{picking.attempt.run.branch}</code> ({picking.attempt.agent}) into {picking.state?.target ?? 'its target'}.
          </p>
          {picking.state && picking.state.uncommitted.length > 0 && (
            <label className="small">
              <input type="checkbox" checked={commitFirst} onChange={(e) => setCommitFirst(e.target.checked)} data-testid="compare-commit-first" /> First commit its{' '}
              {picking.state.uncommitted.length} uncommitted file(s): <code>{picking.state.commands.commit}</code>
            </label>
          )}
          <div className="land-command">
            <span className="muted small">Will run:</span>
            <pre data-testid="compare-merge-command">{picking.state ? picking.state.commands.merge : 'Loading…'}</pre>
          </div>
          {picking.error && <p className="form-error" role="alert" data-testid="compare-error">{picking.error}</p>}
          <div className="land-dialog-actions">
            <button type="button" className="button button-small button-primary" data-testid="compare-merge" disabled={busy || !picking.state} onClick={() => void runPick()}>
              {busy ? 'Merging…' : 'Merge'}
            </button>
            <button type="button" className="button button-small" onClick={() => setPicking(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {merged && (
        <div className="land-dialog" data-testid="compare-merged">
          <p className="small" role="status">
            Merged <code>{merged.run.branch}</code>. The task moves to Done.
          </p>
          {cleanup && cleanup.length > 0 && (
            <>
              <p className="small">Remove the other attempts' worktrees (their branches stay; uncommitted work is never removed here):</p>
              <ul className="small">
                {cleanup.map((c) => (
                  <li key={c.runId} data-testid="compare-cleanup-row">
                    <code>{c.branch}</code> — {c.result === 'pending' ? 'to remove' : c.result === 'removed' ? 'removed' : c.result.kept}
                  </li>
                ))}
              </ul>
              <button type="button" className="button button-small" data-testid="compare-cleanup" disabled={busy || cleanup.every((c) => c.result !== 'pending')} onClick={() => void cleanOthers()}>
                Remove the other worktrees
              </button>
            </>
          )}
        </div>
      )}
      {attempts && selectedRow && (
        <DiffsPool>
          <div className="compare-files" data-testid="compare-files">
            {attempts.map((a, i) => {
              const cell = selectedRow.cells[i];
              return (
                <div key={a.run.id} className="compare-file" data-testid="compare-file-pane" data-run-id={a.run.id}>
                  <p className="small">
                    <strong>{a.agent}</strong>
                  </p>
                  {cell ? (
                    <DiffPane runId={a.run.id} file={cell} version={0} diffStyle="unified" collapsed={false} onToggleCollapsed={() => undefined} />
                  ) : (
                    <p className="muted small">Not changed in this attempt.</p>
                  )}
                </div>
              );
            })}
          </div>
        </DiffsPool>
      )}
    </Modal>
  );
}
