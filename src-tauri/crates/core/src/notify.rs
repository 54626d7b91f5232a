//! Telling the user something happened while they look elsewhere. The desktop shell shows native notifications;
//! the headless server writes them to its log.

/// Something that can tell the user. Implementations must not block.
pub trait Notifier: Send + Sync {
    fn notify(&self, title: &str, body: &str);
}

impl std::fmt::Debug for dyn Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Notifier")
    }
}

/// The headless default: a log line.
#[derive(Debug, Default, Clone, Copy)]
pub struct LogNotifier;

impl Notifier for LogNotifier {
    fn notify(&self, title: &str, body: &str) {
        tracing::warn!(%title, %body, "notification");
    }
}
