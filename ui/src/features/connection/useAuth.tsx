// The browser side of signing in: one AuthController for the page, fed by the address bar (a `#code=` link opened
// at load or pasted into this tab later), storage events (another tab signed in or out) and the API client's 401s.
import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import { exchangeCode, onUnauthorized } from '../../api/client';
import { SESSION_KEY, currentSession, forgetSession, takeSignInCode } from '../../api/session';
import { AuthController, type AuthState } from './auth';
import { rotateToken } from '../../api/auth';

/**
 * Made once, before React renders: the code is taken out of the address bar at once (so it is not left in the
 * history or shown on screen) and traded exactly once, however often components mount.
 */
export function createBrowserAuth(): AuthController {
  const code = takeSignInCode(window.location, window.history);
  const auth = new AuthController(
    {
      exchange: exchangeCode,
      rotate: rotateToken,
      hasSession: () => currentSession() !== null,
      forgetSession: () => forgetSession(),
    },
    code,
  );
  onUnauthorized(() => auth.unauthorized());
  // A link pasted into this tab's address bar only changes the fragment: the page stays, and so does its state.
  window.addEventListener('hashchange', () => {
    const next = takeSignInCode(window.location, window.history);
    if (next !== null) void auth.signInWithCode(next);
  });
  window.addEventListener('storage', (e) => {
    if (e.key === SESSION_KEY || e.key === null) auth.sessionChanged();
  });
  return auth;
}

const AuthContext = createContext<AuthController | null>(null);

export function AuthProvider({ auth, children }: { auth: AuthController; children: ReactNode }) {
  return <AuthContext.Provider value={auth}>{children}</AuthContext.Provider>;
}

export function useAuthController(): AuthController {
  const auth = useContext(AuthContext);
  if (!auth) throw new Error('useAuthController outside AuthProvider');
  return auth;
}

export function useAuthState(): AuthState {
  const auth = useAuthController();
  return useSyncExternalStore(auth.subscribe, auth.getState);
}
