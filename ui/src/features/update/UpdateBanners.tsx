// The slim banners under the header: a new version (Restart to update, release notes, Later), the download's
// progress, "Installing…", a failed check or download (Try again), and what the last install did (updated, rolled
// back, failed). In the page's flow, never over it; nothing at all when this viban cannot update itself.
import { Suspense, lazy, useCallback, useEffect, useId, useState } from 'react';
import { errorMessage } from '../../api/client';
import { useToast } from '../toasts/ToastProvider';
import {
  LATER_KEY,
  bannerRole,
  bannerTone,
  bannersFor,
  localStore,
  outcomeText,
  progressPercent,
  progressText,
  readLater,
  rememberLater,
  type UpdateBanner,
} from './update';
import { updateApi } from '../../api/update';
import { useRestartToUpdate } from './useRestartToUpdate';
import { useUpdate } from './useUpdate';

const MarkdownPreview = lazy(() => import('../tasks/MarkdownPreview'));

export function UpdateBanners() {
  const update = useUpdate();
  const notify = useToast();
  const restart = useRestartToUpdate();
  const [later, setLater] = useState<string | null>(() => readLater(localStore()));
  const [dismissedError, setDismissedError] = useState<string | null>(null);
  const [dismissedOutcome, setDismissedOutcome] = useState<string | null>(null);
  const [checking, setChecking] = useState(false);

  // "Later" in another tab hides it here too.
  useEffect(() => {
    const onStorage = (e: StorageEvent) => {
      if (e.key === LATER_KEY) setLater(e.newValue);
    };
    window.addEventListener('storage', onStorage);
    return () => window.removeEventListener('storage', onStorage);
  }, []);

  const { expectChange, refresh } = update;
  const tryAgain = useCallback(() => {
    setChecking(true);
    updateApi
      .check()
      .then(() => expectChange())
      .catch((e: unknown) => notify('error', `Could not check for updates: ${errorMessage(e)}`))
      .finally(() => setChecking(false));
  }, [expectChange, notify]);

  const dismissOutcome = useCallback(
    (at: string) => {
      setDismissedOutcome(at);
      updateApi
        .dismiss()
        .then(() => refresh())
        .catch((e: unknown) => {
          setDismissedOutcome(null);
          notify('error', `Could not dismiss: ${errorMessage(e)}`);
        });
    },
    [notify, refresh],
  );

  const banners = bannersFor(update.state, {
    later,
    dismissedError,
    dismissedOutcome,
    installing: update.restart?.to ?? null,
  });
  if (banners.length === 0 && !restart.dialog) return null;

  return (
    <>
      {banners.map((banner) => (
        <Banner
          key={bannerKey(banner)}
          banner={banner}
          restart={restart.start}
          restarting={restart.busy}
          later={(version) => {
            rememberLater(localStore(), version);
            setLater(version);
          }}
          tryAgain={tryAgain}
          checking={checking}
          dismissError={setDismissedError}
          dismissOutcome={dismissOutcome}
        />
      ))}
      {restart.dialog}
    </>
  );
}

function bannerKey(b: UpdateBanner): string {
  switch (b.kind) {
    case 'offer':
    case 'downloading':
      return `${b.kind}:${b.version}`;
    case 'installing':
      return 'installing';
    case 'error':
      return 'error';
    case 'outcome':
      return `outcome:${b.outcome.at}`;
  }
}

type BannerProps = {
  banner: UpdateBanner;
  restart: () => void;
  restarting: boolean;
  later: (version: string) => void;
  tryAgain: () => void;
  checking: boolean;
  dismissError: (message: string) => void;
  dismissOutcome: (at: string) => void;
};

function Banner({ banner, restart, restarting, later, tryAgain, checking, dismissError, dismissOutcome }: BannerProps) {
  const tone = bannerTone(banner);
  const className = `banner update-banner update-banner-${tone}`;
  const common = { className, 'data-testid': 'update-banner', 'data-kind': banner.kind };

  switch (banner.kind) {
    case 'offer':
      return <OfferBanner banner={banner} className={className} restart={restart} restarting={restarting} later={later} />;
    case 'downloading': {
      const percent = progressPercent(banner.progress);
      const text = progressText(banner.progress);
      return (
        <div {...common}>
          <span role="status">Downloading viban {banner.version}…</span>
          <progress
            className="update-progress"
            max={100}
            {...(percent === null ? {} : { value: percent })}
            aria-label={`Downloading viban ${banner.version}`}
            aria-valuetext={text}
          />
          <span className="update-progress-text" data-testid="update-progress">
            {text}
          </span>
        </div>
      );
    }
    case 'installing':
      return (
        <div {...common} role="status">
          <span className="spinner" aria-hidden="true" />
          <span>
            Installing{banner.version ? ` viban ${banner.version}` : ''}… viban will restart and this page reconnects by itself.
          </span>
        </div>
      );
    case 'error':
      return (
        <div {...common} role="alert">
          <span className="update-banner-text">{banner.message}</span>
          <button type="button" className="button button-small" data-testid="update-retry" onClick={tryAgain} disabled={checking}>
            {checking ? 'Checking…' : 'Try again'}
          </button>
          <button
            type="button"
            className="icon-button update-dismiss"
            data-testid="update-dismiss"
            aria-label="Dismiss"
            title="Dismiss"
            onClick={() => dismissError(banner.message)}
          >
            ×
          </button>
        </div>
      );
    case 'outcome': {
      const { outcome } = banner;
      return (
        <div {...common} data-outcome={outcome.kind} role={bannerRole(banner)}>
          <span className="update-banner-text">
            <strong>{outcomeText(outcome)}</strong>
            {outcome.reason && <span className="update-reason"> {outcome.reason}</span>}
          </span>
          <button type="button" className="button button-small" data-testid="update-dismiss" onClick={() => dismissOutcome(outcome.at)}>
            Dismiss
          </button>
        </div>
      );
    }
  }
}

function OfferBanner({
  banner,
  className,
  restart,
  restarting,
  later,
}: {
  banner: Extract<UpdateBanner, { kind: 'offer' }>;
  className: string;
  restart: () => void;
  restarting: boolean;
  later: (version: string) => void;
}) {
  const [notesOpen, setNotesOpen] = useState(false);
  const notesId = useId();
  const notes = banner.notes?.trim() ? banner.notes : null;
  return (
    <>
      <div className={className} data-testid="update-banner" data-kind="offer" role="status">
        <span className="update-banner-text">
          viban {banner.version} is {banner.ready ? 'ready' : 'available'} —
        </span>
        <button type="button" className="button button-small button-primary" data-testid="update-restart" onClick={restart} disabled={restarting}>
          {restarting ? 'Restarting…' : 'Restart to update'}
        </button>
        {notes && (
          <button
            type="button"
            className="link-button"
            data-testid="update-notes-toggle"
            aria-expanded={notesOpen}
            aria-controls={notesId}
            onClick={() => setNotesOpen((v) => !v)}
          >
            {notesOpen ? 'Hide release notes' : 'Release notes'}
          </button>
        )}
        <span className="spacer" />
        <button
          type="button"
          className="button button-small"
          data-testid="update-later"
          title={
            banner.ready
              ? `Hide this until a newer version; viban ${banner.version} installs when you next quit viban`
              : 'Hide this until a newer version'
          }
          onClick={() => later(banner.version)}
        >
          Later
        </button>
      </div>
      {notes && notesOpen && (
        <section id={notesId} className="update-notes markdown" aria-label={`Release notes for viban ${banner.version}`} data-testid="update-notes">
          <Suspense fallback={<p className="muted small">Loading…</p>}>
            <MarkdownPreview source={notes} />
          </Suspense>
        </section>
      )}
    </>
  );
}
