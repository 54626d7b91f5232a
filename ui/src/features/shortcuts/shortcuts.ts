// Global keyboard shortcuts (pure part): what a key press means, and when to ignore it.
export type ShortcutAction = 'new-task' | 'focus-search' | 'help' | 'open-agents' | 'open-disk' | 'escape';

export const SHORTCUTS: readonly { keys: string[]; description: string }[] = [
  { keys: ['n'], description: 'New task' },
  { keys: ['/'], description: 'Focus the search box' },
  { keys: ['?'], description: 'Show this help' },
  { keys: [','], description: 'Agents settings' },
  { keys: ['w'], description: 'Disk usage: every worktree, cleanup' },
  { keys: ['Esc'], description: 'Close the open dialog or panel' },
  { keys: ['Ctrl', 'Enter'], description: 'Save the task being edited (⌘ Enter on macOS)' },
  { keys: ['Ctrl', 'S'], description: 'In agents settings: save the agents file (⌘ S on macOS)' },
  { keys: ['Space'], description: 'On a focused card: pick up / drop it; arrows move it' },
  { keys: ['Enter'], description: 'On a focused card: open it' },
  { keys: ['j'], description: 'In Changes: next file (k: previous)' },
  { keys: ['s'], description: 'In Changes: split / unified diff' },
  { keys: ['x'], description: 'In Changes: collapse / expand the file' },
  { keys: ['Ctrl', 'Enter'], description: 'In a Commit/Merge/Rebase/Push/PR confirmation: run the command shown (Esc cancels)' },
];

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
    default:
      return null;
  }
}

/** Ctrl+Enter, or Cmd+Enter on macOS: save. */
export function isSaveCombo(e: KeyLike): boolean {
  return e.key === 'Enter' && (e.ctrlKey || e.metaKey);
}
