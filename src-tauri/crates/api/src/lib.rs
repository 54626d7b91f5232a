//! viban's HTTP API. It can start processes on the user's machine (agents), so it is guarded like a shell:
//! a credential in `Authorization` (never a cookie) on every route but health and sign-in, a Host allow-list
//! against DNS rebinding, `Sec-Fetch-Site` and `Origin` checks against other sites and ports, a CSP that forbids
//! framing, no CORS, and a body limit.

mod auth;
mod diff_cache;
mod error;
pub mod mcp;
pub mod openapi;
mod repo;
mod response_cache;
mod routes;
mod security;
mod static_ui;

use std::path::PathBuf;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use viban_db::{ChangeFeed, Db};
use viban_runtime::Status;

pub use auth::{Credentials, PersistSecrets, Rotated, Secrets, random_secret};
pub use diff_cache::DiffCache;
pub use error::ApiError;
pub use response_cache::{CacheKey, ResponseCache};
pub use routes::update::UpdateHub;
pub use security::{Guard, PublicUrl};

/// Largest request body accepted (a task description is at most 100,000 characters).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// Everything handlers need. Cheap to clone.
#[derive(Clone)]
pub struct ApiState {
    pub db: Db,
    pub feed: ChangeFeed,
    pub status: watch::Receiver<Status>,
    pub guard: Arc<Guard>,
    /// Encoded hot reads (project list, boards), invalidated by writes and the change feed.
    pub cache: Arc<ResponseCache>,
    /// The last few runs' change listings, for single-file diff requests.
    pub diffs: Arc<DiffCache>,
    /// Folders a project's repository must be inside; empty means anywhere but the forbidden system paths.
    pub repo_roots: Arc<Vec<PathBuf>>,
    /// viban's own data dir: never a project.
    pub data_dir: PathBuf,
    pub ui_dir: Option<PathBuf>,
    /// Cancelled at shutdown, so long-lived sockets close and the server can stop.
    pub shutdown: CancellationToken,
    /// Requests for the desktop shell, if one is attached (e.g. a second launch asking to show the window).
    pub shell: tokio::sync::broadcast::Sender<ShellCommand>,
    /// Agent runs.
    pub runs: viban_agents::Runs,
    /// Self-update state, published by the desktop shell.
    pub update: Arc<UpdateHub>,
    /// The version this viban reports (health, hello, server.json): the desktop's package version.
    pub version: Arc<str>,
}

/// What the API can ask of a desktop shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellCommand {
    /// Show and focus the board window.
    ShowWindow,
    /// Check for a new version now.
    CheckForUpdates,
    /// Install the offered version and restart (the user agreed to stop running agents).
    InstallUpdate,
    /// The update settings file changed: re-read it and check again.
    UpdateSettingsChanged,
    /// Forget the last update's outcome (the banner was dismissed).
    DismissUpdateOutcome,
}

/// The whole app: API under `/api`, the token exchange at `/auth`, the UI for everything else.
pub fn router(state: ApiState) -> Router {
    response_cache::follow_feed(state.cache.clone(), state.feed.clone(), state.shutdown.clone());
    diff_cache::follow_feed(state.diffs.clone(), state.feed.clone(), state.runs.clone(), state.shutdown.clone());
    // `layer`, not `route_layer`: unknown routes and wrong methods answer 401 without a credential too, so an
    // anonymous caller learns nothing about which routes exist.
    let api = routes::api_router()
        .nest_service("/mcp", mcp::service(state.clone()))
        .layer(middleware::from_fn_with_state(state.clone(), security::require_credential))
        .merge(routes::public_router());
    Router::new()
        .nest("/api", api)
        .route("/auth", axum::routing::get(routes::auth::legacy))
        .merge(static_ui::router(state.ui_dir.clone()))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), security::check_request))
        .layer(middleware::from_fn(security::log_request))
        .with_state(state)
}
