// One file's diff, loaded on demand (only the selected file is ever fetched) and rendered by @pierre/diffs:
// split or unified, word-level changes, highlighted in the worker pool. Binary and too-large files say so.
import { useEffect, useMemo, useRef, useState } from 'react';
import { FileDiff, type FileDiffMetadata } from '@pierre/diffs/react';
import { parseDiffFromFile, processFile } from '@pierre/diffs';
import { errorMessage } from '../../api/client';
import { getFileDiff } from './api';
import { DIFF_THEME } from './DiffsPool';
import { placeholderText } from './logic';
import type { DiffFile, RunFileDiff } from './types';

type Props = {
  runId: string;
  file: DiffFile;
  /** Bumped when the file changed on disk (live) or after a land action: reload it. */
  version: number;
  diffStyle: 'split' | 'unified';
  collapsed: boolean;
  onToggleCollapsed: () => void;
};

type Loaded = { key: string; data: RunFileDiff; seq: number };

export function DiffPane({ runId, file, version, diffStyle, collapsed, onToggleCollapsed }: Props) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const seq = useRef(0);
  const key = `${runId}\n${file.path}`;

  useEffect(() => {
    let live = true;
    const mine = ++seq.current;
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
  const metadata = useMemo(() => (current ? toMetadata(current) : null), [current]);
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
      </div>
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
          <FileDiff
            fileDiff={metadata}
            options={{
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
function toMetadata({ data, seq }: Loaded): FileDiffMetadata | null {
  const cacheKey = `${data.path}#${seq}`;
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
