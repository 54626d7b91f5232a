import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { formatDuration, runDurationMs } from '../../lib/format';

const NowContext = createContext<number>(0);

/**
 * One clock for the whole board: a single interval, running only while some run is active. Only the
 * `LiveElapsed` leaves read it, so a tick redraws those few spans and never the columns or the cards.
 */
export function ElapsedClock({ ticking, children }: { ticking: boolean; children: ReactNode }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, [ticking]);
  return <NowContext.Provider value={now}>{children}</NowContext.Provider>;
}

/** Time since `startedAt`, ticking with the board's clock. */
export function LiveElapsed({ startedAt }: { startedAt: string }) {
  // The context only says when to redraw; the time itself is read now, so a card scrolled into view (or a clock
  // that only just started ticking) never shows a stale value for a second.
  useContext(NowContext);
  const ms = runDurationMs({ started_at: startedAt, finished_at: null }, Date.now());
  return (
    <span className="card-run-elapsed" data-testid="card-run-elapsed">
      {ms === null ? '' : formatDuration(ms)}
    </span>
  );
}
