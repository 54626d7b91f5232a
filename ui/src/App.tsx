import { useState } from 'react';
import { Main } from './app/Main';
import { Header } from './app/chrome';
import { SignedOut } from './features/connection/SignedOut';
import type { AuthController } from './features/connection/auth';
import { AuthProvider, useAuthController, useAuthState } from './features/connection/useAuth';
import { ToastProvider } from './features/toasts/ToastProvider';
import { UpdateProvider } from './features/update/useUpdate';

export function App({ auth }: { auth: AuthController }) {
  return (
    <AuthProvider auth={auth}>
      <ToastProvider>
        <Gate />
      </ToastProvider>
    </AuthProvider>
  );
}

/**
 * Signed in: the board. The board mounts at the first sign-in and then stays mounted: when the session ends later
 * (the token was rotated) the signed-out screen covers it, and whatever was on it — an open task's unsaved
 * description — is still there once this tab is signed in again.
 */
function Gate() {
  const auth = useAuthController();
  const state = useAuthState();
  const [boardMounted, setBoardMounted] = useState(state.kind === 'signed-in');
  if (state.kind === 'signed-in' && !boardMounted) setBoardMounted(true);

  const signedOut =
    state.kind === 'signed-out' ? (
      <SignedOut
        reason={state.reason}
        message={state.message}
        onRetry={auth.canRetry ? () => auth.retry() : null}
        overlay={boardMounted}
      />
    ) : null;

  if (!boardMounted) {
    return (
      <div className="app">
        <Header />
        <main className="main">
          {signedOut ?? (
            <div className="loading" data-testid="signing-in">
              Signing in…
            </div>
          )}
        </main>
      </div>
    );
  }
  return (
    <UpdateProvider enabled={state.kind === 'signed-in'}>
      <Main live={state.kind === 'signed-in'} />
      {signedOut}
    </UpdateProvider>
  );
}
