//! The board window: the local server's page, signed in with a one-time code (the token never appears in the
//! window's URL, history or logs). Closing it hides it; viban stays in the tray.

use tauri::{AppHandle, Manager, Runtime, WebviewUrl, WebviewWindowBuilder};

pub const MAIN: &str = "main";

/// Shows the window, creating it if it does not exist, and signs it in with a fresh code from `login_url`. An
/// existing window gets the code too (a change of the URL's fragment only, so the page does not reload): after
/// Sign out everywhere it would otherwise stay signed out, and a signed-in page just takes a new session.
pub fn show<R: Runtime>(app: &AppHandle<R>, login_url: impl FnOnce() -> String) -> tauri::Result<()> {
    let url: tauri::Url =
        login_url().parse().map_err(|e| tauri::Error::Anyhow(anyhow::anyhow!("bad board URL: {e}")))?;
    if let Some(w) = app.get_webview_window(MAIN) {
        w.navigate(url)?;
        w.show()?;
        w.unminimize()?;
        return w.set_focus();
    }
    WebviewWindowBuilder::new(app, MAIN, WebviewUrl::External(url))
        .title("viban")
        .inner_size(1280.0, 820.0)
        .min_inner_size(720.0, 480.0)
        .build()?;
    Ok(())
}

pub fn hide<R: Runtime>(app: &AppHandle<R>) {
    if let Some(w) = app.get_webview_window(MAIN) {
        let _ = w.hide();
    }
}

/// A window that explains why viban could not start (the bundled error page shows the text after `#`).
pub fn start_error<R: Runtime>(app: &AppHandle<R>, message: &str) -> tauri::Result<()> {
    let encoded: String = message
        .bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect();
    WebviewWindowBuilder::new(app, "error", WebviewUrl::App(format!("error.html#{encoded}").into()))
        .title("viban could not start")
        .inner_size(720.0, 420.0)
        .build()?;
    Ok(())
}
