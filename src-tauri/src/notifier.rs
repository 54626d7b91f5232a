//! Native notifications through the Tauri plugin, behind core's `Notifier` so the services need not know.

use std::sync::OnceLock;

use tauri::{AppHandle, Runtime};
use tauri_plugin_notification::NotificationExt;
use viban_core::Notifier;

/// Logs until the app handle exists, then shows native notifications (and logs them too).
pub struct TauriNotifier<R: Runtime> {
    handle: OnceLock<AppHandle<R>>,
}

impl<R: Runtime> Default for TauriNotifier<R> {
    fn default() -> Self {
        Self { handle: OnceLock::new() }
    }
}

impl<R: Runtime> TauriNotifier<R> {
    pub fn attach(&self, handle: AppHandle<R>) {
        let _ = self.handle.set(handle);
    }
}

impl<R: Runtime> Notifier for TauriNotifier<R> {
    fn notify(&self, title: &str, body: &str) {
        tracing::warn!(%title, %body, "notification");
        if let Some(app) = self.handle.get()
            && let Err(e) = app.notification().builder().title(title).body(body).show()
        {
            // No session bus or no notification daemon: the log line above is what remains.
            tracing::debug!(error = %e, "native notification failed");
        }
    }
}
