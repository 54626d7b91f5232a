//! viban's HTTP API. It can start processes on the user's machine (agents), so it is guarded like a shell:
//! a per-install token on every route but health, a Host allow-list against DNS rebinding, an Origin check on
//! WebSocket upgrades and state-changing requests, no CORS, and a body limit.

mod error;
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

pub use error::ApiError;
pub use response_cache::{CacheKey, ResponseCache};
pub use security::Guard;

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
}

/// What the API can ask of a desktop shell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShellCommand {
    /// Show and focus the board window.
    ShowWindow,
}

/// The whole app: API under `/api`, the token exchange at `/auth`, the UI for everything else.
pub fn router(state: ApiState) -> Router {
    response_cache::follow_feed(state.cache.clone(), state.feed.clone(), state.shutdown.clone());
    let api = routes::api_router()
        .route_layer(middleware::from_fn_with_state(state.clone(), security::require_token))
        .merge(routes::public_router());
    Router::new()
        .nest("/api", api)
        .merge(security::auth_router())
        .merge(static_ui::router(state.ui_dir.clone()))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn_with_state(state.clone(), security::check_host_and_origin))
        .layer(middleware::from_fn(security::log_request))
        .with_state(state)
}
