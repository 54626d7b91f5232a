//! Turns status changes into notifications: the database went down, and came back.

use std::sync::Arc;

use tokio::sync::watch;
use viban_core::Notifier;
use viban_runtime::{ServiceState, Status};

/// What a move from one state to another should tell the user, if anything.
pub fn message(from: &ServiceState, to: &ServiceState) -> Option<(&'static str, String)> {
    match (from, to) {
        (ServiceState::Ready, ServiceState::Degraded(why)) => Some(("viban: database restarting", why.clone())),
        (_, ServiceState::Down(why)) => {
            Some(("viban: database down", format!("{why}. Use Restart services in the tray or see the logs.")))
        }
        (ServiceState::Degraded(_) | ServiceState::Down(_), ServiceState::Ready) => {
            Some(("viban: database recovered", "Everything is running again.".into()))
        }
        _ => None,
    }
}

/// Notifies on every transition until the status channel closes.
pub fn spawn(mut rx: watch::Receiver<Status>, notifier: Arc<dyn Notifier>) {
    tokio::spawn(async move {
        let mut last = rx.borrow().database.clone();
        while rx.changed().await.is_ok() {
            let now = rx.borrow().database.clone();
            if let Some((title, body)) = message(&last, &now) {
                notifier.notify(title, &body);
            }
            last = now;
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_and_recovered_are_told_once_each() {
        let degraded = ServiceState::Degraded("exited".into());
        let down = ServiceState::Down("gave up".into());
        assert!(message(&ServiceState::Ready, &degraded).is_some());
        assert!(message(&degraded, &degraded).is_none());
        assert_eq!(message(&degraded, &down).map(|m| m.0), Some("viban: database down"));
        assert_eq!(message(&down, &ServiceState::Ready).map(|m| m.0), Some("viban: database recovered"));
        assert!(message(&ServiceState::Starting, &ServiceState::Ready).is_none());
        assert!(message(&ServiceState::Ready, &ServiceState::Stopped).is_none());
    }
}
