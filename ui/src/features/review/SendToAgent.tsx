// Send to agent: the server builds the follow-up prompt from the unresolved comments not sent yet; it is shown
// editable, and Start begins the follow-up run in the same worktree (the server records it on the comments).
import { useEffect, useReducer } from 'react';
import type { Run } from '../../api/generated/types';
import { errorMessage } from '../../api/client';
import { Modal } from '../../components/Modal';
import { useSaveShortcut } from '../shortcuts/useSaveShortcut';
import { sendReducer } from './comments';
import { commentPrompt, sendComments } from '../../api/review';

type Props = { runId: string; onClose: () => void; onStarted: (run: Run) => void };

export function SendToAgent({ runId, onClose, onStarted }: Props) {
  const [state, dispatch] = useReducer(sendReducer, { step: 'loading' });

  useEffect(() => {
    let live = true;
    commentPrompt(runId)
      .then((p) => live && dispatch({ type: 'loaded', prompt: p.prompt, ids: p.ids }))
      .catch((e: unknown) => live && dispatch({ type: 'load-failed', error: errorMessage(e) }));
    return () => {
      live = false;
    };
  }, [runId]);

  const start = async () => {
    if (state.step !== 'editing' || !state.prompt.trim()) return;
    dispatch({ type: 'start' });
    try {
      const run = await sendComments(runId, state.prompt, state.ids);
      dispatch({ type: 'started' });
      onStarted(run);
      onClose();
    } catch (e) {
      dispatch({ type: 'start-failed', error: errorMessage(e) });
    }
  };
  const onSaveKey = useSaveShortcut<HTMLDivElement>(() => void start());

  return (
    <Modal
      title="Send the comments to the agent"
      onClose={() => state.step !== 'starting' && onClose()}
      testId="send-to-agent"
      onKeyDown={onSaveKey}
    >
      {state.step === 'loading' && <p className="muted small">Building the prompt…</p>}
      {state.step === 'failed' && <p className="form-error" role="alert">Could not build the prompt: {state.error}</p>}
      {(state.step === 'editing' || state.step === 'starting') && (
        <>
          <p className="small muted">
            A follow-up run in the same worktree gets this prompt ({state.ids.length} comment(s)). Edit it as you like.
          </p>
          <textarea
            className="send-prompt"
            rows={14}
            value={state.prompt}
            disabled={state.step === 'starting'}
            onChange={(e) => dispatch({ type: 'edit', prompt: e.target.value })}
            data-testid="send-prompt"
            data-autofocus
          />
          {state.step === 'editing' && state.error && (
            <p className="form-error" role="alert" data-testid="send-error">{state.error}</p>
          )}
          <div className="land-dialog-actions">
            <button type="button" className="button button-primary" data-testid="send-start" disabled={state.step === 'starting' || !state.prompt.trim()} onClick={() => void start()}>
              {state.step === 'starting' ? 'Starting…' : 'Start follow-up'}
            </button>
            <button type="button" className="button" disabled={state.step !== 'editing' || state.prompt === state.original} onClick={() => dispatch({ type: 'reset' })}>
              Reset to the built prompt
            </button>
            <button type="button" className="button" disabled={state.step === 'starting'} onClick={onClose}>
              Cancel
            </button>
            <span className="muted small">Ctrl+Enter starts</span>
          </div>
        </>
      )}
    </Modal>
  );
}
