import { useEffect, useRef } from 'react';
import { isDesktop } from '../../platform';
import type { SignedOutReason } from './auth';

type Props = {
  reason: SignedOutReason;
  /** What went wrong when a code could not be traded. */
  message: string | null;
  /** A code can be tried again (the server could not be reached). */
  onRetry: (() => void) | null;
  /** Shown over a board that stays as it was (unsaved edits included) until the tab is signed in again. */
  overlay: boolean;
};

const HEADINGS: Record<SignedOutReason, string> = {
  no_session: 'Not signed in',
  session_ended: 'Signed out',
  code_invalid: 'This sign-in link was already used or has expired',
  signed_out_everywhere: 'Signed out everywhere',
  exchange_failed: 'Could not sign in',
};

function Why({ reason, message }: { reason: SignedOutReason; message: string | null }) {
  switch (reason) {
    case 'no_session':
      return <p>This browser has no viban session yet.</p>;
    case 'session_ended':
      return (
        <p>
          The server no longer accepts this browser&apos;s session: viban&apos;s token was rotated (<em>Sign out
          everywhere</em>), which signs out every browser and the desktop window.
        </p>
      );
    case 'code_invalid':
      return <p>A sign-in link works once, within 5 minutes of being made. Get a new one:</p>;
    case 'signed_out_everywhere':
      return (
        <p>
          viban&apos;s token was rotated: every browser, the desktop window and this tab are signed out. Tools find the
          current token in <code>server.json</code>.
        </p>
      );
    case 'exchange_failed':
      return <p>The sign-in link could not be checked{message ? `: ${message}` : '.'}</p>;
  }
}

/** What a tab without a valid session shows: why, and how to sign in again. */
export function SignedOut({ reason, message, onRetry, overlay }: Props) {
  const example = `${window.location.origin}/#code=…`;
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (overlay) headingRef.current?.focus();
  }, [overlay]);

  const content = (
    <div className="empty-state empty-state-big signed-out" data-testid="signed-out" data-reason={reason}>
      <div className="empty-icon" aria-hidden="true">
        {/* An inline padlock: the ⚿ glyph had no font here and rendered as an empty box. */}
        <svg width="40" height="40" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" strokeLinejoin="round">
          <rect x="5" y="11" width="14" height="10" rx="2" />
          <path d="M8 11V7a4 4 0 0 1 8 0v4" />
        </svg>
      </div>
      <h2 ref={headingRef} tabIndex={-1} id="signed-out-heading">
        {HEADINGS[reason]}
      </h2>
      <Why reason={reason} message={message} />
      {onRetry && (
        <p>
          <button type="button" className="button button-primary" data-testid="signed-out-retry" onClick={onRetry}>
            Try again
          </button>
        </p>
      )}
      {isDesktop() ? (
        <p>
          To sign this window in again, choose <strong>Open board</strong> in viban&apos;s tray menu.
        </p>
      ) : (
        <>
          <p>
            To sign in, open the sign-in link <code>viban-server</code> printed when it started (the line that begins{' '}
            <code>viban-server sign-in link</code>), or run <code>viban-server login-url</code> for a new one. It looks
            like:
          </p>
          <p>
            <code className="code-block">{example}</code>
          </p>
          <p className="muted small">
            In the desktop app, choose <strong>Open board</strong> in the tray menu.
            {overlay
              ? ' Open the link in this tab (paste it into the address bar) or in another one: this tab carries on where it was, unsaved edits included.'
              : ' Each link works once, within 5 minutes.'}
          </p>
        </>
      )}
    </div>
  );

  if (!overlay) return content;
  return (
    <div className="signed-out-overlay" role="alertdialog" aria-modal="true" aria-labelledby="signed-out-heading">
      <div className="signed-out-card">{content}</div>
    </div>
  );
}
