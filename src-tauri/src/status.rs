//! What the tray shows for a `Status`: which icon, and the text of the status lines.

use viban_runtime::{ServiceState, Status};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrayState {
    Healthy,
    /// Agents are running.
    Working,
    Degraded,
    Down,
}

impl TrayState {
    pub fn of(status: &Status) -> Self {
        match status.database {
            ServiceState::Ready => Self::Healthy,
            ServiceState::Starting | ServiceState::Degraded(_) => Self::Degraded,
            ServiceState::Down(_) | ServiceState::Stopped => Self::Down,
        }
    }

    /// Healthy services with agents at work show as working.
    pub fn working(self, agents_running: bool) -> Self {
        if self == Self::Healthy && agents_running { Self::Working } else { self }
    }

    pub fn icon(self) -> &'static [u8] {
        match self {
            Self::Healthy => include_bytes!("../../icons/tray-healthy.png"),
            Self::Working => include_bytes!("../../icons/tray-working.png"),
            Self::Degraded => include_bytes!("../../icons/tray-degraded.png"),
            Self::Down => include_bytes!("../../icons/tray-down.png"),
        }
    }

    pub fn tooltip(self) -> &'static str {
        match self {
            Self::Healthy => "viban: running",
            Self::Working => "viban: agents running",
            Self::Degraded => "viban: restarting services",
            Self::Down => "viban: services down",
        }
    }
}

pub fn database_line(status: &Status) -> String {
    match &status.database {
        ServiceState::Ready => format!("Database: running · {}", status.database_address),
        ServiceState::Starting => "Database: starting…".into(),
        ServiceState::Degraded(_) => "Database: restarting…".into(),
        ServiceState::Down(_) => "Database: down (see logs)".into(),
        ServiceState::Stopped => "Database: stopped".into(),
    }
}

pub fn api_line(url: &str, status: &Status) -> String {
    match status.database {
        ServiceState::Stopped => "API: stopped".into(),
        _ => format!("API: running · {url}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(database: ServiceState) -> Status {
        Status { database, database_address: "127.0.0.1:5555".into(), database_pid: None }
    }

    #[test]
    fn states_map_to_icons_and_lines() {
        assert_eq!(TrayState::of(&status(ServiceState::Ready)), TrayState::Healthy);
        assert_eq!(TrayState::of(&status(ServiceState::Degraded("x".into()))), TrayState::Degraded);
        assert_eq!(TrayState::of(&status(ServiceState::Down("x".into()))), TrayState::Down);
        assert_eq!(database_line(&status(ServiceState::Ready)), "Database: running · 127.0.0.1:5555");
        assert!(database_line(&status(ServiceState::Down("x".into()))).contains("down"));
        for s in [TrayState::Healthy, TrayState::Working, TrayState::Degraded, TrayState::Down] {
            assert!(tauri::image::Image::from_bytes(s.icon()).is_ok(), "{s:?} icon decodes");
        }
    }
}
