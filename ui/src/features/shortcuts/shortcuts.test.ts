import { describe, expect, it } from 'vitest';
import { isSaveCombo, isSaveKeyS, isTypingTarget, matchShortcut } from './shortcuts';

const key = (k: string, mods: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean }> = {}) => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  ...mods,
});

describe('matchShortcut', () => {
  it('maps the documented keys', () => {
    expect(matchShortcut(key('n'), false)).toBe('new-task');
    expect(matchShortcut(key('/'), false)).toBe('focus-search');
    expect(matchShortcut(key('?'), false)).toBe('help');
    expect(matchShortcut(key(','), false)).toBe('open-agents');
    expect(matchShortcut(key('Escape'), false)).toBe('escape');
    expect(matchShortcut(key('x'), false)).toBeNull();
  });

  it('ignores letters while typing or with modifiers, but never Escape', () => {
    expect(matchShortcut(key('n'), true)).toBeNull();
    expect(matchShortcut(key('/'), true)).toBeNull();
    expect(matchShortcut(key(','), true)).toBeNull();
    expect(matchShortcut(key('n', { ctrlKey: true }), false)).toBeNull();
    expect(matchShortcut(key('n', { metaKey: true }), false)).toBeNull();
    expect(matchShortcut(key('Escape'), true)).toBe('escape');
  });
});

describe('isTypingTarget', () => {
  it('recognises text fields', () => {
    expect(isTypingTarget({ tagName: 'INPUT', type: 'text' })).toBe(true);
    expect(isTypingTarget({ tagName: 'input', type: 'search' })).toBe(true);
    expect(isTypingTarget({ tagName: 'TEXTAREA' })).toBe(true);
    expect(isTypingTarget({ tagName: 'SELECT' })).toBe(true);
    expect(isTypingTarget({ tagName: 'DIV', isContentEditable: true })).toBe(true);
  });

  it('does not block on buttons, checkboxes or plain elements', () => {
    expect(isTypingTarget({ tagName: 'INPUT', type: 'checkbox' })).toBe(false);
    expect(isTypingTarget({ tagName: 'BUTTON' })).toBe(false);
    expect(isTypingTarget({ tagName: 'DIV', isContentEditable: false })).toBe(false);
    expect(isTypingTarget(null)).toBe(false);
  });
});

describe('isSaveCombo', () => {
  it('needs Ctrl or Cmd', () => {
    expect(isSaveCombo(key('Enter', { ctrlKey: true }))).toBe(true);
    expect(isSaveCombo(key('Enter', { metaKey: true }))).toBe(true);
    expect(isSaveCombo(key('Enter'))).toBe(false);
  });
});

describe('isSaveKeyS', () => {
  it('needs Ctrl or Cmd with S, and no Alt', () => {
    expect(isSaveKeyS(key('s', { ctrlKey: true }))).toBe(true);
    expect(isSaveKeyS(key('S', { metaKey: true }))).toBe(true);
    expect(isSaveKeyS(key('s'))).toBe(false);
    expect(isSaveKeyS(key('s', { ctrlKey: true, altKey: true }))).toBe(false);
  });
});
