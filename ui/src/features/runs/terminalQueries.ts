// The server answers an agent's terminal queries itself (so runs work with nobody watching); a viewer that
// answered too would put a second reply into the agent's input. These handlers make xterm.js swallow the
// queries instead of replying. Everything else (colours being set, cursor moves) is left to xterm.
import type { IDisposable, Terminal } from '@xterm/xterm';

/** OSC 10/11/12 carry `?` to ask for the foreground/background/cursor colour (`10;?` may chain: `?;?`). */
export function isColorQuery(data: string): boolean {
  return data.split(';').some((part) => part.trim() === '?');
}

/** OSC identifiers for the dynamic colours: foreground, background, cursor. */
export const COLOR_QUERY_OSCS = [10, 11, 12] as const;

export function swallowTerminalQueries(term: Terminal): IDisposable {
  const swallow = () => true;
  const handlers: IDisposable[] = [
    term.parser.registerCsiHandler({ final: 'c' }, swallow), // primary device attributes (DA1)
    term.parser.registerCsiHandler({ prefix: '>', final: 'c' }, swallow), // secondary device attributes (DA2)
    term.parser.registerCsiHandler({ final: 'n' }, swallow), // device status / cursor position report (DSR, CPR)
    term.parser.registerCsiHandler({ prefix: '?', final: 'n' }, swallow), // DEC-private form of the same (DECXCPR)
    ...COLOR_QUERY_OSCS.map((ident) => term.parser.registerOscHandler(ident, (data) => isColorQuery(data))),
  ];
  return { dispose: () => handlers.forEach((h) => h.dispose()) };
}
