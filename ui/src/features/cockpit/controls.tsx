// The small cockpit controls that live outside the pane: the header's Tiles button, a live run's Tile (pin) button,
// and the Ctrl+Shift+G key. Light (no xterm), so the board's bundle stays small.
import { useEffect, useRef } from 'react';
import type { Run } from '../../api/generated/types';
import { isActive } from '../runs/runFormat';
import { isTilesToggle } from '../../lib/keys';
import { MAX_TILES } from './layout';
import { pinRun, toggleTiles, unpinRun, useCockpit } from './store';

/** Active runs newest first (queued, starting, running), for filling an empty Tiles view. */
export function activeRunIds(runs: Iterable<Run>): string[] {
  return [...runs]
    .filter((r) => isActive(r.status))
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : 0))
    .map((r) => r.id);
}

/** Ctrl+Shift+G anywhere shows or hides the Tiles view (a terminal lets the key through to here). */
export function useTilesKey(liveRunIds: readonly string[], enabled: boolean): void {
  const ids = useRef(liveRunIds);
  ids.current = liveRunIds;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || !isTilesToggle(e)) return;
      e.preventDefault();
      toggleTiles(ids.current);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}

export function TilesButton({ liveRunIds, disabled = false }: { liveRunIds: readonly string[]; disabled?: boolean }) {
  const { tilesOpen, pinned } = useCockpit();
  return (
    <button
      type="button"
      className={`button tiles-button${tilesOpen ? ' tiles-button-on' : ''}`}
      data-testid="tiles-toggle"
      aria-pressed={tilesOpen}
      title="Several agents' terminals side by side (Ctrl+Shift+G)"
      disabled={disabled}
      onClick={() => toggleTiles(liveRunIds)}
    >
      Tiles{pinned.length > 0 ? <span className="tiles-count"> {pinned.length}</span> : null}
    </button>
  );
}

/** Pins a run to the Tiles view, or unpins it. */
export function PinButton({ runId }: { runId: string }) {
  const { pinned } = useCockpit();
  const on = pinned.includes(runId);
  const full = !on && pinned.length >= MAX_TILES;
  return (
    <button
      type="button"
      className="button button-small"
      data-testid="run-pin"
      aria-pressed={on}
      disabled={full}
      title={
        full
          ? `${MAX_TILES} runs are tiled already: close a tile first`
          : on
            ? 'Remove this run from the tiles'
            : 'Show this run in the Tiles view, beside other agents (Ctrl+Shift+G)'
      }
      onClick={() => (on ? unpinRun(runId) : pinRun(runId))}
    >
      {on ? 'Tiled ✓' : 'Tile'}
    </button>
  );
}
