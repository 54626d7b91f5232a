// Asking a virtualised column to scroll a card into view (so it is mounted and can take the focus): the keyboard
// layer (features/keyboard) moves to a card that may be scrolled out of its column.
const EVENT = 'viban:reveal-card';

export function requestReveal(taskId: string): void {
  window.dispatchEvent(new CustomEvent<string>(EVENT, { detail: taskId }));
}

/** Calls `reveal` with each task id asked for; returns the unsubscribe. */
export function onRevealRequest(reveal: (taskId: string) => void): () => void {
  const listener = (e: Event) => {
    const id = (e as CustomEvent<unknown>).detail;
    if (typeof id === 'string') reveal(id);
  };
  window.addEventListener(EVENT, listener);
  return () => window.removeEventListener(EVENT, listener);
}
