import { UNREACHABLE } from '../../api/client';

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
        The board below may be out of date (a card can still say Running). Retrying automatically every few seconds;
        it updates as soon as the server answers.
      </span>
    </div>
  );
}
