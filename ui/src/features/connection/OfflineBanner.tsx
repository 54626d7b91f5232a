import { UNREACHABLE } from '../../api/client';
import { retryNow, useRetryCountdown } from './retry';

/**
 * Over a board that may be out of date: why, and that it comes back by itself (the feed retries with backoff).
 * `restartingTo`: this tab sent Restart to update (to that version, '' when unknown), so the server being away is
 * the planned restart, said calmly.
 */
export function OfflineBanner({ restartingTo = null }: { restartingTo?: string | null }) {
  if (restartingTo !== null) {
    return (
      <div className="offline-banner offline-banner-restarting" role="status" data-testid="offline-banner" data-restarting="true">
        <span className="spinner" aria-hidden="true" />
        <strong>Restarting to update…</strong>
        <span>
          viban is installing{restartingTo ? ` version ${restartingTo}` : ' the update'} and starting again; this page
          reconnects by itself as soon as it answers.
        </span>
      </div>
    );
  }
  return (
    <div className="offline-banner" role="alert" data-testid="offline-banner">
      <strong>{UNREACHABLE}</strong>
      <span>
        The board below may be out of date (a card can still say Running); it updates as soon as the server answers.
      </span>
      <RetryCountdown />
    </div>
  );
}

/** When the next attempt is, and a button to make it now. Its own component: it re-renders on every tick. */
function RetryCountdown() {
  const label = useRetryCountdown();
  return (
    <span className="offline-retry">
      <span className="offline-countdown" data-testid="offline-countdown" aria-live="off">
        {label}
      </span>
      <button type="button" className="button button-small" data-testid="offline-retry-now" onClick={retryNow}>
        Retry now
      </button>
    </span>
  );
}
