// What a key pressed inside a live terminal does. Everything not listed here goes to the agent, Esc included
// (vim, Claude Code and most TUIs need it), so leaving the terminal or reaching the panel takes a deliberate chord.

export type TerminalKeyAction = 'copy' | 'paste' | 'find' | 'leave' | 'maximize';

export type TerminalKeyLike = {
  type: string;
  key: string;
  ctrlKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
  metaKey: boolean;
};

/**
 * The panel's action for a keydown inside the terminal, or null when the key belongs to the agent.
 * Ctrl+Shift+C / V copy and paste (Ctrl+C stays the agent's interrupt), Ctrl+Shift+F finds in the scrollback,
 * Ctrl+Shift+M maximises or restores, Ctrl+Shift+X leaves the terminal (then Esc closes the panel).
 */
export function terminalKeyAction(e: TerminalKeyLike): TerminalKeyAction | null {
  if (e.type !== 'keydown' || !e.ctrlKey || !e.shiftKey || e.altKey || e.metaKey) return null;
  switch (e.key.toLowerCase()) {
    case 'c':
      return 'copy';
    case 'v':
      return 'paste';
    case 'f':
      return 'find';
    case 'm':
      return 'maximize';
    case 'x':
      return 'leave';
    default:
      return null;
  }
}

/** Keys on the terminal's frame (focus left the terminal): Esc is the panel's again. */
export type FrameKeyAction = 'maximize' | 'enter' | 'restore' | null;

export function frameKeyAction(e: TerminalKeyLike, maximized: boolean): FrameKeyAction {
  if (e.type !== 'keydown' || e.ctrlKey || e.altKey || e.metaKey) return null;
  if (e.key === 'f' || e.key === 'F') return 'maximize';
  if (e.key === 'Enter') return 'enter';
  // A maximised terminal covers the panel: the first Esc restores it instead of closing what is under it.
  if (e.key === 'Escape' && maximized) return 'restore';
  return null;
}
