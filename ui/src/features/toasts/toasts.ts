// Toast queue rules (pure): bounded length, errors stay longer.
export type ToastKind = 'error' | 'info' | 'success';

export type Toast = {
  id: number;
  kind: ToastKind;
  message: string;
  /** Makes the message a button (e.g. open the task a run belongs to); the toast closes when clicked. */
  onClick?: () => void;
  /** A one-line reply box (answer a waiting agent); `send` rejects with the message to show. */
  reply?: ToastReply;
};

export type ToastReply = { label: string; send: (text: string) => Promise<void> };

export const MAX_TOASTS = 4;

/** A toast with a reply box stays a minute (and does not close at all while its box has focus or text). */
export function toastDuration(kind: ToastKind, hasReply = false): number {
  if (hasReply) return 60_000;
  return kind === 'error' ? 7000 : 3500;
}

/** Adds a toast, dropping the oldest beyond MAX_TOASTS and a duplicate of the newest message. */
export function pushToast(list: readonly Toast[], toast: Toast): Toast[] {
  const last = list[list.length - 1];
  const base = last && last.message === toast.message && last.kind === toast.kind ? list.slice(0, -1) : list;
  return [...base, toast].slice(-MAX_TOASTS);
}
