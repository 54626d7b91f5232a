import { useState } from 'react';
import { errorMessage } from '../../api/client';
import { useAuthController } from '../connection/useAuth';

/**
 * "Sign out everywhere": rotates viban's install token (`POST /api/auth/rotate`), which ends every browser session
 * and the desktop window's, this tab's included. Asks first.
 */
export function SignOutEverywhere() {
  const auth = useAuthController();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const signOut = async () => {
    if (busy) return;
    setBusy(true);
    setError(null);
    try {
      // Success covers the app with the signed-out screen; this dialog is back as it was after the next sign-in.
      await auth.signOutEverywhere();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      setConfirming(false);
    }
  };

  return (
    <div className="sign-out-everywhere">
      <span className="field-label">Sign-in</span>
      <p className="muted small">
        Signs out every browser and the desktop window, this tab too, and replaces the install token (unless it was
        set with <code>--token</code>; tools find the current one in <code>server.json</code>). Sign in again with a
        new link (<code>viban-server login-url</code>).
      </p>
      {confirming ? (
        <span className="confirm-delete" role="group" aria-label="Confirm signing out everywhere">
          <span>Sign out everywhere?</span>
          <button
            type="button"
            className="button button-danger"
            data-testid="sign-out-everywhere-confirm"
            onClick={() => void signOut()}
            disabled={busy}
          >
            {busy ? 'Signing out…' : 'Sign out everywhere'}
          </button>
          <button type="button" className="button" onClick={() => setConfirming(false)} disabled={busy}>
            Cancel
          </button>
        </span>
      ) : (
        <button type="button" className="button button-ghost-danger" data-testid="sign-out-everywhere" onClick={() => setConfirming(true)}>
          Sign out everywhere…
        </button>
      )}
      {error && (
        <div className="form-error" role="alert">
          Could not sign out everywhere: {error}
        </div>
      )}
    </div>
  );
}
