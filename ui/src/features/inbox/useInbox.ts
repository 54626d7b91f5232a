// The inbox's data: loaded when signed in, again (debounced) when something it shows may have changed — a run of
// the open project changed, an agent started or stopped waiting — and every 10 s for the other projects.
import { useCallback, useEffect, useRef, useState } from 'react';
import { errorMessage } from '../../api/client';
import { getInbox } from '../../api/automation';
import type { InboxItem } from '../../api/generated/types';

const DEBOUNCE_MS = 300;
const POLL_MS = 10_000;

export type InboxState = {
  items: InboxItem[];
  error: string | null;
  refresh: () => void;
};

/** `changed`: any value that changes when the inbox may have (the caller's runs map, its waiting count). */
export function useInbox(live: boolean, changed: unknown): InboxState {
  const [items, setItems] = useState<InboxItem[]>([]);
  const [error, setError] = useState<string | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const seq = useRef(0);

  const load = useCallback(async () => {
    const mine = ++seq.current;
    try {
      const inbox = await getInbox();
      if (mine !== seq.current) return;
      setItems(inbox.items);
      setError(null);
    } catch (e) {
      if (mine === seq.current) setError(errorMessage(e));
    }
  }, []);

  const refresh = useCallback(() => {
    if (timer.current) clearTimeout(timer.current);
    timer.current = setTimeout(() => void load(), DEBOUNCE_MS);
  }, [load]);

  useEffect(() => {
    if (!live) return;
    const poll = setInterval(() => void load(), POLL_MS);
    return () => {
      clearInterval(poll);
      if (timer.current) clearTimeout(timer.current);
    };
  }, [live, load]);
  useEffect(() => {
    if (live) refresh();
  }, [live, refresh, changed]);

  return { items, error, refresh };
}
