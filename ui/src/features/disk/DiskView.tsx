// Disk usage: every worktree viban made with its size, task, state and age, what is uncommitted or unmerged, and
// whether it can go without losing work (and why not). One-click cleanup removes the safe ones after a confirm
// listing them; a single row can be removed too — forced only behind a confirm that says what will be lost.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { errorMessage } from '../../api/client';
import { Modal } from '../../components/Modal';
import { nextSort, safeToClean, sortWorktrees, totalBytes, whatIsLost, type SortDir, type SortKey, type WorktreeInfo } from './disk';
import { cleanupWorktrees, listWorktrees } from '../../api/worktrees';
import { humanAge, humanBytes } from '../../lib/format';

type Confirming = { kind: 'safe'; rows: WorktreeInfo[] } | { kind: 'one'; row: WorktreeInfo };

export function DiskView({ onClose }: { onClose: () => void }) {
  const [rows, setRows] = useState<WorktreeInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [sort, setSort] = useState<{ key: SortKey; dir: SortDir }>({ key: 'size', dir: 'desc' });
  const [confirming, setConfirming] = useState<Confirming | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setRows(await listWorktrees());
      setError(null);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);
  // Sizes still being measured: look again shortly.
  useEffect(() => {
    if (!rows?.some((r) => r.exists && !r.size_exact)) return;
    const t = setTimeout(() => void load(), 2000);
    return () => clearTimeout(t);
  }, [rows, load]);

  const shown = useMemo(() => sortWorktrees(rows ?? [], sort.key, sort.dir), [rows, sort]);
  const safe = useMemo(() => safeToClean(rows ?? []), [rows]);

  const run = async (paths: string[], force: boolean) => {
    setBusy(true);
    setError(null);
    try {
      const res = await cleanupWorktrees(force ? { paths, force } : { paths });
      const kept = res.skipped.map((s) => `${s.path}: ${s.why}`);
      setNotice(`Removed ${res.removed.length} worktree(s).${kept.length ? ` Kept: ${kept.join('; ')}` : ''}`);
      setConfirming(null);
      await load();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const arrow = (key: SortKey) => (sort.key === key ? (sort.dir === 'asc' ? ' ▲' : ' ▼') : '');

  return (
    <Modal title="Disk usage — worktrees" onClose={onClose} className="disk-dialog" testId="disk-view">
      <div className="land-bar">
        <span className="small" data-testid="disk-total">
          {rows ? `${shown.length} worktree(s), ${humanBytes(totalBytes(shown))}` : 'Measuring…'}
        </span>
        <span className="spacer" />
        <button
          type="button"
          className="button button-small button-primary"
          data-testid="disk-clean-safe"
          disabled={busy || safe.length === 0}
          onClick={() => setConfirming({ kind: 'safe', rows: safe })}
        >
          Clean up {safe.length} safe ({humanBytes(totalBytes(safe))})
        </button>
        <button type="button" className="button button-small" onClick={() => void load()} disabled={busy}>
          Refresh
        </button>
      </div>
      {notice && <p className="small land-notice" role="status" data-testid="disk-notice">{notice}</p>}
      {error && <p className="form-error" role="alert" data-testid="disk-error">{error}</p>}
      {confirming?.kind === 'safe' && (
        <div className="land-dialog" role="group" aria-label="Clean up" data-testid="disk-confirm">
          <p className="small">Remove these {confirming.rows.length} worktree folder(s)? Nothing in them is uncommitted or unmerged-and-unpushed; their branches stay.</p>
          <ul className="small" data-testid="disk-confirm-list">
            {confirming.rows.map((r) => (
              <li key={r.path}>
                <code>{r.path}</code> — {r.task_title} ({humanBytes(r.size_bytes)})
              </li>
            ))}
          </ul>
          <div className="land-dialog-actions">
            <button type="button" className="button button-small button-danger" data-testid="disk-confirm-run" disabled={busy} onClick={() => void run(confirming.rows.map((r) => r.path), false)}>
              {busy ? 'Removing…' : 'Remove'}
            </button>
            <button type="button" className="button button-small" onClick={() => setConfirming(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {confirming?.kind === 'one' && (
        <div className="land-dialog" role="group" aria-label="Remove worktree" data-testid="disk-confirm">
          <p className="small">
            Remove <code>{confirming.row.path}</code> ({confirming.row.task_title})?
          </p>
          {confirming.row.safe_to_remove ? (
            <p className="small muted">Nothing would be lost; the branch {confirming.row.branch} stays.</p>
          ) : (
            <div className="form-error small" data-testid="disk-force-warning">
              <strong>This is a forced removal. It loses:</strong>
              <ul>
                {whatIsLost(confirming.row).map((l) => (
                  <li key={l}>{l}</li>
                ))}
              </ul>
            </div>
          )}
          <div className="land-dialog-actions">
            <button
              type="button"
              className="button button-small button-danger"
              data-testid="disk-confirm-run"
              disabled={busy || confirming.row.active}
              onClick={() => void run([confirming.row.path], !confirming.row.safe_to_remove)}
            >
              {confirming.row.safe_to_remove ? 'Remove' : 'Remove anyway and lose this'}
            </button>
            <button type="button" className="button button-small" onClick={() => setConfirming(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
      {rows && shown.length === 0 && <p className="muted small">No worktrees on disk.</p>}
      {shown.length > 0 && (
        <div className="disk-table-wrap">
          <table className="disk-table" data-testid="disk-table">
            <thead>
              <tr>
                <th>Task</th>
                <th>
                  <button type="button" className="link-button" data-testid="disk-sort-size" onClick={() => setSort((s) => nextSort(s, 'size'))}>
                    Size{arrow('size')}
                  </button>
                </th>
                <th>State</th>
                <th>
                  <button type="button" className="link-button" data-testid="disk-sort-age" onClick={() => setSort((s) => nextSort(s, 'age'))}>
                    Age{arrow('age')}
                  </button>
                </th>
                <th>Work</th>
                <th>Safe to remove</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {shown.map((r) => (
                <tr key={r.path} data-testid="disk-row" data-path={r.path} data-safe={r.safe_to_remove}>
                  <td>
                    <div>{r.task_title}</div>
                    <div className="muted small" title={r.path}>
                      {r.project_name} · <code>{r.branch}</code>
                    </div>
                  </td>
                  <td data-testid="disk-size" title={`${r.size_bytes.toLocaleString('en')} bytes`}>
                    {r.size_exact ? '' : '≥ '}
                    {humanBytes(r.size_bytes)}
                  </td>
                  <td className="small">{r.active ? 'agent running' : r.task_status.replace('_', ' ')}</td>
                  <td className="small">{humanAge(r.age_secs)}</td>
                  <td className="small">
                    {r.uncommitted > 0 && <span className="comment-tag" title="Uncommitted changes">{r.uncommitted} uncommitted</span>}{' '}
                    {r.unmerged_commits > 0 && (
                      <span className="comment-tag" title={`Commits not in ${r.target}`}>
                        {r.unmerged_commits} unmerged{r.pushed ? ' (pushed)' : ''}
                      </span>
                    )}
                    {r.uncommitted === 0 && r.unmerged_commits === 0 && <span className="muted">clean</span>}
                  </td>
                  <td className="small" data-testid="disk-safe">
                    {r.safe_to_remove ? 'yes' : <span className="form-error">no — {r.why_not ?? 'unknown'}</span>}
                  </td>
                  <td>
                    <button type="button" className="button button-small" data-testid="disk-remove" disabled={busy || r.active} title={r.active ? 'An agent is running in it.' : undefined} onClick={() => setConfirming({ kind: 'one', row: r })}>
                      Remove…
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </Modal>
  );
}
