import { useEffect, useRef, useState } from 'react';
import { eventsUrl, type LiveEvent } from '../../api/client';
import { LiveConnection, type ConnectionState, type SocketLike } from './liveConnection';
import { publishRetry, setRetryNow } from './retry';
import { ticket } from '../../api/auth';

function browserSocket(url: string): SocketLike {
  const ws = new WebSocket(url);
  const socket: SocketLike = { onopen: null, onclose: null, onerror: null, onmessage: null, close: () => ws.close() };
  ws.onopen = (e) => socket.onopen?.(e);
  ws.onclose = (e) => socket.onclose?.(e);
  ws.onerror = (e) => socket.onerror?.(e);
  ws.onmessage = (e: MessageEvent) => socket.onmessage?.({ data: e.data });
  return socket;
}

async function checkHealth(): Promise<boolean> {
  const ctrl = new AbortController();
  const timer = window.setTimeout(() => ctrl.abort(), 2500);
  try {
    // Needs no credential; cookies are never sent anywhere.
    const res = await fetch('/api/health', { cache: 'no-store', credentials: 'omit', signal: ctrl.signal });
    return res.ok;
  } catch {
    return false;
  } finally {
    window.clearTimeout(timer);
  }
}

export type LiveHandlers = {
  onEvent: (event: LiveEvent) => void;
  /** The socket (re)opened or the server asked for a resync: refetch everything shown. */
  onResync: () => void;
};

// Components deeper in the tree (e.g. a task's runs) see the same feed through useLiveSubscription instead of
// opening a second socket.
const subscribers = new Set<{ current: LiveHandlers }>();

/** Receives every change-feed event and resync of the app's one connection while the component is mounted. */
export function useLiveSubscription(handlers: LiveHandlers): void {
  const ref = useRef(handlers);
  ref.current = handlers;
  useEffect(() => {
    subscribers.add(ref);
    return () => {
      subscribers.delete(ref);
    };
  }, []);
}

/** Keeps one change-feed WebSocket open for the app's lifetime and reports its state. */
export function useLiveEvents(handlers: LiveHandlers, enabled: boolean): ConnectionState {
  const [state, setState] = useState<ConnectionState>('reconnecting');
  const ref = useRef(handlers);
  ref.current = handlers;

  useEffect(() => {
    if (!enabled) return;
    const conn = new LiveConnection({
      url: eventsUrl(window.location),
      ticket,
      createSocket: browserSocket,
      checkHealth,
      onState: setState,
      onRetryScheduled: publishRetry,
      onOpen: () => {
        ref.current.onResync();
        for (const s of subscribers) s.current.onResync();
      },
      onEvent: (event) => {
        for (const h of [ref.current, ...[...subscribers].map((s) => s.current)]) {
          if (event.type === 'resync') h.onResync();
          else h.onEvent(event);
        }
      },
    });
    const onOnline = () => conn.retryNow();
    const onVisible = () => {
      if (document.visibilityState === 'visible') conn.retryNow();
    };
    window.addEventListener('online', onOnline);
    document.addEventListener('visibilitychange', onVisible);
    setRetryNow(() => conn.retryNow());
    conn.start();
    return () => {
      setRetryNow(null);
      publishRetry(null);
      window.removeEventListener('online', onOnline);
      document.removeEventListener('visibilitychange', onVisible);
      conn.stop();
    };
  }, [enabled]);

  return state;
}
