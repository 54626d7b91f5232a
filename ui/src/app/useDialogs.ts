// The board's dialogs: one of them at a time, and the `?` help, which may sit over any of them.
import { useCallback, useState } from 'react';

export type DialogName = 'add-project' | 'project-settings' | 'agents' | 'disk' | 'inbox' | 'automation';

export type Dialogs = {
  dialog: DialogName | null;
  helpOpen: boolean;
  /** A dialog or the help is open: the board's keys are held back (the task pane beside the board is not modal). */
  any: boolean;
  open: (name: DialogName) => void;
  /** Closes `name` if it is the one open. */
  close: (name: DialogName) => void;
  setHelpOpen: (open: boolean | ((open: boolean) => boolean)) => void;
};

export function useDialogs(): Dialogs {
  const [dialog, setDialog] = useState<DialogName | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const open = useCallback((name: DialogName) => setDialog(name), []);
  const close = useCallback((name: DialogName) => setDialog((current) => (current === name ? null : current)), []);
  return { dialog, helpOpen, any: dialog !== null || helpOpen, open, close, setHelpOpen };
}
