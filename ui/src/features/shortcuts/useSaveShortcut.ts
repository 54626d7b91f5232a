import { useCallback, useRef, type KeyboardEvent } from 'react';
import { isSaveCombo, isSaveKeyS } from './shortcuts';

export type SaveShortcutOptions = {
  /** Keep the key from the handlers around this one (a form inside the task panel saves itself, not the task). */
  stopPropagation?: boolean;
  /** While false the key is not taken (left to the handlers around, and to the browser). */
  enabled?: boolean;
  /** Ctrl/Cmd+S saves too: only where no terminal is inside (the agents file), as it always did there. */
  alsoCtrlS?: boolean;
};

/**
 * The one save shortcut of every form and dialog: Ctrl+Enter (Cmd+Enter on macOS) runs `save` instead of the
 * key's default. Returns an onKeyDown handler that says whether it took the key, so a caller can go on to its
 * other keys (Esc) when it did not.
 */
export function useSaveShortcut<E extends Element = Element>(
  save: () => void,
  { stopPropagation = false, enabled = true, alsoCtrlS = false }: SaveShortcutOptions = {},
): (e: KeyboardEvent<E>) => boolean {
  const saveRef = useRef(save);
  saveRef.current = save;
  return useCallback(
    (e: KeyboardEvent<E>) => {
      if (!enabled || !(isSaveCombo(e) || (alsoCtrlS && isSaveKeyS(e)))) return false;
      e.preventDefault();
      if (stopPropagation) e.stopPropagation();
      saveRef.current();
      return true;
    },
    [enabled, stopPropagation, alsoCtrlS],
  );
}
