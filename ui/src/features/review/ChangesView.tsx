// The Changes view of a run: what its worktree holds against the merge-base with the target, as a virtualised file
// tree with +/− counts and the selected file's diff. Live: `run_files` frames of the change feed refresh the
// stats and reload only the open file when it is among the paths named.
import { memo, useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import { errorMessage } from '../../api/client';
import { saveFile } from '../../platform';
import { isTypingTarget } from '../shortcuts/shortcuts';
import { useLiveSubscription } from '../connection/useLiveEvents';
import { getDiff, patchFile } from '../../api/review';
import { DiffPane } from './DiffPane';
import { DiffsPool } from './DiffsPool';
import { NOTHING_PENDING, addEvent, buildRows, changeBadge, filesToReload, neighbour, sortFiles, totalsText, type Pending, type TreeRow } from './logic';
import type { RunDiff } from './types';
import type { Run } from '../../api/generated/types';
import { countComments, pendingComments, type CommentSide } from './comments';
import type { PaneComments } from './DiffPane';
import { SendToAgent } from './SendToAgent';
import { useComments } from './useComments';
import { shortId } from '../../lib/format';

/** Live frames arriving closer together than this cause one refresh (well within the 1 s the view promises). */
const LIVE_COALESCE_MS = 200;
const ROW_HEIGHT = 24;
const STYLE_KEY = 'viban.diffStyle';

type Props = {
  runId: string;
  /** Bumped by the land actions: the merge-base or the worktree may have moved. */
  reloadKey: number;
  /** A follow-up can start from this run (the newest of its worktree, not running): Send to agent is offered. */
  canFollowUp: boolean;
  onStarted: (run: Run) => void;
};

export function ChangesView({ runId, reloadKey, canFollowUp, onStarted }: Props) {
  const comments = useComments(runId);
  const [sending, setSending] = useState(false);
  const [diff, setDiff] = useState<RunDiff | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [collapsedDirs, setCollapsedDirs] = useState<ReadonlySet<string>>(() => new Set());
  const [fileCollapsed, setFileCollapsed] = useState(false);
  const [fileVersion, setFileVersion] = useState(0);
  const [diffStyle, setDiffStyle] = useState<'split' | 'unified'>(() =>
    localStorage.getItem(STYLE_KEY) === 'split' ? 'split' : 'unified',
  );
  const [downloading, setDownloading] = useState(false);
  const generation = useRef(0);

  /** Refetches the stats; `reloadOpen`: then reload the open file too (once the new list says it still exists). */
  const loadStats = useCallback(async (reloadOpen = false) => {
    const mine = ++generation.current;
    try {
      const d = await getDiff(runId);
      if (mine !== generation.current) return;
      setDiff(d);
      setError(null);
      if (reloadOpen) setFileVersion((v) => v + 1);
    } catch (e) {
      if (mine === generation.current) setError(errorMessage(e));
    }
  }, [runId]);

  useEffect(() => {
    void loadStats(reloadKey > 0);
  }, [loadStats, reloadKey]);

  const sorted = useMemo(() => sortFiles(diff?.files ?? []), [diff]);
  const rows = useMemo(() => buildRows(sorted, collapsedDirs), [sorted, collapsedDirs]);
  const selectedFile = sorted.find((f) => f.path === selected) ?? sorted[0] ?? null;

  // Live refresh: frames for this run are gathered and applied together a moment later.
  const pending = useRef<Pending>(NOTHING_PENDING);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const openRef = useRef(selectedFile);
  openRef.current = selectedFile;
  const flush = useCallback(() => {
    timer.current = null;
    const p = pending.current;
    pending.current = NOTHING_PENDING;
    const open = openRef.current;
    const reloadOpen = open !== null && filesToReload(p, [{ path: open.path, oldPath: open.old_path }]).length > 0;
    if (p.stats || reloadOpen) void loadStats(reloadOpen);
  }, [loadStats]);
  useEffect(
    () => () => {
      if (timer.current !== null) clearTimeout(timer.current);
    },
    [],
  );
  useLiveSubscription({
    onEvent: (event) => {
      // A change of the run itself (its changed-file count moved, its status): the stats may have changed.
      if (event.type === 'change' && event.table === 'run' && event.id === runId) {
        pending.current = { ...pending.current, stats: true };
        if (timer.current === null) timer.current = setTimeout(flush, LIVE_COALESCE_MS);
        return;
      }
      if (event.type !== 'run_files') return;
      const next = addEvent(pending.current, event, runId);
      if (next === pending.current) return;
      pending.current = next;
      if (timer.current === null) timer.current = setTimeout(flush, LIVE_COALESCE_MS);
    },
    onResync: () => {
      pending.current = { stats: true, all: true, paths: new Set() };
      if (timer.current === null) timer.current = setTimeout(flush, LIVE_COALESCE_MS);
    },
  });

  const toggleStyle = useCallback(() => {
    setDiffStyle((s) => {
      const next = s === 'split' ? 'unified' : 'split';
      localStorage.setItem(STYLE_KEY, next);
      return next;
    });
  }, []);

  const toggleDir = useCallback((path: string) => {
    setCollapsedDirs((s) => {
      const next = new Set(s);
      if (!next.delete(path)) next.add(path);
      return next;
    });
  }, []);

  const select = useCallback((path: string) => {
    setSelected(path);
    setFileCollapsed(false);
  }, []);

  const { create, update, remove } = comments;
  const openPath = selectedFile?.path ?? '';
  const review = useMemo<PaneComments>(
    () => ({
      comments: comments.comments,
      onCreate: (side: CommentSide, line: number, body: string) => create(openPath, side, line, body),
      onUpdate: update,
      onDelete: remove,
    }),
    [comments.comments, create, update, remove, openPath],
  );
  const counts = countComments(comments.comments);
  const toSend = pendingComments(comments.comments).length;

  const download = async () => {
    if (downloading) return;
    setDownloading(true);
    try {
      saveFile(await patchFile(runId), `viban-run-${shortId(runId)}.patch`);
    } catch (e) {
      setError(`Could not download the patch: ${errorMessage(e)}`);
    } finally {
      setDownloading(false);
    }
  };

  // Keys while focus is inside the view (not in a text field): j/k next/previous file, s split/unified,
  // x collapse/expand the file.
  const onKeyDown = (e: KeyboardEvent<HTMLElement>) => {
    if (isTypingTarget(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    const step = e.key === 'j' ? 1 : e.key === 'k' ? -1 : 0;
    if (step !== 0) {
      const next = neighbour(sorted, selectedFile?.path ?? null, step);
      if (next) select(next);
    } else if (e.key === 's') toggleStyle();
    else if (e.key === 'x') setFileCollapsed((c) => !c);
    else return;
    e.preventDefault();
  };

  return (
    <section className="changes" aria-label="Changes" data-testid="changes-view" onKeyDown={onKeyDown}>
      <div className="changes-bar">
        <span className="small" data-testid="changes-totals">
          {diff ? totalsText(diff.files.length, diff.additions, diff.deletions) : 'Loading changes…'}
        </span>
        {diff && (
          <span className="muted small" title={diff.merge_base}>
            against {diff.target} at {diff.merge_base.slice(0, 8)}
          </span>
        )}
        <span className="spacer" />
        {counts.total > 0 && (
          <span className="small" data-testid="comment-counts">
            {counts.total} comment(s), {counts.unresolved} unresolved{counts.outdated > 0 ? `, ${counts.outdated} outdated` : ''}
          </span>
        )}
        <button
          type="button"
          className="button button-small button-primary"
          data-testid="send-to-agent-open"
          disabled={toSend === 0 || !canFollowUp}
          title={!canFollowUp ? 'Only the newest finished run of this worktree can be followed up.' : toSend === 0 ? 'No unresolved comments to send.' : undefined}
          onClick={() => setSending(true)}
        >
          Send to agent{toSend > 0 ? ` (${toSend})` : ''}
        </button>
        <button type="button" className="button button-small" data-testid="diff-style" onClick={toggleStyle} title="s">
          {diffStyle === 'split' ? 'Unified' : 'Split'}
        </button>
        <button
          type="button"
          className="button button-small"
          data-testid="download-patch"
          onClick={() => void download()}
          disabled={downloading || !diff || diff.files.length === 0}
        >
          {downloading ? 'Downloading…' : 'Download patch'}
        </button>
      </div>
      {error && (
        <p className="form-error" role="alert" data-testid="changes-error">
          {error}
        </p>
      )}
      {comments.error && (
        <p className="form-error small" role="alert" data-testid="comments-error">
          Comments: {comments.error}
        </p>
      )}
      {sending && <SendToAgent runId={runId} onClose={() => setSending(false)} onStarted={onStarted} />}
      {diff && diff.files.length === 0 && <p className="muted small">No changes against {diff.target}.</p>}
      {diff && diff.files.length > 0 && (
        <div className="changes-body">
          <FileTree rows={rows} selected={selectedFile?.path ?? null} onSelect={select} onToggleDir={toggleDir} />
          {selectedFile && (
            <DiffsPool>
              <DiffPane
                runId={runId}
                file={selectedFile}
                version={fileVersion}
                diffStyle={diffStyle}
                collapsed={fileCollapsed}
                onToggleCollapsed={() => setFileCollapsed((c) => !c)}
                review={review}
              />
            </DiffsPool>
          )}
        </div>
      )}
    </section>
  );
}

type TreeProps = {
  rows: TreeRow[];
  selected: string | null;
  onSelect: (path: string) => void;
  onToggleDir: (path: string) => void;
};

/** The file tree, virtualised like the board's columns: only the rows on screen are mounted (5,000 files is fine). */
const FileTree = memo(function FileTree({ rows, selected, onSelect, onToggleDir }: TreeProps) {
  const scrollRef = useRef<HTMLDivElement | null>(null);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
  });
  return (
    <div className="file-tree" ref={scrollRef} data-testid="file-tree" role="tree" aria-label="Changed files">
      <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
        {virtualizer.getVirtualItems().map((item) => {
          const row = rows[item.index]!;
          const style = { position: 'absolute' as const, top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${item.start}px)`, paddingLeft: 6 + row.depth * 12 };
          if (row.kind === 'dir') {
            return (
              <button
                type="button"
                key={`d:${row.path}`}
                role="treeitem"
                aria-expanded={!row.collapsed}
                className="tree-row tree-dir"
                style={style}
                onClick={() => onToggleDir(row.path)}
              >
                <span aria-hidden="true">{row.collapsed ? '▸' : '▾'}</span> {row.name}/ <span className="muted">{row.files}</span>
              </button>
            );
          }
          const badge = changeBadge(row.file);
          return (
            <button
              type="button"
              key={`f:${row.path}`}
              role="treeitem"
              aria-selected={row.path === selected}
              className={`tree-row tree-file${row.path === selected ? ' tree-file-selected' : ''}`}
              style={style}
              onClick={() => onSelect(row.path)}
              title={`${row.path} (${badge.text})`}
              data-testid="changed-file"
              data-path={row.path}
            >
              <span className={`change-badge change-${row.file.untracked ? 'untracked' : row.file.change}`}>{badge.letter}</span>
              <span className="tree-name">{row.name}</span>
              {row.file.binary ? (
                <span className="muted small">bin</span>
              ) : (
                <>
                  <span className="diff-add small">+{row.file.additions}</span>
                  <span className="diff-del small">−{row.file.deletions}</span>
                </>
              )}
            </button>
          );
        })}
      </div>
    </div>
  );
});
