// One file's diff, loaded on demand (only the selected file is ever fetched) and rendered by @pierre/diffs:
// split or unified, word-level changes, highlighted in the worker pool. Binary and too-large files say so.
import { useCallback, useEffect, useMemo, useState } from 'react';
import { FileDiff, type FileDiffMetadata } from '@pierre/diffs/react';
import { parseDiffFromFile, processFile } from '@pierre/diffs';
import { errorMessage } from '../../api/client';
import { getFileDiff } from '../../api/review';
import { DIFF_THEME } from './DiffsPool';
import { placeholderText } from './logic';
import { CommentCard, CommentComposer, type CommentActions } from './CommentThread';
import { placeComments, selectionToDraft, type CommentAnnotation, type CommentSide, type ReviewComment } from './comments';
import type { DiffFile, RunFileDiff } from './types';
import { OpenFileButton } from '../runs/OpenButtons';

/** Review comments on the file (absent: the pane shows none and offers no selection, as in Compare attempts). */
export type PaneComments = CommentActions & {
  comments: readonly ReviewComment[];
  onCreate: (side: CommentSide, line: number, body: string) => Promise<void>;
};

type Props = {
  runId: string;
  file: DiffFile;
  /** Bumped when the file changed on disk (live) or after a land action: reload it. */
  version: number;
  diffStyle: 'split' | 'unified';
  collapsed: boolean;
  onToggleCollapsed: () => void;
  review?: PaneComments;
};

type Draft = { side: CommentSide; line: number; lines: number };

type Loaded = { key: string; data: RunFileDiff; seq: number };

/**
 * Numbers every load of every pane in the page. @pierre/diffs keeps one worker pool and one highlight cache for
 * the whole page (a singleton shared by the Changes view and Compare attempts), so a per-pane counter would give
 * two panes the same cache key for different loads of a run's file (one read mid-write, say) and the second pane
 * would show the first one's cached rendering.
 */
let loads = 0;

export function DiffPane({ runId, file, version, diffStyle, collapsed, onToggleCollapsed, review }: Props) {
  const [draft, setDraft] = useState<Draft | null>(null);
  useEffect(() => setDraft(null), [runId, file.path]);
  const annotations = useMemo(() => (review ? placeComments(review.comments, file.path) : []), [review, file.path]);
  const outdated = useMemo(() => (review ? review.comments.filter((c) => c.path === file.path && c.outdated) : []), [review, file.path]);
  const onSelected = useCallback((range: Parameters<typeof selectionToDraft>[0]) => {
    const d = selectionToDraft(range);
    if (d) setDraft(d);
  }, []);
  const renderAnnotation = useCallback(
    (a: CommentAnnotation) =>
      review ? (
        <div className="comment-thread" data-testid="comment-thread" data-line={a.lineNumber}>
          {a.metadata.comments.map((c) => (
            <CommentCard key={c.id} comment={c} actions={review} />
          ))}
        </div>
      ) : null,
    [review],
  );
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const key = `${runId}\n${file.path}`;

  useEffect(() => {
    let live = true;
    const mine = ++loads;
    setError(null);
    getFileDiff(runId, file.path)
      .then((data) => live && setLoaded({ key: `${runId}\n${file.path}`, data, seq: mine }))
      .catch((e: unknown) => live && setError(errorMessage(e)));
    return () => {
      live = false;
    };
  }, [runId, file.path, version]);

  // A reload keeps showing the previous contents of the same file until the new ones arrive (no flicker).
  const current = loaded && loaded.key === key ? loaded : null;
  const metadata = useMemo(() => (current ? toMetadata(runId, current) : null), [runId, current]);
  const placeholder = current ? placeholderText(current.data) : null;

  return (
    <div className="diff-pane" data-testid="diff-pane" data-path={file.path}>
      <div className="diff-pane-head">
        <button
          type="button"
          className="icon-button"
          aria-expanded={!collapsed}
          aria-label={collapsed ? 'Expand the file' : 'Collapse the file'}
          title="Collapse / expand (x)"
          onClick={onToggleCollapsed}
        >
          {collapsed ? '▸' : '▾'}
        </button>
        <code className="diff-pane-path" title={file.path}>
          {file.old_path && file.old_path !== file.path ? `${file.old_path} → ${file.path}` : file.path}
        </code>
        <span className="diff-add">+{file.additions}</span>
        <span className="diff-del">−{file.deletions}</span>
        {file.change !== 'deleted' && <OpenFileButton runId={runId} path={file.path} />}
        {review && !draft && (
          <button type="button" className="button button-small" data-testid="comment-add" title="Or select lines by their numbers in the diff" onClick={() => setDraft({ side: 'new', line: 1, lines: 1 })}>
            Add comment
          </button>
        )}
      </div>
      {review && draft && (
        <CommentComposer
          key={`${draft.side}:${draft.line}`}
          path={file.path}
          line={draft.line}
          side={draft.side}
          lines={draft.lines}
          onLine={(line) => setDraft({ ...draft, line, lines: 1 })}
          onCancel={() => setDraft(null)}
          onSubmit={async (body) => {
            await review.onCreate(draft.side, draft.line, body);
            setDraft(null);
          }}
        />
      )}
      {review && outdated.length > 0 && (
        <details className="comments-outdated" data-testid="comments-outdated">
          <summary className="small">
            {outdated.length} outdated comment(s): the agent changed their line since (also shown at their old line below)
          </summary>
          {outdated.map((c) => (
            <CommentCard key={c.id} comment={c} actions={review} />
          ))}
        </details>
      )}
      {error && (
        <p className="form-error" role="alert">
          Could not load {file.path}: {error}
        </p>
      )}
      {!collapsed && !current && !error && <p className="muted small">Loading…</p>}
      {!collapsed && placeholder && (
        <p className="diff-placeholder" data-testid="diff-placeholder">
          {placeholder}
        </p>
      )}
      {!collapsed && !placeholder && metadata && (
        <div className="diff-body" data-testid="diff-body">
          <FileDiff<CommentAnnotation['metadata']>
            fileDiff={metadata}
            lineAnnotations={annotations}
            renderAnnotation={renderAnnotation}
            options={{
              enableLineSelection: review !== undefined,
              onLineSelectionEnd: onSelected,
              theme: DIFF_THEME,
              themeType: 'dark',
              diffStyle,
              lineDiffType: 'word',
              disableFileHeader: true,
              overflow: 'scroll',
              // Lines this long are shown plainly, not tokenised (minified files).
              tokenizeMaxLineLength: 2000,
            }}
          />
        </div>
      )}
    </div>
  );
}

/** The library's diff model: parsed from git's own patch, with both texts for expanding unchanged lines. */
function toMetadata(runId: string, { data, seq }: Loaded): FileDiffMetadata | null {
  // The highlighter's page-wide cache is keyed by this: unique per load (`seq`), never reused for other contents.
  const cacheKey = `${runId}:${data.path}#${seq}`;
  const oldFile = data.old_text === null ? undefined : { name: data.old_path ?? data.path, contents: data.old_text, cacheKey: `${cacheKey}:old` };
  const newFile = data.new_text === null ? undefined : { name: data.path, contents: data.new_text, cacheKey: `${cacheKey}:new` };
  if (data.patch) {
    try {
      const parsed = processFile(data.patch, { isGitDiff: true, oldFile, newFile, cacheKey });
      if (parsed) return parsed;
    } catch {
      // fall through to diffing the texts
    }
  }
  if (data.old_text === null && data.new_text === null) return null;
  return parseDiffFromFile(oldFile ?? null, newFile ?? null);
}
