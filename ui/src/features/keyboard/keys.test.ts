import { describe, expect, it } from 'vitest';
import { inTerminal, isPaletteCombo, matchBoardKey } from './keys';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...mods,
});

describe('board keys', () => {
  it('maps j/k/h/l and the arrows to card moves', () => {
    expect(matchBoardKey(key('j'))).toEqual({ kind: 'move', move: 'down', arrow: false });
    expect(matchBoardKey(key('k'))).toEqual({ kind: 'move', move: 'up', arrow: false });
    expect(matchBoardKey(key('h'))).toEqual({ kind: 'move', move: 'left', arrow: false });
    expect(matchBoardKey(key('l'))).toEqual({ kind: 'move', move: 'right', arrow: false });
    expect(matchBoardKey(key('ArrowDown'))).toEqual({ kind: 'move', move: 'down', arrow: true });
    expect(matchBoardKey(key('ArrowLeft'))).toEqual({ kind: 'move', move: 'left', arrow: true });
    expect(matchBoardKey(key('Home'))).toEqual({ kind: 'move', move: 'first', arrow: true });
  });

  it('maps s, t and Ctrl/Cmd+K', () => {
    expect(matchBoardKey(key('s'))).toEqual({ kind: 'start-run' });
    expect(matchBoardKey(key('t'))).toEqual({ kind: 'focus-terminal' });
    expect(matchBoardKey(key('k', { ctrlKey: true }))).toEqual({ kind: 'palette' });
    expect(matchBoardKey(key('K', { metaKey: true }))).toEqual({ kind: 'palette' });
    expect(isPaletteCombo(key('k', { ctrlKey: true, shiftKey: true }))).toBe(false);
  });

  it('leaves other keys and modified letters alone', () => {
    expect(matchBoardKey(key('x'))).toBeNull();
    expect(matchBoardKey(key('j', { ctrlKey: true }))).toBeNull();
    expect(matchBoardKey(key('s', { altKey: true }))).toBeNull();
    expect(matchBoardKey(key('S', { shiftKey: true }))).toBeNull();
    expect(matchBoardKey(key('ArrowDown', { shiftKey: true }))).toBeNull();
  });

  it('knows the terminal', () => {
    const inside = { closest: (s: string) => (s.includes('.xterm') ? {} : null) };
    expect(inTerminal(inside)).toBe(true);
    expect(inTerminal({ closest: () => null })).toBe(false);
    expect(inTerminal(null)).toBe(false);
  });
});

describe('the ? overlay', () => {
  it('lists every board-wide key', async () => {
    const { SHORTCUTS } = await import('../shortcuts/shortcuts');
    const listed = (keys: string[]) => SHORTCUTS.some((s) => s.section !== 'Changes' && s.keys.join('+') === keys.join('+'));
    for (const keys of [['Ctrl', 'K'], ['j'], ['h'], ['Enter'], ['s'], ['t'], ['?']]) expect(listed(keys), keys.join('+')).toBe(true);
  });
});
