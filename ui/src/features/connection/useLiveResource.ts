import { useCallback, useEffect, useRef, useState } from 'react';
import { createLiveLoader, type LiveLoader } from './liveLoader';

export type LiveResourceOptions<K, R, T, E> = {
  /** What to load; `null` loads nothing. A new key forgets the value and the error and loads at once. */
  key: K | null;
  fetch: (key: K) => Promise<R>;
  /**
   * The value an answer makes, given the value held now (null before the key's first answer), or `undefined` to
   * drop the answer as stale. Called once per answer for the current key, outside any state updater, so it may
   * report what changed.
   */
  accept: (answer: R, current: T | null) => T | undefined;
  /** What a failed load shows as `error`, or `null` to ignore the failure. The last good value stays either way. */
  toError: (error: unknown) => E | null;
  /** Quiet time before a scheduled reload runs (bursts of change events collapse into one request). */
  debounceMs: number;
};

export type LiveResource<T, E> = {
  /** The last good value; null before the first answer for the current key. */
  value: T | null;
  /** The last load's failure, cleared by the next answer. */
  error: E | null;
  /** A key is set and neither an answer nor a failure has arrived for it yet. */
  loading: boolean;
  /** The value held now, including local changes not rendered yet. */
  current: () => T | null;
  /** A local change (optimistic update, a save's answer) ahead of the refetch that confirms it. */
  update: (change: (current: T | null) => T | null) => void;
  /** Refetch soon (debounced). */
  scheduleReload: () => void;
  /** Refetch now (or right after the load in flight). */
  reloadNow: () => void;
};

type State<T, E> = { value: T | null; error: E | null; loading: boolean };

/**
 * Something on screen loaded from the API and kept current: the caller routes the change feed's events to
 * `scheduleReload`. Loads are coalesced (see createLiveLoader), and a failed refresh keeps showing the last value.
 */
export function useLiveResource<K, R, T, E>(options: LiveResourceOptions<K, R, T, E>): LiveResource<T, E> {
  const { key } = options;
  const optionsRef = useRef(options);
  optionsRef.current = options;
  // Refs hold what the async loads compare against, so the loader is made once.
  const keyRef = useRef<K | null>(key);
  const valueRef = useRef<T | null>(null);
  const [state, setState] = useState<State<T, E>>(() => ({ value: null, error: null, loading: key !== null }));

  const [loader] = useState<LiveLoader>(() =>
    createLiveLoader<K, R>({
      key: () => keyRef.current,
      fetch: (k) => optionsRef.current.fetch(k),
      onAnswer: (answer) => {
        const next = optionsRef.current.accept(answer, valueRef.current);
        if (next === undefined) return;
        valueRef.current = next;
        setState({ value: next, error: null, loading: false });
      },
      onFailure: (e) => {
        const error = optionsRef.current.toError(e);
        if (error !== null) setState((s) => ({ ...s, error, loading: false }));
      },
      debounceMs: options.debounceMs,
    }),
  );

  useEffect(() => {
    keyRef.current = key;
    loader.cancel();
    valueRef.current = null;
    const loading = key !== null;
    setState((s) => (s.value === null && s.error === null && s.loading === loading ? s : { value: null, error: null, loading }));
    if (key !== null) void loader.reloadNow();
    return () => loader.cancel();
  }, [key, loader]);

  const current = useCallback(() => valueRef.current, []);
  const update = useCallback((change: (current: T | null) => T | null) => {
    const next = change(valueRef.current);
    if (next === valueRef.current) return;
    valueRef.current = next;
    setState((s) => ({ ...s, value: next }));
  }, []);
  const reloadNow = useCallback(() => void loader.reloadNow(), [loader]);

  return { ...state, current, update, scheduleReload: loader.scheduleReload, reloadNow };
}
