// The Tiles view (issue 11, item 2): up to four pinned runs' live terminals side by side in the side pane, 1×2 or
// 2×2, each under a mini header (task, agent, status, Stop, close the tile). Ctrl+Shift+Arrow or Alt+1…4 move
// between tiles, also from inside a terminal (those keys are not sent to the agent here). A run that ends keeps
// its tile, showing its final screen and status, until the tile is closed. Loaded lazily with xterm.js.
import { useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { Run } from '../../api/generated/types';
import { api, errorMessage } from '../../api/client';
import { stopRun } from '../runs/api';
import { isActive } from '../runs/runFormat';
import { Terminal } from '../runs/Terminal';
import { keyLike, type KeyLike } from '../../lib/keys';
import { MAX_TILES, moveFocus, tileGrid, tileKey } from './layout';
import { SidePane } from './SidePane';
import { pinRun, unpinRun, useCockpit } from './store';
import { useRun } from './useRun';

export type TileCandidate = { runId: string; label: string };

type Props = {
  /** Runs of the project on screen that could be tiled (active, not pinned yet), for the Add menu. */
  candidates: readonly TileCandidate[];
  agentName: (id: string) => string;
  /** The board's copy of a task's title, when the board holds it. */
  taskTitle: (taskId: string) => string | null;
  onOpenTask: (taskId: string, projectId: string) => void;
  onClose: () => void;
};

// Inside a tile's terminal the focus keys are the page's (keypress and keyup of them too, so xterm sends nothing).
const passTileKey = (e: KeyLike) => tileKey(keyLike(e, 'keydown')) !== null;

/** The terminal's input inside tile `index` (or the tile itself while its terminal loads). */
function tileFocusTarget(root: HTMLElement | null, index: number): HTMLElement | null {
  const tile = root?.querySelector<HTMLElement>(`[data-tile-index="${index}"]`);
  return tile?.querySelector<HTMLElement>('.xterm-helper-textarea') ?? tile ?? null;
}

export default function TilesView({ candidates, agentName, taskTitle, onOpenTask, onClose }: Props) {
  const { pinned } = useCockpit();
  const gridRef = useRef<HTMLDivElement>(null);
  // The grid element exists only while something is tiled: measure it again when it appears.
  const hasTiles = pinned.length > 0;
  const [box, setBox] = useState({ width: 800, height: 600 });
  useLayoutEffect(() => {
    const el = gridRef.current;
    if (!el) return;
    const measure = () => setBox((b) => (b.width === el.clientWidth && b.height === el.clientHeight ? b : { width: el.clientWidth, height: el.clientHeight }));
    measure();
    const observer = new ResizeObserver(measure);
    observer.observe(el);
    return () => observer.disconnect();
  }, [hasTiles]);
  const grid = tileGrid(pinned.length, box.width, box.height);

  const [focused, setFocused] = useState(0);
  const focusTile = useCallback((index: number) => {
    setFocused(index);
    tileFocusTarget(gridRef.current, index)?.focus({ preventScroll: true });
  }, []);

  // Opening the view puts the keyboard in the first tile (once its terminal is there), unless the user has put it
  // somewhere else meanwhile.
  useEffect(() => {
    let tries = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const before = document.activeElement;
    const attempt = () => {
      const active = document.activeElement;
      if (active !== before && active !== document.body && !gridRef.current?.contains(active)) return;
      const input = gridRef.current?.querySelector<HTMLElement>('[data-tile-index="0"] .xterm-helper-textarea');
      if (input) input.focus({ preventScroll: true });
      else if (tries++ < 30) timer = setTimeout(attempt, 100);
    };
    attempt();
    return () => {
      if (timer !== null) clearTimeout(timer);
    };
  }, []);

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const key = tileKey(e);
    if (!key || pinned.length === 0) return;
    e.preventDefault();
    e.stopPropagation();
    const target = key.kind === 'jump' ? key.index : moveFocus(focused, pinned.length, grid, key.dir);
    if (target < pinned.length) focusTile(target);
  };

  const full = pinned.length >= MAX_TILES;
  const addable = candidates.filter((c) => !pinned.includes(c.runId));

  return (
    <SidePane
      mode="tiles"
      title={`Tiles${pinned.length > 0 ? ` (${pinned.length})` : ''}`}
      onClose={onClose}
      testId="tiles-view"
      autoFocus={false}
      onKeyDown={onKeyDown}
      actions={
        <select
          className="tiles-add"
          aria-label="Add a run to the tiles"
          data-testid="tiles-add"
          value=""
          disabled={full || addable.length === 0}
          title={full ? `${MAX_TILES} runs are tiled: close one first` : addable.length === 0 ? 'No other active run in this project' : 'Tile another active run'}
          onChange={(e) => {
            if (e.target.value) pinRun(e.target.value);
          }}
        >
          <option value="">{full ? 'Tiles full' : 'Add a run…'}</option>
          {addable.map((c) => (
            <option key={c.runId} value={c.runId}>
              {c.label}
            </option>
          ))}
        </select>
      }
    >
      {pinned.length === 0 ? (
        <div className="tiles-empty" data-testid="tiles-empty">
          <p>No runs are tiled.</p>
          <p className="muted small">
            Pin a live run with <strong>Tile</strong> in its task panel, or add one above. Up to {MAX_TILES} terminals are shown side by side.
          </p>
        </div>
      ) : (
        <div
          ref={gridRef}
          className="tiles"
          data-testid="tiles"
          data-cols={grid.cols}
          data-rows={grid.rows}
          style={{ gridTemplateColumns: `repeat(${grid.cols}, minmax(0, 1fr))`, gridTemplateRows: `repeat(${grid.rows}, minmax(0, 1fr))` }}
        >
          {pinned.map((runId, index) => (
            <Tile
              key={runId}
              runId={runId}
              index={index}
              focused={focused === index}
              agentName={agentName}
              taskTitle={taskTitle}
              onOpenTask={onOpenTask}
              onFocus={() => setFocused(index)}
            />
          ))}
        </div>
      )}
      <p className="tiles-keys muted small" data-testid="tiles-keys">
        <kbd>Ctrl+Shift+←↑↓→</kbd> or <kbd>Alt+1…{MAX_TILES}</kbd> move between tiles · <kbd>Ctrl+Shift+M</kbd> maximises ·{' '}
        <kbd>Ctrl+Shift+G</kbd> hides the tiles
      </p>
    </SidePane>
  );
}

type TileProps = {
  runId: string;
  index: number;
  focused: boolean;
  agentName: (id: string) => string;
  taskTitle: (taskId: string) => string | null;
  onOpenTask: (taskId: string, projectId: string) => void;
  onFocus: () => void;
};

function Tile({ runId, index, focused, agentName, taskTitle, onOpenTask, onFocus }: TileProps) {
  const { run, error, gone, upsert, reload } = useRun(runId);
  const title = useTaskTitle(run, taskTitle);
  const [stopping, setStopping] = useState(false);
  const [stopError, setStopError] = useState<string | null>(null);
  const stop = async () => {
    if (stopping) return;
    setStopping(true);
    setStopError(null);
    try {
      upsert(await stopRun(runId));
    } catch (e) {
      setStopError(errorMessage(e));
    } finally {
      setStopping(false);
    }
  };
  const status = run?.status ?? null;
  return (
    <section
      className={`tile${focused ? ' tile-focused' : ''}`}
      data-testid="tile"
      data-tile-index={index}
      data-run-id={runId}
      data-run-status={status ?? ''}
      aria-label={`Tile ${index + 1}: ${title ?? 'run'}`}
      tabIndex={-1}
      onFocus={onFocus}
    >
      <header className="tile-header" data-testid="tile-header">
        <span className="tile-number" aria-hidden="true" title={`Alt+${index + 1}`}>
          {index + 1}
        </span>
        {run ? (
          <button
            type="button"
            className="tile-title"
            data-testid="tile-title"
            title={`${title ?? 'Open the task'} — open the task`}
            onClick={() => onOpenTask(run.task_id, run.project_id)}
          >
            {title ?? `#${run.task_id.slice(0, 6)}`}
          </button>
        ) : (
          <span className="tile-title muted">{gone ? 'Run not found' : 'Loading…'}</span>
        )}
        {run && (
          <span className="tile-agent muted small" data-testid="tile-agent">
            {agentName(run.agent)}
          </span>
        )}
        {status && (
          <span className={`run-status run-status-${status}`} data-testid="tile-status">
            {status}
          </span>
        )}
        {stopError && (
          <span className="form-error small" role="alert" title={stopError}>
            Stop failed
          </span>
        )}
        {status && isActive(status) && (
          <button type="button" className="button button-small" data-testid="tile-stop" onClick={() => void stop()} disabled={stopping}>
            {stopping ? 'Stopping…' : 'Stop'}
          </button>
        )}
        <button
          type="button"
          className="icon-button tile-close"
          aria-label="Close this tile"
          title="Close this tile (the run goes on)"
          data-testid="tile-close"
          onClick={() => unpinRun(runId)}
        >
          ×
        </button>
      </header>
      <div className="tile-body">
        {run ? (
          <Terminal
            key={run.id}
            runId={run.id}
            status={run.status}
            queuePosition={run.queue_position}
            cols={run.cols}
            rows={run.rows}
            onEnded={reload}
            passKey={passTileKey}
            compact
          />
        ) : gone ? (
          <p className="muted small tile-note">This run no longer exists (its task was deleted). Close the tile.</p>
        ) : error ? (
          <p className="muted small tile-note">Could not load the run: {error}</p>
        ) : (
          <p className="muted small tile-note">Loading…</p>
        )}
      </div>
    </section>
  );
}

/** The run's task title: the board's copy, else fetched once (a pinned run of another project). */
function useTaskTitle(run: Run | null, taskTitle: (taskId: string) => string | null): string | null {
  const fromBoard = run ? taskTitle(run.task_id) : null;
  const [fetched, setFetched] = useState<{ id: string; title: string } | null>(null);
  const taskId = run?.task_id ?? null;
  const needFetch = taskId !== null && fromBoard === null && fetched?.id !== taskId;
  useEffect(() => {
    if (!needFetch || taskId === null) return;
    let cancelled = false;
    api
      .getTask(taskId)
      .then((task) => {
        if (!cancelled) setFetched({ id: taskId, title: task.title });
      })
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [needFetch, taskId]);
  return fromBoard ?? (fetched && fetched.id === taskId ? fetched.title : null);
}
