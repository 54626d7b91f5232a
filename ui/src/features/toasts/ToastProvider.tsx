import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { pushToast, toastDuration, type Toast, type ToastKind } from './toasts';

export type ToastOptions = { onClick?: () => void };

type Notify = (kind: ToastKind, message: string, options?: ToastOptions) => void;

const ToastContext = createContext<Notify>(() => {});

/** `const notify = useToast(); notify('error', 'Could not save')`; `notify('info', 'Done', { onClick })` is clickable. */
export function useToast(): Notify {
  return useContext(ToastContext);
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);

  const dismiss = useCallback((id: number) => setToasts((l) => l.filter((t) => t.id !== id)), []);
  const notify = useCallback<Notify>((kind, message, options) => {
    const id = nextId.current++;
    setToasts((l) => pushToast(l, { id, kind, message, onClick: options?.onClick }));
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
  useEffect(() => {
    const timer = window.setTimeout(() => onDismiss(toast.id), toastDuration(toast.kind));
    return () => window.clearTimeout(timer);
  }, [toast.id, toast.kind, onDismiss]);

  return (
    <div
      className={`toast toast-${toast.kind}`}
      role={toast.kind === 'error' ? 'alert' : 'status'}
      data-testid="toast"
      data-kind={toast.kind}
    >
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
      <button type="button" className="icon-button" aria-label="Dismiss" onClick={() => onDismiss(toast.id)}>
        ×
      </button>
    </div>
  );
}
