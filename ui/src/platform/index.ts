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

/**
 * Saves `blob` as a file named `name`: a download through a temporary blob: URL (allowed by the server's CSP), so
 * nothing secret goes into a URL. The desktop shell may later use a native save dialog here.
 */
export function saveFile(blob: Blob, name: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  // The download has started by now; keep the URL a little longer for slow browsers.
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
