// What a key means to the board-wide keyboard layer (pure): card moves, start a run, the terminal, the palette.
// Where the key may act (not while typing, not in the terminal, not under a dialog) is decided by the caller.
import type { CardMove } from './cardGrid';
import { isPaletteCombo } from '../shortcuts/shortcuts';

// The palette's key is a global combo (the palette itself closes on it too): defined with the others.
export { isPaletteCombo };

export type BoardKey =
  | { kind: 'move'; move: CardMove; arrow: boolean }
  | { kind: 'start-run' }
  | { kind: 'focus-terminal' }
  | { kind: 'palette' };

export type KeyLike = { key: string; ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean };

const MOVES: Readonly<Record<string, { move: CardMove; arrow: boolean }>> = {
  j: { move: 'down', arrow: false },
  k: { move: 'up', arrow: false },
  h: { move: 'left', arrow: false },
  l: { move: 'right', arrow: false },
  ArrowDown: { move: 'down', arrow: true },
  ArrowUp: { move: 'up', arrow: true },
  ArrowLeft: { move: 'left', arrow: true },
  ArrowRight: { move: 'right', arrow: true },
  Home: { move: 'first', arrow: true },
  End: { move: 'last', arrow: true },
};

export function matchBoardKey(e: KeyLike): BoardKey | null {
  if (isPaletteCombo(e)) return { kind: 'palette' };
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  const move = MOVES[e.key];
  if (move && !e.shiftKey) return { kind: 'move', ...move };
  if (e.key === 's') return { kind: 'start-run' };
  if (e.key === 't') return { kind: 'focus-terminal' };
  return null;
}

/** Inside the terminal (xterm's input or its frame) every key belongs to the agent or the frame. */
export function inTerminal(target: unknown): boolean {
  const el = target as { closest?: (selector: string) => unknown } | null;
  return typeof el?.closest === 'function' && el.closest('.xterm, [data-testid="run-terminal"]') !== null;
}
