// The board's global keys (features/shortcuts): Esc closes what is on top, and n / / ? , w open things.
import type { RefObject } from 'react';
import { useShortcuts } from '../features/shortcuts/useShortcuts';
import type { Dialogs } from './useDialogs';

type Args = {
  live: boolean;
  dialogs: Dialogs;
  panelOpen: boolean;
  closePanel: () => void;
  tilesOpen: boolean;
  closeTiles: () => void;
  canCreate: boolean;
  newTask: () => void;
  searchRef: RefObject<HTMLInputElement | null>;
};

export function useAppShortcuts({ live, dialogs, panelOpen, closePanel, tilesOpen, closeTiles, canCreate, newTask, searchRef }: Args) {
  useShortcuts((action, e) => {
    // Signed out: the sign-in screen covers everything; keys must not open dialogs beneath it.
    if (!live) return;
    switch (action) {
      case 'escape':
        if (dialogs.helpOpen) dialogs.setHelpOpen(false);
        else if (panelOpen) closePanel();
        else if (tilesOpen) closeTiles();
        else if (dialogs.dialog) dialogs.close(dialogs.dialog);
        return;
      case 'open-disk':
        if (dialogs.any) return;
        e.preventDefault();
        dialogs.open('disk');
        return;
      case 'open-inbox':
        if (dialogs.any) return;
        e.preventDefault();
        dialogs.open('inbox');
        return;
      case 'open-agents':
        if (dialogs.any) return;
        e.preventDefault();
        dialogs.open('agents');
        return;
      case 'help':
        e.preventDefault();
        dialogs.setHelpOpen((v) => !v);
        return;
      case 'new-task':
        if (dialogs.any || !canCreate) return;
        e.preventDefault();
        newTask();
        return;
      case 'focus-search':
        if (dialogs.any) return;
        e.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
        return;
    }
  });
}
