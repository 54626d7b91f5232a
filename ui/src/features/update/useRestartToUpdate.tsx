import { useCallback, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { errorMessage } from '../../api/client';
import { Modal } from '../../components/Modal';
import { useToast } from '../toasts/ToastProvider';
import { restartToUpdate } from './restart';
import { useUpdate } from './useUpdate';

export type RestartToUpdate = {
  /** Sends Restart to update (asking first when agents are running). */
  start: () => void;
  busy: boolean;
  /** The "agents are running" question while it is asked; render it anywhere. */
  dialog: ReactNode;
};

type Asking = { message: string; resolve: (yes: boolean) => void };

/** Restart to update from a button: the request, the confirm dialog for running agents, and the planned restart. */
export function useRestartToUpdate(): RestartToUpdate {
  const update = useUpdate();
  const notify = useToast();
  const [busy, setBusy] = useState(false);
  const [asking, setAsking] = useState<Asking | null>(null);
  const busyRef = useRef(false);
  const stateRef = useRef(update.state);
  stateRef.current = update.state;
  const { planRestart, refresh } = update;

  const start = useCallback(() => {
    const state = stateRef.current;
    if (!state || busyRef.current) return;
    busyRef.current = true;
    setBusy(true);
    const ask = (message: string) => new Promise<boolean>((resolve) => setAsking({ message, resolve }));
    restartToUpdate(ask)
      .then((result) => {
        if (result === 'started') {
          planRestart({ from: state.current_version, to: state.offer?.version ?? '', at: Date.now() });
        }
      })
      .catch((e: unknown) => {
        notify('error', `Could not restart to update: ${errorMessage(e)}`);
        refresh();
      })
      .finally(() => {
        busyRef.current = false;
        setBusy(false);
        setAsking(null);
      });
  }, [notify, planRestart, refresh]);

  const answer = (yes: boolean) => {
    asking?.resolve(yes);
    setAsking(null);
  };

  // In a portal: Settings is a dialog itself, and this one must not live inside its focus trap.
  const dialog = asking
    ? createPortal(
        <Modal title="Restart to update?" onClose={() => answer(false)} testId="update-confirm" className="update-confirm">
          <p data-testid="update-confirm-message">{asking.message}</p>
          <div className="form-actions">
            <button type="button" className="button button-danger" data-testid="update-confirm-stop" onClick={() => answer(true)}>
              Stop agents and restart
            </button>
            <button type="button" className="button" data-autofocus data-testid="update-confirm-cancel" onClick={() => answer(false)}>
              Cancel
            </button>
          </div>
        </Modal>,
        document.body,
      )
    : null;

  return { start, busy, dialog };
}
