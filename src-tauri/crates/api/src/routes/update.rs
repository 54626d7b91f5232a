//! Self-update, as the UI sees it. The desktop shell runs the updater (it owns the window, the tray and the
//! process that gets replaced) and publishes its state here; these routes read it and pass the user's requests on.
//! A headless server is updated by its package manager or deployment and says so.

use std::path::PathBuf;
use viban_core::ErrorCode;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use tokio::sync::watch;
use viban_core::{ApiErrorBody, InstallUpdateRequest, UpdatePhase, UpdateSettings, UpdateState};
use viban_update::UpdateDir;

use crate::error::ApiJson;
use crate::{ApiError, ApiState, ShellCommand};

/// The update state the shell publishes, and where the user's settings are kept.
pub struct UpdateHub {
    state: watch::Sender<UpdateState>,
    /// `<data>/updates/`, shared with the shell and the guard (settings written atomically, 0600).
    updates: UpdateDir,
}

impl UpdateHub {
    /// What a headless server (or a desktop before its updater starts) reports.
    pub fn new(updates_dir: PathBuf, version: &str) -> Self {
        let state = UpdateState {
            supported: false,
            why_unsupported: Some(
                "this viban runs headless: it is updated by your package manager or deployment".into(),
            ),
            current_version: version.into(),
            ..UpdateState::default()
        };
        Self { state: watch::Sender::new(state), updates: UpdateDir::new(updates_dir) }
    }

    pub fn publish(&self, state: UpdateState) {
        self.state.send_replace(state);
    }

    pub fn current(&self) -> UpdateState {
        self.state.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<UpdateState> {
        self.state.subscribe()
    }
}

fn unsupported(state: &UpdateState) -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::UpdatesUnsupported,
        state.why_unsupported.clone().unwrap_or_else(|| "updates are not available here".into()),
    )
}

fn ask_shell(state: &ApiState, command: ShellCommand) -> Result<(), ApiError> {
    state.shell.send(command).map(|_| ()).map_err(|_| {
        ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::UpdatesUnsupported,
            "no desktop shell is attached to run the updater",
        )
    })
}

/// The updater's state: phase, the offered version and its notes, download progress, the last error, and what
/// happened to the last installed update (rolled back or not).
#[utoipa::path(get, path = "/api/update", tag = "update", responses((status = 200, body = UpdateState)))]
pub async fn get(State(state): State<ApiState>) -> Json<UpdateState> {
    Json(state.update.current())
}

/// Checks for a new version now (also done at start and every 6 hours).
#[utoipa::path(post, path = "/api/update/check", tag = "update",
    responses((status = 202, body = UpdateState),
        (status = 409, body = ApiErrorBody, description = "updates_unsupported (headless or not installed from a package)")))]
pub async fn check(State(state): State<ApiState>) -> Result<(StatusCode, Json<UpdateState>), ApiError> {
    let current = state.update.current();
    if !current.supported {
        return Err(unsupported(&current));
    }
    ask_shell(&state, ShellCommand::CheckForUpdates)?;
    Ok((StatusCode::ACCEPTED, Json(current)))
}

/// Restart to update: installs the offered version (downloading it first if needed) and restarts. Running agents
/// are stopped by the restart, so the caller must say the user agreed (`stop_agents`) when any run.
#[utoipa::path(post, path = "/api/update/install", tag = "update", request_body = InstallUpdateRequest,
    responses((status = 202, body = UpdateState),
        (status = 409, body = ApiErrorBody,
            description = "updates_unsupported, no_update (nothing offered), agents_running (ask the user first)")))]
pub async fn install(
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<InstallUpdateRequest>,
) -> Result<(StatusCode, Json<UpdateState>), ApiError> {
    let current = state.update.current();
    if !current.supported {
        return Err(unsupported(&current));
    }
    let offered = matches!(current.phase, UpdatePhase::Available | UpdatePhase::Downloading | UpdatePhase::Ready)
        // A failed install keeps its verified download: trying again is allowed.
        || (current.phase == UpdatePhase::Error && current.offer.is_some());
    if !offered {
        return Err(ApiError::new(StatusCode::CONFLICT, ErrorCode::NoUpdate, "no update is waiting to be installed"));
    }
    let running = state.runs.active().await?.len();
    if running > 0 && !body.stop_agents {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::AgentsRunning,
            format!(
                "{running} agent(s) are running: restarting to update stops them. Ask the user, then send stop_agents: true"
            ),
        ));
    }
    ask_shell(&state, ShellCommand::InstallUpdate)?;
    Ok((StatusCode::ACCEPTED, Json(current)))
}

/// Sets the channel and, for self-hosting, the manifest URL (https, or http on a loopback address); then checks.
#[utoipa::path(put, path = "/api/update/settings", tag = "update", request_body = UpdateSettings,
    responses((status = 200, body = UpdateState),
        (status = 400, body = ApiErrorBody, description = "validation (endpoint)"),
        (status = 409, body = ApiErrorBody, description = "updates_unsupported")))]
pub async fn settings(
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<UpdateSettings>,
) -> Result<Json<UpdateState>, ApiError> {
    let current = state.update.current();
    if !current.supported {
        return Err(unsupported(&current));
    }
    if let Some(endpoint) = &body.endpoint {
        check_endpoint(endpoint)?;
    }
    state.update.updates.save_settings(&body).map_err(|e| {
        ApiError::new(
            StatusCode::INSUFFICIENT_STORAGE,
            ErrorCode::WriteFailed,
            format!("could not save the update settings: {e}"),
        )
    })?;
    ask_shell(&state, ShellCommand::UpdateSettingsChanged)?;
    Ok(Json(current))
}

/// Hides the "updated" / "rolled back" banner.
#[utoipa::path(post, path = "/api/update/dismiss", tag = "update",
    responses((status = 204), (status = 409, body = ApiErrorBody, description = "updates_unsupported")))]
pub async fn dismiss(State(state): State<ApiState>) -> Result<StatusCode, ApiError> {
    let current = state.update.current();
    if !current.supported {
        return Err(unsupported(&current));
    }
    ask_shell(&state, ShellCommand::DismissUpdateOutcome)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Signatures protect the package, not the manifest's privacy or availability: plain http only on loopback.
fn check_endpoint(endpoint: &str) -> Result<(), ApiError> {
    let bad = |why: &str| ApiError::validation(format!("endpoint: {why}"));
    if endpoint.len() > 2048 || endpoint.chars().any(char::is_whitespace) {
        return Err(bad("not a URL"));
    }
    if let Some(rest) = endpoint.strip_prefix("https://") {
        return if rest.is_empty() || rest.starts_with('/') { Err(bad("no host")) } else { Ok(()) };
    }
    let Some(rest) = endpoint.strip_prefix("http://") else {
        return Err(bad("use an https:// URL"));
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = if authority.starts_with('[') {
        authority.split(']').next().map(|h| format!("{h}]")).unwrap_or_default()
    } else {
        authority.split(':').next().unwrap_or_default().to_string()
    };
    if ["localhost", "127.0.0.1", "[::1]"].contains(&host.as_str()) {
        Ok(())
    } else {
        Err(bad("use https (plain http is accepted only on 127.0.0.1 or localhost)"))
    }
}

#[cfg(test)]
mod tests {
    use super::check_endpoint;

    #[test]
    fn endpoints_need_https_except_on_loopback() {
        for ok in [
            "https://updates.example/stable/latest.json",
            "http://127.0.0.1:8080/latest.json",
            "http://localhost/x",
            "http://[::1]:9/x",
        ] {
            assert!(check_endpoint(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://example.com/latest.json",
            "http://127.0.0.1.evil.example/x",
            "ftp://x",
            "https://",
            "file:///etc/passwd",
            "http://localhost@evil/x",
        ] {
            assert!(check_endpoint(bad).is_err(), "{bad}");
        }
    }
}
