//! What the UI shows of self-update (`GET /api/update`): the desktop shell drives the updater and publishes this;
//! a headless server says updates are not its job.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdatePhase {
    /// Nothing checked yet (or updates are not supported here).
    #[default]
    Idle,
    Checking,
    /// The newest version is running.
    UpToDate,
    /// A newer version exists; not downloaded yet.
    Available,
    Downloading,
    /// Downloaded and its signature verified: installs on the next quit or on Restart to update.
    Ready,
    Installing,
    /// The last check, download or install failed; `error` says why and what to do. Nothing was changed.
    Error,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateChannel {
    #[default]
    Stable,
    Beta,
}

/// A version the update server offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct UpdateOffer {
    pub version: String,
    /// Release notes (Markdown), as the manifest gives them.
    pub notes: Option<String>,
    /// RFC 3339.
    pub pub_date: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS, ToSchema)]
pub struct UpdateProgress {
    pub downloaded: u64,
    /// Unknown when the server sends no length.
    pub total: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpdateOutcomeKind {
    Updated,
    RolledBack,
    InstallFailed,
}

/// What happened to the last installed update (written by the guard; shown once, until dismissed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct UpdateOutcome {
    pub kind: UpdateOutcomeKind,
    pub from: String,
    pub to: String,
    pub reason: Option<String>,
    /// RFC 3339.
    pub at: String,
}

/// `GET /api/update`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS, ToSchema)]
pub struct UpdateState {
    /// False in headless mode and in builds that were not installed from a package: `why_unsupported` says why.
    pub supported: bool,
    pub why_unsupported: Option<String>,
    pub current_version: String,
    pub phase: UpdatePhase,
    pub channel: UpdateChannel,
    /// The manifest URL in use (settings, `VIBAN_UPDATE_URL`, or the channel's default).
    pub endpoint: Option<String>,
    pub offer: Option<UpdateOffer>,
    pub progress: Option<UpdateProgress>,
    pub error: Option<String>,
    /// RFC 3339 of the last finished check.
    pub last_check: Option<String>,
    pub last_outcome: Option<UpdateOutcome>,
    /// Versions that failed their health check after install: never offered again.
    pub skipped: Vec<String>,
}

/// `PUT /api/update/settings`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSettings {
    #[serde(default)]
    pub channel: UpdateChannel,
    /// A manifest URL of the user's (self-hosting); the channel's default when absent.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
}

/// `POST /api/update/install`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstallUpdateRequest {
    /// The user agreed that restarting stops the running agents (they are asked first).
    #[serde(default)]
    pub stop_agents: bool,
}
