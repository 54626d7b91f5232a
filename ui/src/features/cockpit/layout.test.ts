import { describe, expect, it } from 'vitest';
import {
  INITIAL_STATE,
  MAX_TILES,
  PANE_MIN,
  STORAGE_KEY,
  autoFill,
  cellOf,
  clampPaneWidth,
  defaultPaneWidth,
  isNarrow,
  loadCockpit,
  maxPaneWidth,
  moveFocus,
  paneWidth,
  pin,
  storeCockpit,
  tileGrid,
  tileKey,
  unpin,
} from './layout';
import { isTilesToggle, keyLike, type KeyLike } from '../../lib/keys';
import { SHORTCUTS } from '../shortcuts/shortcuts';

const key = (k: Partial<KeyLike> & { key: string }): KeyLike => ({ ctrlKey: false, shiftKey: false, altKey: false, metaKey: false, ...k });

describe('tileGrid', () => {
  it('lays one tile alone, two side by side, three and four in 2×2', () => {
    expect(tileGrid(1, 1200, 800)).toEqual({ cols: 1, rows: 1 });
    expect(tileGrid(2, 1200, 800)).toEqual({ cols: 2, rows: 1 });
    expect(tileGrid(3, 1200, 800)).toEqual({ cols: 2, rows: 2 });
    expect(tileGrid(4, 1200, 800)).toEqual({ cols: 2, rows: 2 });
  });

  it('stacks tiles in one column when two across would be too narrow', () => {
    expect(tileGrid(2, 540, 800)).toEqual({ cols: 1, rows: 2 });
    // The Tiles pane at 1024 px (about 620 px of grid): still two across.
    expect(tileGrid(4, 620, 560)).toEqual({ cols: 2, rows: 2 });
    expect(tileGrid(4, 500, 900)).toEqual({ cols: 1, rows: 4 });
  });

  it('puts three or four in one row when the box is wide but too short for two rows', () => {
    expect(tileGrid(4, 1800, 300)).toEqual({ cols: 4, rows: 1 });
    expect(tileGrid(3, 1000, 300)).toEqual({ cols: 3, rows: 1 });
    // Not wide enough for one row of four: 2×2 anyway.
    expect(tileGrid(4, 1000, 300)).toEqual({ cols: 2, rows: 2 });
    expect(tileGrid(3, 800, 300)).toEqual({ cols: 2, rows: 2 });
  });

  it('treats nonsense counts as one tile and caps at four', () => {
    expect(tileGrid(0, 1000, 800)).toEqual({ cols: 1, rows: 1 });
    expect(tileGrid(9, 1000, 800)).toEqual({ cols: 2, rows: 2 });
  });
});

describe('moveFocus', () => {
  const g22 = { cols: 2, rows: 2 };
  it('moves left and right along the reading order, wrapping', () => {
    expect(moveFocus(0, 4, g22, 'right')).toBe(1);
    expect(moveFocus(1, 4, g22, 'right')).toBe(2);
    expect(moveFocus(3, 4, g22, 'right')).toBe(0);
    expect(moveFocus(0, 4, g22, 'left')).toBe(3);
  });

  it('moves up and down the column, wrapping', () => {
    expect(moveFocus(0, 4, g22, 'down')).toBe(2);
    expect(moveFocus(3, 4, g22, 'down')).toBe(1);
    expect(moveFocus(1, 4, g22, 'up')).toBe(3);
  });

  it('lands on the last tile when the cell below is empty (three tiles)', () => {
    expect(moveFocus(1, 3, g22, 'down')).toBe(2);
    expect(moveFocus(2, 3, g22, 'up')).toBe(0);
    expect(cellOf(2, g22)).toEqual({ row: 1, col: 0 });
  });

  it('stays put up/down in a single row, and with one tile', () => {
    expect(moveFocus(1, 2, { cols: 2, rows: 1 }, 'down')).toBe(1);
    expect(moveFocus(0, 1, { cols: 1, rows: 1 }, 'right')).toBe(0);
  });

  it('walks a stacked column with up/down', () => {
    const stack = { cols: 1, rows: 3 };
    expect(moveFocus(0, 3, stack, 'down')).toBe(1);
    expect(moveFocus(0, 3, stack, 'up')).toBe(2);
  });

  it('clamps a stale current index', () => {
    expect(moveFocus(7, 2, { cols: 2, rows: 1 }, 'right')).toBe(0);
  });
});

describe('keys', () => {
  it('Ctrl+Shift+G toggles the tiles; not with Alt or Meta, not on keyup', () => {
    expect(isTilesToggle(key({ key: 'G', ctrlKey: true, shiftKey: true }))).toBe(true);
    expect(isTilesToggle(key({ key: 'g', ctrlKey: true }))).toBe(false);
    expect(isTilesToggle(key({ key: 'G', ctrlKey: true, shiftKey: true, altKey: true }))).toBe(false);
    expect(isTilesToggle(key({ key: 'G', ctrlKey: true, shiftKey: true, type: 'keyup' }))).toBe(false);
  });

  it('Ctrl+Shift+Arrow moves, Alt+1…4 jumps', () => {
    expect(tileKey(key({ key: 'ArrowRight', ctrlKey: true, shiftKey: true }))).toEqual({ kind: 'move', dir: 'right' });
    expect(tileKey(key({ key: 'ArrowUp', ctrlKey: true, shiftKey: true }))).toEqual({ kind: 'move', dir: 'up' });
    expect(tileKey(key({ key: '3', code: 'Digit3', altKey: true }))).toEqual({ kind: 'jump', index: 2 });
    // macOS: Option+1 types "¡", the code still says Digit1.
    expect(tileKey(key({ key: '¡', code: 'Digit1', altKey: true }))).toEqual({ kind: 'jump', index: 0 });
  });

  it('leaves everything else to the terminal', () => {
    expect(tileKey(key({ key: 'ArrowRight' }))).toBeNull();
    expect(tileKey(key({ key: 'ArrowRight', ctrlKey: true }))).toBeNull();
    expect(tileKey(key({ key: '5', code: 'Digit5', altKey: true }))).toBeNull();
    expect(tileKey(key({ key: '1', code: 'Digit1', altKey: true, ctrlKey: true }))).toBeNull();
    expect(tileKey(key({ key: '1', code: 'Digit1' }))).toBeNull();
    expect(tileKey(key({ key: 'ArrowLeft', ctrlKey: true, shiftKey: true, type: 'keyup' }))).toBeNull();
  });
});

describe('pinning', () => {
  it('adds at the end, ignores repeats, refuses a fifth', () => {
    expect(pin([], 'a')).toEqual(['a']);
    expect(pin(['a'], 'a')).toEqual(['a']);
    expect(pin(['a', 'b', 'c', 'd'], 'e')).toBeNull();
    expect(pin(['a', 'b', 'c', 'd'], 'b')).toEqual(['a', 'b', 'c', 'd']);
    expect(unpin(['a', 'b'], 'a')).toEqual(['b']);
  });

  it('fills an empty view with the live runs, up to four; keeps what the user pinned', () => {
    expect(autoFill([], ['r1', 'r2', 'r1', 'r3', 'r4', 'r5'])).toEqual(['r1', 'r2', 'r3', 'r4']);
    expect(autoFill(['x'], ['r1'])).toEqual(['x']);
    expect(autoFill([], [])).toEqual([]);
  });
});

describe('pane width', () => {
  it('is the full window below 900 px', () => {
    expect(isNarrow(899)).toBe(true);
    expect(isNarrow(900)).toBe(false);
  });

  it('defaults to 45 % for a task (at most 900 px) and 62 % for the tiles', () => {
    expect(defaultPaneWidth('task', 1280)).toBe(576);
    expect(defaultPaneWidth('task', 2560)).toBe(900);
    expect(defaultPaneWidth('tiles', 2000)).toBe(1240);
    // 1024 px: the board keeps its minimum.
    expect(defaultPaneWidth('task', 1024)).toBe(461);
    expect(defaultPaneWidth('tiles', 1024)).toBe(635);
    expect(defaultPaneWidth('tiles', 1400)).toBe(868);
  });

  it('is kept between the minimum and what leaves the board its minimum', () => {
    expect(clampPaneWidth(100, 1280)).toBe(PANE_MIN);
    expect(clampPaneWidth(5000, 1280)).toBe(1000);
    expect(clampPaneWidth(700.4, 1280)).toBe(700);
    expect(clampPaneWidth(Number.NaN, 1280)).toBe(defaultPaneWidth('task', 1280));
    // A window too small for both: never below the minimum.
    expect(maxPaneWidth(500)).toBe(PANE_MIN);
  });

  it("uses the user's width per mode, clamped to this window", () => {
    const state = { ...INITIAL_STATE, width: { task: 800, tiles: null } };
    expect(paneWidth(state, 'task', 1600)).toBe(800);
    expect(paneWidth(state, 'task', 1000)).toBe(720);
    expect(paneWidth(state, 'tiles', 1600)).toBe(defaultPaneWidth('tiles', 1600));
  });
});

describe('persistence', () => {
  const memory = () => {
    const items = new Map<string, string>();
    return { getItem: (k: string) => items.get(k) ?? null, setItem: (k: string, v: string) => void items.set(k, v), items };
  };

  it('round-trips the layout', () => {
    const s = memory();
    const state = { tilesOpen: true, pinned: ['a', 'b'], width: { task: 640, tiles: 1100 } };
    storeCockpit(s, state);
    expect(loadCockpit(s)).toEqual(state);
  });

  it('falls back field by field on bad data', () => {
    const s = memory();
    expect(loadCockpit(s)).toEqual(INITIAL_STATE);
    s.setItem(STORAGE_KEY, '{not json');
    expect(loadCockpit(s)).toEqual(INITIAL_STATE);
    s.setItem(STORAGE_KEY, JSON.stringify({ tilesOpen: 'yes', pinned: ['a', 3, 'a', '', 'b', 'c', 'd', 'e'], width: { task: -5, tiles: 'x' } }));
    expect(loadCockpit(s)).toEqual({ tilesOpen: false, pinned: ['a', 'b', 'c', 'd'], width: { task: null, tiles: null } });
    s.setItem(STORAGE_KEY, '[1,2]');
    expect(loadCockpit(s).pinned).toEqual([]);
    expect(MAX_TILES).toBe(4);
  });

  it('survives storage that throws', () => {
    const throwing = {
      getItem: () => {
        throw new Error('denied');
      },
      setItem: () => {
        throw new Error('quota');
      },
    };
    expect(loadCockpit(throwing)).toEqual(INITIAL_STATE);
    expect(() => storeCockpit(throwing, INITIAL_STATE)).not.toThrow();
    expect(loadCockpit(null)).toEqual(INITIAL_STATE);
  });
});

describe('keyLike', () => {
  it('copies the fields of an object whose fields are prototype getters (a DOM event)', () => {
    class FakeEvent {
      get key() {
        return '2';
      }
      get code() {
        return 'Digit2';
      }
      get type() {
        return 'keypress';
      }
      ctrlKey = false;
      shiftKey = false;
      get altKey() {
        return true;
      }
      metaKey = false;
    }
    const e = new FakeEvent();
    expect(tileKey({ ...e } as unknown as KeyLike)).toBeNull();
    expect(tileKey(keyLike(e, 'keydown'))).toEqual({ kind: 'jump', index: 1 });
    expect(keyLike(e).type).toBe('keypress');
  });
});

describe('the ? overlay and the palette', () => {
  it('list the Tiles keys the matchers know', () => {
    const tiles = SHORTCUTS.filter((s) => s.section === 'Tiles').map((s) => s.keys.join('+'));
    expect(tiles).toEqual(['Ctrl+Shift+G', 'Ctrl+Shift+←↑↓→', `Alt+1…${MAX_TILES}`]);
    expect(isTilesToggle(key({ key: 'g', ctrlKey: true, shiftKey: true }))).toBe(true);
    expect(tileKey(key({ key: 'ArrowDown', ctrlKey: true, shiftKey: true }))).toEqual({ kind: 'move', dir: 'down' });
    expect(tileKey(key({ key: String(MAX_TILES), code: `Digit${MAX_TILES}`, altKey: true }))).toEqual({ kind: 'jump', index: MAX_TILES - 1 });
    expect(SHORTCUTS.find((s) => s.keys.join('+') === 'Ctrl+Shift+G')?.command).toBe('tiles');
  });
});
