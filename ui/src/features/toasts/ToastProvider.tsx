import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { pushToast, toastDuration, type Toast, type ToastKind, type ToastReply } from './toasts';

export type ToastOptions = { onClick?: () => void; reply?: ToastReply };

type Notify = (kind: ToastKind, message: string, options?: ToastOptions) => void;

const ToastContext = createContext<Notify>(() => {});

/**
 * `const notify = useToast(); notify('error', 'Could not save')`; `notify('info', 'Done', { onClick })` is clickable;
 * `{ reply: { label, send } }` adds a one-line reply box.
 */
export function useToast(): Notify {
  return useContext(ToastContext);
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((l) => l.filter((t) => t.id !== id)), []);
  const notify = useCallback<Notify>((kind, message, options) => {
    const id = nextId.current++;
    setToasts((l) => pushToast(l, { id, kind, message, onClick: options?.onClick, reply: options?.reply }));
  }, []);
  const value = useMemo(() => notify, [notify]);

  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="toasts" aria-live="polite">
        {toasts.map((t) => (
          <ToastItem key={t.id} toast={t} onDismiss={dismiss} />
        ))}
      </div>
    </ToastContext.Provider>
  );
}

function ToastItem({ toast, onDismiss }: { toast: Toast; onDismiss: (id: number) => void }) {
  // While the reply box has focus or text the toast stays; it never closes under someone typing.
  const [holding, setHolding] = useState(false);
  useEffect(() => {
    if (holding) return;
    const timer = window.setTimeout(() => onDismiss(toast.id), toastDuration(toast.kind, toast.reply !== undefined));
    return () => window.clearTimeout(timer);
  }, [toast.id, toast.kind, toast.reply, onDismiss, holding]);

  return (
    <div
      className={`toast toast-${toast.kind}`}
      role={toast.kind === 'error' ? 'alert' : 'status'}
      data-testid="toast"
      data-kind={toast.kind}
    >
      <div className="toast-body">
        {toast.onClick ? (
          <button
            type="button"
            className="toast-message toast-action"
            onClick={() => {
              toast.onClick?.();
              onDismiss(toast.id);
            }}
          >
            {toast.message}
          </button>
        ) : (
          <span className="toast-message">{toast.message}</span>
        )}
        {toast.reply && <ReplyBox reply={toast.reply} onHold={setHolding} onSent={() => onDismiss(toast.id)} />}
      </div>
      <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => onDismiss(toast.id)}>
        ×
      </button>
    </div>
  );
}

function ReplyBox({ reply, onHold, onSent }: { reply: ToastReply; onHold: (v: boolean) => void; onSent: () => void }) {
  const [text, setText] = useState('');
  const [sending, setSending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const focused = useRef(false);
  const hold = (t: string) => onHold(focused.current || t !== '');

  return (
    <form
      className="toast-reply"
      onSubmit={(e) => {
        e.preventDefault();
        if (sending) return;
        setSending(true);
        setError(null);
        reply
          .send(text)
          .then(onSent)
          .catch((err: unknown) => {
            setError(err instanceof Error ? err.message : String(err));
            setSending(false);
          });
      }}
    >
      <input
        data-testid="toast-reply-input"
        aria-label={reply.label}
        placeholder={`${reply.label} (Enter sends)`}
        value={text}
        disabled={sending}
        onChange={(e) => {
          setText(e.target.value);
          hold(e.target.value);
        }}
        onFocus={() => {
          focused.current = true;
          hold(text);
        }}
        onBlur={() => {
          focused.current = false;
          hold(text);
        }}
        onKeyDown={(e) => e.stopPropagation()}
      />
      <button type="submit" className="button" data-testid="toast-reply-send" disabled={sending}>
        Send
      </button>
      {error && (
        <div className="toast-reply-error" role="alert" data-testid="toast-reply-error">
          {error}
        </div>
      )}
    </form>
  );
}
