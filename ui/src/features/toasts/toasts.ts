// Toast queue rules (pure): bounded length, errors stay longer.
export type ToastKind = 'error' | 'info' | 'success';

export type Toast = {
  id: number;
  kind: ToastKind;
  message: string;
  /** Makes the message a button (e.g. open the task a run belongs to); the toast closes when clicked. */
  onClick?: () => void;
};

export const MAX_TOASTS = 4;

export function toastDuration(kind: ToastKind): number {
  return kind === 'error' ? 7000 : 3500;
}

/** Adds a toast, dropping the oldest beyond MAX_TOASTS and a duplicate of the newest message. */
export function pushToast(list: readonly Toast[], toast: Toast): Toast[] {
  const last = list[list.length - 1];
  const base = last && last.message === toast.message && last.kind === toast.kind ? list.slice(0, -1) : list;
  return [...base, toast].slice(-MAX_TOASTS);
}
