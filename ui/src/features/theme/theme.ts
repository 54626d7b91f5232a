// The colour theme: System (follows prefers-color-scheme), Light or Dark, saved in localStorage and applied as
// `data-theme` on <html> (styles.css holds both palettes). Framework-free, so the choice logic is unit-tested.

export type ThemePreference = 'system' | 'light' | 'dark';
export type ResolvedTheme = 'light' | 'dark';

export const THEME_KEY = 'viban.theme';
export const THEME_PREFERENCES: readonly ThemePreference[] = ['system', 'light', 'dark'];
export const THEME_LABELS: Readonly<Record<ThemePreference, string>> = { system: 'System', light: 'Light', dark: 'Dark' };

export function isThemePreference(value: unknown): value is ThemePreference {
  return value === 'system' || value === 'light' || value === 'dark';
}

/** What to draw: the explicit choice, or the system's preference. */
export function resolveTheme(preference: ThemePreference, systemPrefersDark: boolean): ResolvedTheme {
  if (preference === 'system') return systemPrefersDark ? 'dark' : 'light';
  return preference;
}

/** System → Light → Dark → System (the header button). */
export function nextPreference(preference: ThemePreference): ThemePreference {
  const i = THEME_PREFERENCES.indexOf(preference);
  return THEME_PREFERENCES[(i + 1) % THEME_PREFERENCES.length] ?? 'system';
}

type StorageLike = Pick<Storage, 'getItem' | 'setItem'>;

function defaultStorage(): StorageLike | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

export function loadPreference(storage: StorageLike | null = defaultStorage()): ThemePreference {
  try {
    const saved = storage?.getItem(THEME_KEY);
    return isThemePreference(saved) ? saved : 'system';
  } catch {
    return 'system';
  }
}

export function savePreference(preference: ThemePreference, storage: StorageLike | null = defaultStorage()): void {
  try {
    storage?.setItem(THEME_KEY, preference);
  } catch {
    // Private mode: the choice lasts for this page only.
  }
}

const DARK_QUERY = '(prefers-color-scheme: dark)';

function systemPrefersDark(): boolean {
  // No media query support (very old webviews): the app's original dark look.
  return typeof matchMedia === 'function' ? matchMedia(DARK_QUERY).matches : true;
}

/** Sets `data-theme` and the color-scheme meta (form controls, scrollbars) on the document. */
export function applyTheme(theme: ResolvedTheme, doc: Document = document): void {
  doc.documentElement.dataset.theme = theme;
  doc.querySelector('meta[name="color-scheme"]')?.setAttribute('content', theme);
}

// The one theme store of the page: the saved preference, the system's, and who listens.
type Snapshot = { preference: ThemePreference; resolved: ResolvedTheme };
let snapshot: Snapshot | null = null;
const listeners = new Set<() => void>();

function compute(preference: ThemePreference): Snapshot {
  return { preference, resolved: resolveTheme(preference, systemPrefersDark()) };
}

function publish(next: Snapshot): void {
  snapshot = next;
  applyTheme(next.resolved);
  for (const l of listeners) l();
}

/** Applies the saved theme and follows the system's changes; call once before the first render (main.tsx). */
export function initTheme(): void {
  publish(compute(loadPreference()));
  if (typeof matchMedia !== 'function') return;
  matchMedia(DARK_QUERY).addEventListener('change', () => {
    if (snapshot?.preference === 'system') publish(compute('system'));
  });
}

export function themeSnapshot(): Snapshot {
  if (!snapshot) snapshot = compute(loadPreference());
  return snapshot;
}

export function subscribeTheme(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function setThemePreference(preference: ThemePreference): void {
  savePreference(preference);
  publish(compute(preference));
}
