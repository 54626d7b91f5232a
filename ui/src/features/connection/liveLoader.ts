import { debounce } from './debounce';

export type LiveLoaderOptions<K, R> = {
  /** What to load now; `null` loads nothing. Read when a load starts and again when its answer arrives. */
  key: () => K | null;
  fetch: (key: K) => Promise<R>;
  /** An answer for the key that is still current (answers for a key that changed meanwhile are dropped). */
  onAnswer: (answer: R, key: K) => void;
  /** A failed load (or a throwing `onAnswer`) for the key that is still current. */
  onFailure: (error: unknown, key: K) => void;
  /** Quiet time before a scheduled reload runs. */
  debounceMs: number;
};

export type LiveLoader = {
  /** Loads now; while a load is in flight, one more runs after it instead (any number of requests collapse). */
  reloadNow: () => Promise<void>;
  /** Loads after `debounceMs` without another call: a burst of change events causes one request. */
  scheduleReload: () => void;
  /** Drops a scheduled reload (a load in flight finishes). */
  cancel: () => void;
};

/**
 * The loads of something shown on screen and refetched whenever the change feed says it may have changed: one
 * request in flight at a time, at most one queued behind it, debounced scheduling, and answers for a key that is no
 * longer current dropped.
 */
export function createLiveLoader<K, R>(options: LiveLoaderOptions<K, R>): LiveLoader {
  let inflight = false;
  let again = false;

  const reloadNow = async () => {
    if (inflight) {
      again = true;
      return;
    }
    inflight = true;
    try {
      do {
        again = false;
        const key = options.key();
        if (key === null) return;
        try {
          const answer = await options.fetch(key);
          if (options.key() !== key) continue;
          options.onAnswer(answer, key);
        } catch (e) {
          if (options.key() !== key) continue;
          options.onFailure(e, key);
        }
      } while (again);
    } finally {
      inflight = false;
    }
  };

  const scheduled = debounce(() => void reloadNow(), options.debounceMs);
  return { reloadNow, scheduleReload: () => scheduled(), cancel: () => scheduled.cancel() };
}
