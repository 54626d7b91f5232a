// The change feed's next reconnection attempt, for the offline banner's countdown and its Retry now button.
// useLiveEvents publishes here; the banner reads it (no props through App).
import { useEffect, useState, useSyncExternalStore } from 'react';

/** "Retrying in 5 s…", or "Retrying now…" while an attempt is under way (or due). */
export function retryLabel(at: number | null, now: number): string {
  const seconds = at === null ? 0 : Math.ceil((at - now) / 1000);
  return seconds > 0 ? `Retrying in ${seconds} s…` : 'Retrying now…';
}

let nextAt: number | null = null;
let retryNowFn: (() => void) | null = null;
const listeners = new Set<() => void>();

export function publishRetry(at: number | null): void {
  if (at === nextAt) return;
  nextAt = at;
  for (const l of listeners) l();
}

/** The connection's retryNow while one is running (null otherwise). */
export function setRetryNow(fn: (() => void) | null): void {
  retryNowFn = fn;
}

export function retryNow(): void {
  retryNowFn?.();
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};
const snapshot = () => nextAt;

/** The countdown text, ticking while the component is mounted. */
export function useRetryCountdown(): string {
  const at = useSyncExternalStore(subscribe, snapshot, snapshot);
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    setNow(Date.now());
    if (at === null) return;
    const timer = window.setInterval(() => setNow(Date.now()), 250);
    return () => window.clearInterval(timer);
  }, [at]);
  return retryLabel(at, now);
}
