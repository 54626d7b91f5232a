import { UNREACHABLE } from '../../api/client';

/** Over a board that may be out of date: why, and that it comes back by itself (the feed retries with backoff). */
export function OfflineBanner() {
  return (
    <div className="offline-banner" role="alert" data-testid="offline-banner">
      <strong>{UNREACHABLE}</strong>
      <span>
        The board below may be out of date (a card can still say Running). Retrying automatically every few seconds;
        it updates as soon as the server answers.
      </span>
    </div>
  );
}
