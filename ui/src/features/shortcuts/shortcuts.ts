// Global keyboard shortcuts (pure part): what a key press means, and when to ignore it.
export type ShortcutAction = 'new-task' | 'focus-search' | 'help' | 'open-agents' | 'open-disk' | 'open-inbox' | 'escape';

export type ShortcutSection = 'Board' | 'Task' | 'Terminal' | 'Tiles' | 'Changes';

export const SHORTCUT_SECTIONS: readonly ShortcutSection[] = ['Board', 'Task', 'Terminal', 'Tiles', 'Changes'];

export type Shortcut = {
  keys: readonly string[];
  description: string;
  section: ShortcutSection;
  /** The id of the command palette's command that does the same: the palette shows these keys beside it. */
  command?: string;
};

/**
 * Every key the `?` overlay lists, and where the command palette takes the keys it shows (by `command`), so the
 * two cannot disagree. features/keyboard, features/palette and features/cockpit add the board-wide and Tiles keys.
 */
export const SHORTCUTS: readonly Shortcut[] = [
  { keys: ['Ctrl', 'K'], description: 'Command palette: every action, project and task (⌘ K on macOS)', section: 'Board' },
  { keys: ['j'], description: 'Focus the next card down (also ↓); k or ↑ goes up', section: 'Board' },
  { keys: ['h'], description: 'Focus a card in the column to the left (also ←); l or → to the right', section: 'Board' },
  { keys: ['Enter'], description: 'On a focused card: open it', section: 'Board', command: 'open-target' },
  { keys: ['s'], description: 'On a focused card: start a run with the agent used last', section: 'Board', command: 'start-run' },
  { keys: ['Space'], description: 'On a focused card: pick up / drop it; arrows move it', section: 'Board' },
  { keys: ['n'], description: 'New task', section: 'Board', command: 'new-task' },
  { keys: ['/'], description: 'Focus the search box', section: 'Board', command: 'search' },
  { keys: ['?'], description: 'Show this help', section: 'Board', command: 'help' },
  { keys: [','], description: 'Settings: agents, updates', section: 'Board', command: 'settings' },
  { keys: ['w'], description: 'Disk usage: every worktree, cleanup', section: 'Board', command: 'disk' },
  { keys: ['i'], description: 'Inbox: everything waiting for you across projects (j/k, Enter opens, d dismisses)', section: 'Board', command: 'inbox' },
  { keys: ['Esc'], description: 'Close the open dialog or panel', section: 'Board' },
  { keys: ['t'], description: 'Focus the open task’s terminal', section: 'Task', command: 'focus-terminal' },
  { keys: ['Ctrl', 'Enter'], description: 'Save: the task, project settings, the agents file, a comment; start a run or send to the agent (⌘ Enter on macOS)', section: 'Task' },
  { keys: ['Ctrl', 'S'], description: 'In agents settings: save the agents file too (⌘ S on macOS)', section: 'Task' },
  { keys: ['Ctrl', 'Enter'], description: 'In a Commit/Merge/Rebase/Push/PR confirmation: run the command shown (Esc cancels)', section: 'Task' },
  { keys: ['Ctrl', 'Shift', 'X'], description: 'Leave the terminal (then Esc closes the panel, f maximises, Enter goes back)', section: 'Terminal' },
  { keys: ['Ctrl', 'Shift', 'M'], description: 'Maximise / restore the terminal', section: 'Terminal' },
  { keys: ['Ctrl', 'Shift', 'F'], description: 'Find in the scrollback', section: 'Terminal' },
  { keys: ['Ctrl', 'Shift', 'C'], description: 'Copy (Ctrl+Shift+V pastes; Ctrl+C stays the agent’s interrupt)', section: 'Terminal' },
  { keys: ['Ctrl', 'Shift', 'G'], description: 'Show / hide the Tiles view: up to four agents’ terminals side by side (works in a terminal too)', section: 'Tiles', command: 'tiles' },
  { keys: ['Ctrl', 'Shift', '←↑↓→'], description: 'In the Tiles view: move to the neighbouring tile', section: 'Tiles' },
  { keys: ['Alt', '1…4'], description: 'In the Tiles view: jump to tile 1 to 4', section: 'Tiles' },
  { keys: ['j'], description: 'In Changes: next file (k: previous)', section: 'Changes' },
  { keys: ['s'], description: 'In Changes: split / unified diff', section: 'Changes' },
  { keys: ['x'], description: 'In Changes: collapse / expand the file', section: 'Changes' },
];

/** The keys of the shortcut for palette command `command`, as the palette shows them ("Ctrl+Shift+G"), if any. */
export function commandKeys(command: string): string | undefined {
  return SHORTCUTS.find((s) => s.command === command)?.keys.join('+');
}

export type KeyLike = {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
};

/** True for elements where keys are text: inputs, text areas, selects, contenteditable. */
export function isTypingTarget(target: unknown): boolean {
  if (typeof target !== 'object' || target === null) return false;
  const el = target as { tagName?: unknown; isContentEditable?: unknown; type?: unknown };
  if (el.isContentEditable === true) return true;
  const tag = typeof el.tagName === 'string' ? el.tagName.toUpperCase() : '';
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = typeof el.type === 'string' ? el.type.toLowerCase() : 'text';
  return !['button', 'checkbox', 'radio', 'submit', 'reset', 'range', 'color', 'file'].includes(type);
}

/** The action for a key press, or null. Escape always counts; letters never while typing or with modifiers. */
export function matchShortcut(e: KeyLike, typing: boolean): ShortcutAction | null {
  if (e.key === 'Escape') return 'escape';
  if (typing || e.ctrlKey || e.metaKey || e.altKey) return null;
  switch (e.key) {
    case 'n':
    case 'N':
      return 'new-task';
    case '/':
      return 'focus-search';
    case '?':
      return 'help';
    case ',':
      return 'open-agents';
    case 'w':
      return 'open-disk';
    case 'i':
      return 'open-inbox';
    default:
      return null;
  }
}

/** Ctrl+K, or Cmd+K on macOS: the command palette (opens it on the board, closes it inside). */
export function isPaletteCombo(e: KeyLike & { shiftKey: boolean }): boolean {
  return (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && (e.key === 'k' || e.key === 'K');
}

/** Ctrl+Enter, or Cmd+Enter on macOS: save (the one save shortcut of every form, see useSaveShortcut). */
export function isSaveCombo(e: KeyLike): boolean {
  return e.key === 'Enter' && (e.ctrlKey || e.metaKey);
}

/** Ctrl+S, or Cmd+S on macOS: also saves the agents file (the browser's "save page" is never wanted there). */
export function isSaveKeyS(e: KeyLike): boolean {
  return (e.key === 's' || e.key === 'S') && (e.ctrlKey || e.metaKey) && !e.altKey;
}
