import { describe, expect, it } from 'vitest';
import { frameKeyAction, terminalKeyAction, type TerminalKeyLike } from './terminalKeys';

function key(k: string, mods: Partial<TerminalKeyLike> = {}): TerminalKeyLike {
  return { type: 'keydown', key: k, ctrlKey: false, shiftKey: false, altKey: false, metaKey: false, ...mods };
}
const cs = { ctrlKey: true, shiftKey: true };

describe('terminalKeyAction', () => {
  it('leaves Esc, Ctrl+C, Ctrl+V and plain letters to the agent', () => {
    expect(terminalKeyAction(key('Escape'))).toBeNull();
    expect(terminalKeyAction(key('c', { ctrlKey: true }))).toBeNull();
    expect(terminalKeyAction(key('v', { ctrlKey: true }))).toBeNull();
    expect(terminalKeyAction(key('f'))).toBeNull();
    expect(terminalKeyAction(key('Escape', cs))).toBeNull();
  });
  it('maps the Ctrl+Shift chords (either case of the letter)', () => {
    expect(terminalKeyAction(key('C', cs))).toBe('copy');
    expect(terminalKeyAction(key('V', cs))).toBe('paste');
    expect(terminalKeyAction(key('F', cs))).toBe('find');
    expect(terminalKeyAction(key('M', cs))).toBe('maximize');
    expect(terminalKeyAction(key('x', cs))).toBe('leave');
  });
  it('ignores keyup and extra modifiers', () => {
    expect(terminalKeyAction({ ...key('C', cs), type: 'keyup' })).toBeNull();
    expect(terminalKeyAction(key('C', { ...cs, altKey: true }))).toBeNull();
    expect(terminalKeyAction(key('C', { ...cs, metaKey: true }))).toBeNull();
  });
});

describe('frameKeyAction', () => {
  it('f maximises, Enter returns to the terminal', () => {
    expect(frameKeyAction(key('f'), false)).toBe('maximize');
    expect(frameKeyAction(key('Enter'), false)).toBe('enter');
    expect(frameKeyAction(key('f', { ctrlKey: true }), false)).toBeNull();
  });
  it('Esc restores a maximised terminal and otherwise is left to the panel', () => {
    expect(frameKeyAction(key('Escape'), true)).toBe('restore');
    expect(frameKeyAction(key('Escape'), false)).toBeNull();
  });
});
