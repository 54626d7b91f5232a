// One place that builds xterm.js terminals for the live view and the replay, in the app's colours.
import { Terminal, type ITerminalInitOnlyOptions, type ITerminalOptions } from '@xterm/xterm';
import '@xterm/xterm/css/xterm.css';
import { swallowTerminalQueries } from './terminalQueries';

const THEME: ITerminalOptions['theme'] = {
  background: '#0c0e12',
  foreground: '#e3e6ed',
  cursor: '#8aa3ff',
  cursorAccent: '#0c0e12',
  selectionBackground: 'rgba(109, 140, 255, 0.35)',
};

export function createXterm(options: ITerminalOptions & ITerminalInitOnlyOptions = {}): Terminal {
  const term = new Terminal({
    fontFamily: "ui-monospace, SFMono-Regular, 'JetBrains Mono', Menlo, Consolas, monospace",
    fontSize: 13,
    scrollback: 5000,
    theme: THEME,
    ...options,
  });
  // Disposed together with the terminal.
  swallowTerminalQueries(term);
  return term;
}
