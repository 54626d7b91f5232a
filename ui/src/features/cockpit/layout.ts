// The cockpit's layout logic (issue 11, item 2), pure so it is unit-tested: the task panel is a resizable side pane
// beside the board (not a modal), and the Tiles view shows up to four pinned runs' terminals in a grid, with keys to
// move between them. What the user set (pane widths, pinned runs, tiles open) is kept in localStorage.
import type { KeyLike } from '../../lib/keys';

/** At most this many terminals are tiled at once. */
export const MAX_TILES = 4;
/** Below this window width the pane covers the whole window (the board cannot share so little room). */
export const NARROW_VIEWPORT = 900;
/** The pane never gets narrower than this, and leaves the board at least BOARD_MIN. */
export const PANE_MIN = 360;
export const BOARD_MIN = 280;
/** A tile narrower or shorter than this makes the grid fall back to fewer columns / rows. */
export const TILE_MIN_WIDTH = 280;
export const TILE_MIN_HEIGHT = 170;

export type PaneMode = 'task' | 'tiles';

export type CockpitState = {
  /** The Tiles view is shown in the pane (instead of a task). */
  tilesOpen: boolean;
  /** Run ids tiled, in order (at most MAX_TILES, no repeats). */
  pinned: readonly string[];
  /** Pane width in CSS pixels per mode, null until the user resizes it. */
  width: Readonly<Record<PaneMode, number | null>>;
};

export const INITIAL_STATE: CockpitState = { tilesOpen: false, pinned: [], width: { task: null, tiles: null } };

export function isNarrow(viewportWidth: number): boolean {
  return viewportWidth < NARROW_VIEWPORT;
}

/** The widest the pane may be in this window: the board keeps BOARD_MIN (never below PANE_MIN). */
export function maxPaneWidth(viewportWidth: number): number {
  return Math.max(PANE_MIN, Math.floor(viewportWidth - BOARD_MIN));
}

export function clampPaneWidth(width: number, viewportWidth: number): number {
  if (!Number.isFinite(width)) return defaultPaneWidth('task', viewportWidth);
  return Math.min(maxPaneWidth(viewportWidth), Math.max(PANE_MIN, Math.round(width)));
}

/** Before the user resizes: a task takes 45 % of the window (at most 900 px), the tiles 62 %. */
export function defaultPaneWidth(mode: PaneMode, viewportWidth: number): number {
  const share = mode === 'tiles' ? 0.62 : 0.45;
  const wanted = Math.round(viewportWidth * share);
  return Math.min(maxPaneWidth(viewportWidth), Math.max(PANE_MIN, mode === 'task' ? Math.min(900, wanted) : wanted));
}

/** The width the pane is drawn at: the user's, kept inside this window's limits, else the default. */
export function paneWidth(state: CockpitState, mode: PaneMode, viewportWidth: number): number {
  const chosen = state.width[mode];
  return chosen === null ? defaultPaneWidth(mode, viewportWidth) : clampPaneWidth(chosen, viewportWidth);
}

/** One keyboard step of the pane's resize handle. */
export const RESIZE_STEP = 32;

// ---- Pinning ---------------------------------------------------------------------------------------------------

/** Adds `runId` to the tiles; null when MAX_TILES are tiled already. Pinning a pinned run changes nothing. */
export function pin(pinned: readonly string[], runId: string): string[] | null {
  if (pinned.includes(runId)) return [...pinned];
  if (pinned.length >= MAX_TILES) return null;
  return [...pinned, runId];
}

export function unpin(pinned: readonly string[], runId: string): string[] {
  return pinned.filter((id) => id !== runId);
}

/**
 * Opening the Tiles view with nothing pinned fills it with the project's live runs (newest first, as many as fit),
 * so one key shows every agent at work. Something pinned is left as the user made it.
 */
export function autoFill(pinned: readonly string[], liveRunIds: readonly string[]): string[] {
  if (pinned.length > 0) return [...pinned];
  return [...new Set(liveRunIds)].slice(0, MAX_TILES);
}

// ---- The grid --------------------------------------------------------------------------------------------------

export type TileGrid = { cols: number; rows: number };

/**
 * Columns and rows for `count` tiles in a box of `width` × `height`: 1 → 1×1, 2 → side by side (1×2), 3 and 4 →
 * 2×2 (three leave the last cell empty). When tiles would get narrower than TILE_MIN_WIDTH they stack in one
 * column; when 2×2 tiles would get shorter than TILE_MIN_HEIGHT but the row is wide enough, they go in one row.
 */
export function tileGrid(count: number, width: number, height: number): TileGrid {
  const n = Math.max(1, Math.min(MAX_TILES, Math.floor(count)));
  if (n === 1) return { cols: 1, rows: 1 };
  const fitsCols = (cols: number) => width / cols >= TILE_MIN_WIDTH;
  if (!fitsCols(2)) return { cols: 1, rows: n };
  if (n === 2) return { cols: 2, rows: 1 };
  if (height / 2 < TILE_MIN_HEIGHT && fitsCols(n)) return { cols: n, rows: 1 };
  return { cols: 2, rows: 2 };
}

export type Cell = { row: number; col: number };

export function cellOf(index: number, grid: TileGrid): Cell {
  return { row: Math.floor(index / grid.cols), col: index % grid.cols };
}

export type Direction = 'left' | 'right' | 'up' | 'down';

/**
 * The tile focus moves to from `current` (of `count` tiles laid out in `grid`). Left/right step along the row and
 * wrap to the previous/next tile in reading order; up/down step along the column and wrap around it; a step onto
 * the empty cell (three tiles in 2×2) lands on the last tile.
 */
export function moveFocus(current: number, count: number, grid: TileGrid, dir: Direction): number {
  if (count <= 1) return 0;
  const from = Math.min(Math.max(0, current), count - 1);
  if (dir === 'left') return (from - 1 + count) % count;
  if (dir === 'right') return (from + 1) % count;
  const { row, col } = cellOf(from, grid);
  const rows = Math.ceil(count / grid.cols);
  if (rows <= 1) return from;
  const nextRow = (row + (dir === 'down' ? 1 : -1) + rows) % rows;
  const target = nextRow * grid.cols + col;
  return target < count ? target : count - 1;
}

// ---- Keys ------------------------------------------------------------------------------------------------------
// The Ctrl+Shift+G matcher is in lib/keys.ts (features/runs needs it too).

export type TileKey = { kind: 'move'; dir: Direction } | { kind: 'jump'; index: number };

const ARROWS: Record<string, Direction> = { ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down' };

/** Inside the Tiles view: Ctrl+Shift+Arrow moves to the neighbouring tile, Alt+1…4 jumps to a tile. */
export function tileKey(e: KeyLike): TileKey | null {
  if ((e.type ?? 'keydown') !== 'keydown' || e.metaKey) return null;
  if (e.ctrlKey && e.shiftKey && !e.altKey) {
    const dir = ARROWS[e.key];
    return dir ? { kind: 'move', dir } : null;
  }
  if (e.altKey && !e.ctrlKey && !e.shiftKey) {
    // The key's code: on macOS Option+1 types "¡".
    const digit = /^Digit([1-9])$/.exec(e.code ?? '')?.[1] ?? (/^[1-9]$/.test(e.key) ? e.key : null);
    const index = digit === null ? -1 : Number(digit) - 1;
    return index >= 0 && index < MAX_TILES ? { kind: 'jump', index } : null;
  }
  return null;
}

// ---- Persistence -----------------------------------------------------------------------------------------------

export const STORAGE_KEY = 'viban.cockpit';

const isWidth = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 100_000;

/** What was kept, checked field by field: anything unreadable falls back to the defaults. */
export function loadCockpit(storage: Pick<Storage, 'getItem'> | null): CockpitState {
  let raw: unknown;
  try {
    const text = storage?.getItem(STORAGE_KEY);
    raw = text ? JSON.parse(text) : null;
  } catch {
    return INITIAL_STATE;
  }
  if (typeof raw !== 'object' || raw === null) return INITIAL_STATE;
  const o = raw as Record<string, unknown>;
  const pinned = Array.isArray(o.pinned)
    ? [...new Set(o.pinned.filter((id): id is string => typeof id === 'string' && id.length > 0 && id.length <= 100))].slice(0, MAX_TILES)
    : [];
  const w = typeof o.width === 'object' && o.width !== null ? (o.width as Record<string, unknown>) : {};
  return {
    tilesOpen: o.tilesOpen === true,
    pinned,
    width: { task: isWidth(w.task) ? Math.round(w.task) : null, tiles: isWidth(w.tiles) ? Math.round(w.tiles) : null },
  };
}

export function storeCockpit(storage: Pick<Storage, 'setItem'> | null, state: CockpitState): void {
  try {
    storage?.setItem(STORAGE_KEY, JSON.stringify({ tilesOpen: state.tilesOpen, pinned: state.pinned, width: state.width }));
  } catch {
    // private mode or full storage: the layout is simply not remembered
  }
}
