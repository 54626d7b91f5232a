import { useCallback, useEffect, useRef } from 'react';

/**
 * Loads on mount and again on `reload()`, at most once per `coalesceMs` — not a trailing debounce: a steady stream of
 * changes must not postpone the refetch forever. An answer that comes back after a newer load or a local change
 * (`invalidate()`) started is dropped. `fetch`, `apply` and `fail` should be stable (useCallback).
 */
export function useCoalescedLoad<T>(
  fetch: () => Promise<T>,
  apply: (value: T) => void,
  fail: (error: unknown) => void,
  coalesceMs: number,
): { reload: () => void; invalidate: () => void } {
  const generation = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const load = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const value = await fetch();
      if (mine === generation.current) apply(value);
    } catch (e) {
      if (mine === generation.current) fail(e);
    }
  }, [fetch, apply, fail]);

  const reload = useCallback(() => {
    if (timer.current !== null) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      void load();
    }, coalesceMs);
  }, [load, coalesceMs]);

  useEffect(() => {
    void load();
    return () => {
      generation.current += 1;
      if (timer.current !== null) clearTimeout(timer.current);
      timer.current = null;
    };
  }, [load]);

  const invalidate = useCallback(() => {
    generation.current += 1;
  }, []);

  return { reload, invalidate };
}
