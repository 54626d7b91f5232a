// Key matching shared across features: the Tiles view's global key lives here, not in features/cockpit, because
// features/runs (the terminal lets the key through) and features/cockpit (which shows runs' terminals) both need
// it, and neither folder may import the other back (lib/imports.test.ts).

export type KeyLike = { type?: string; key: string; code?: string; ctrlKey: boolean; shiftKey: boolean; altKey: boolean; metaKey: boolean };

/**
 * Ctrl+Shift+G shows or hides the Tiles view, everywhere (the terminal lets it through). Not Ctrl+Shift+T: browsers
 * keep that one (reopen a closed tab) and pages never see it.
 */
export function isTilesToggle(e: KeyLike): boolean {
  return (e.type ?? 'keydown') === 'keydown' && e.ctrlKey && e.shiftKey && !e.altKey && !e.metaKey && e.key.toLowerCase() === 'g';
}

/** The fields that matter, copied (a DOM event's are getters on its prototype, which a spread would not copy). */
export function keyLike(e: KeyLike, type?: string): KeyLike {
  return { type: type ?? e.type, key: e.key, code: e.code, ctrlKey: e.ctrlKey, shiftKey: e.shiftKey, altKey: e.altKey, metaKey: e.metaKey };
}
