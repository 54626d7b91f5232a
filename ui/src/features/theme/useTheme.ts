import { useSyncExternalStore } from 'react';
import { setThemePreference, subscribeTheme, themeSnapshot, type ResolvedTheme, type ThemePreference } from './theme';

/** The theme preference and what it resolves to now; re-renders when either changes. */
export function useTheme(): { preference: ThemePreference; resolved: ResolvedTheme; setPreference: (p: ThemePreference) => void } {
  const snap = useSyncExternalStore(subscribeTheme, themeSnapshot, themeSnapshot);
  return { ...snap, setPreference: setThemePreference };
}
