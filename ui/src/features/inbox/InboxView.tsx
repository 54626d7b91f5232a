// The inbox: everything that waits for the user across projects, oldest first — agents waiting for an answer
// (answer from here), runs to review, failures and failed automations (dismissed here once seen). j/k or the
// arrows move, Enter opens the task, d dismisses a failure.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import { errorMessage } from '../../api/client';
import { dismissInbox } from '../../api/automation';
import type { InboxItem } from '../../api/generated/types';
import { Modal } from '../../components/Modal';
import { humanAge } from '../../lib/format';
import { sendReply } from '../attention/reply';
import { KIND_LABELS, canDismiss, itemKey, keepSelection, moveSelection } from './inbox';
import type { InboxState } from './useInbox';

type Props = {
  inbox: InboxState;
  onOpenTask: (taskId: string, projectId: string) => void;
  onClose: () => void;
};

function ReplyBox({ runId, onSent }: { runId: string; onSent: () => void }) {
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const send = async () => {
    if (!text.trim()) return;
    try {
      await sendReply(runId, text);
      setText('');
      setError(null);
      onSent();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <form
      className="inbox-reply"
      onSubmit={(e) => {
        e.preventDefault();
        void send();
      }}
    >
      <input
        type="text"
        aria-label="Answer"
        placeholder="Answer the agent (Enter sends)"
        data-testid="inbox-reply"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          // Letters are the answer, not the list's keys; Esc still closes.
          if (e.key !== 'Escape') e.stopPropagation();
        }}
      />
      <button type="submit" className="button" disabled={!text.trim()}>
        Send
      </button>
      {error && <span className="form-error">{error}</span>}
    </form>
  );
}

export function InboxView({ inbox, onOpenTask, onClose }: Props) {
  const { items, error, refresh } = inbox;
  const [selected, setSelected] = useState(items.length > 0 ? 0 : -1);
  const [actionError, setActionError] = useState<string | null>(null);
  const prev = useRef(items);
  useEffect(() => {
    setSelected((i) => keepSelection(prev.current, items, i < 0 ? 0 : i));
    prev.current = items;
  }, [items]);
  useEffect(() => refresh(), [refresh]);
  const listRef = useRef<HTMLOListElement>(null);
  useEffect(() => {
    listRef.current?.querySelector<HTMLElement>(`[data-index="${selected}"]`)?.scrollIntoView({ block: 'nearest' });
  }, [selected]);

  const open = (item: InboxItem) => {
    onOpenTask(item.task_id, item.project_id);
    onClose();
  };
  const dismiss = async (item: InboxItem) => {
    try {
      await dismissInbox(item.firing_id ? { firing_id: item.firing_id } : { run_id: item.run_id ?? undefined });
      setActionError(null);
      refresh();
    } catch (e) {
      setActionError(`Could not dismiss it: ${errorMessage(e)}`);
    }
  };
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const item = items[selected];
    switch (e.key) {
      case 'j':
      case 'ArrowDown':
        e.preventDefault();
        setSelected((i) => moveSelection(i, 1, items.length));
        return;
      case 'k':
      case 'ArrowUp':
        e.preventDefault();
        setSelected((i) => moveSelection(i, -1, items.length));
        return;
      case 'Enter':
        if (item && !(e.target instanceof HTMLInputElement)) {
          e.preventDefault();
          open(item);
        }
        return;
      case 'd':
        if (item && canDismiss(item)) {
          e.preventDefault();
          void dismiss(item);
        }
        return;
    }
  };

  const now = Date.now();
  return (
    <Modal title={`Inbox (${items.length})`} onClose={onClose} variant="side" className="inbox-dialog" testId="inbox" onKeyDown={onKeyDown}>
      <p className="muted">Everything waiting for you, oldest first. j/k move, Enter opens the task, d dismisses a failure.</p>
      {error && <p className="form-error">Cannot load the inbox: {error}</p>}
      {actionError && <p className="form-error">{actionError}</p>}
      {items.length === 0 ? (
        <p className="inbox-empty" data-testid="inbox-empty">
          Nothing waits for you.
        </p>
      ) : (
        <ol className="inbox-list" ref={listRef} tabIndex={0} aria-label="Waiting for you" data-autofocus>
          {items.map((item, i) => (
            <li
              key={itemKey(item)}
              data-index={i}
              data-testid="inbox-item"
              data-kind={item.kind}
              className={`inbox-item inbox-${item.kind} ${i === selected ? 'inbox-selected' : ''}`}
              aria-current={i === selected ? 'true' : undefined}
              onMouseDown={() => setSelected(i)}
            >
              <div className="inbox-head">
                <span className={`inbox-kind inbox-kind-${item.kind}`}>{KIND_LABELS[item.kind]}</span>
                <button type="button" className="link-button inbox-open" onClick={() => open(item)}>
                  {item.task_title}
                </button>
                <span className="muted">
                  {item.project_name}
                  {item.agent_name ? ` · ${item.agent_name}` : ''} · {humanAge(Math.max(0, (now - Date.parse(item.since)) / 1000))}
                </span>
                {canDismiss(item) && (
                  <button type="button" className="button button-small" onClick={() => void dismiss(item)} data-testid="inbox-dismiss">
                    Dismiss
                  </button>
                )}
              </div>
              {item.text && <pre className="inbox-text">{item.text}</pre>}
              {item.kind === 'waiting' && item.run_id && <ReplyBox runId={item.run_id} onSent={refresh} />}
            </li>
          ))}
        </ol>
      )}
    </Modal>
  );
}
