// The only module that may ever import @tauri-apps/*. In a plain browser everything here
// falls back to web APIs; the desktop shell can later swap in native behaviour.

/** True inside the Tauri webview (the desktop app), false in a browser. */
export function isDesktop(): boolean {
  return typeof window !== 'undefined' && '__TAURI_INTERNALS__' in window;
}

/** Opens a URL outside the app (a new browser tab for now). */
export function openExternal(url: string): void {
  window.open(url, '_blank', 'noopener,noreferrer');
}
