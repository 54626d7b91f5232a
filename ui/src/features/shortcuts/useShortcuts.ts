import { useEffect, useRef } from 'react';
import { isTypingTarget, matchShortcut, type ShortcutAction } from './shortcuts';

/** Installs one global keydown listener that dispatches shortcut actions to `handler`. */
export function useShortcuts(handler: (action: ShortcutAction, event: KeyboardEvent) => void): void {
  const ref = useRef(handler);
  ref.current = handler;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.isComposing) return;
      const action = matchShortcut(e, isTypingTarget(e.target));
      if (action) ref.current(action, e);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
