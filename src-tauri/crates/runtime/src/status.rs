use serde::Serialize;

/// The state of one local service, as the tray and the UI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum ServiceState {
    Starting,
    Ready,
    /// Working on it (e.g. restarting after a crash).
    Degraded(String),
    /// Gave up; needs the user (restart services, read the logs).
    Down(String),
    Stopped,
}

impl ServiceState {
    /// The short word `/api/health` reports.
    pub fn word(&self) -> &'static str {
        match self {
            Self::Starting => "starting",
            Self::Ready => "ready",
            Self::Degraded(_) => "degraded",
            Self::Down(_) => "down",
            Self::Stopped => "stopped",
        }
    }
}

/// Everything the status channel publishes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Status {
    pub database: ServiceState,
    /// `127.0.0.1:port` of the embedded server, or `external`.
    pub database_address: String,
    /// The postmaster's pid while the embedded server runs.
    pub database_pid: Option<i32>,
}
