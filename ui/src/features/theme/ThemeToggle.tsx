import { THEME_LABELS, nextPreference } from './theme';
import { useTheme } from './useTheme';

const ICONS = { system: '◐', light: '☀', dark: '☾' } as const;

/** The header's theme button: System → Light → Dark, saved in localStorage. */
export function ThemeToggle() {
  const { preference, resolved, setPreference } = useTheme();
  const next = nextPreference(preference);
  const now = preference === 'system' ? `System (${resolved})` : THEME_LABELS[preference];
  return (
    <button
      type="button"
      className="icon-button theme-toggle"
      data-testid="theme-toggle"
      data-preference={preference}
      data-resolved={resolved}
      aria-label={`Theme: ${now}. Switch to ${THEME_LABELS[next]}`}
      title={`Theme: ${now} — click for ${THEME_LABELS[next]}`}
      onClick={() => setPreference(next)}
    >
      <span aria-hidden="true">{ICONS[preference]}</span>
    </button>
  );
}
