import { describe, expect, it } from 'vitest';
import { isTypingTarget } from '../shortcuts/shortcuts';
import { isColorQuery } from './terminalQueries';

describe('isColorQuery', () => {
  it('treats ? as a query and anything else as setting a colour', () => {
    expect(isColorQuery('?')).toBe(true);
    expect(isColorQuery('?;?')).toBe(true);
    expect(isColorQuery('rgb:ffff/0000/0000')).toBe(false);
    expect(isColorQuery('#ff0000')).toBe(false);
  });
});

describe('keys typed into the terminal', () => {
  it('come from a textarea, which the global shortcuts ignore while typing', () => {
    // xterm.js focuses its hidden `textarea.xterm-helper-textarea` for keyboard input.
    expect(isTypingTarget({ tagName: 'TEXTAREA', className: 'xterm-helper-textarea' })).toBe(true);
  });
});
