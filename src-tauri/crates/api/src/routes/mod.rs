pub mod agents;
pub mod app;
pub mod auth;
pub mod automation;
pub mod comments;
pub mod diff;
pub mod editor;
pub mod events;
pub mod health;
pub mod land;
pub mod projects;
pub mod pty;
pub mod runs;
pub mod tasks;
pub mod update;
pub mod worktrees;

use axum::Router;
use axum::routing::{get, patch, post};

use crate::ApiState;

/// Routes that need the token.
pub fn api_router() -> Router<ApiState> {
    Router::new()
        .route("/projects", get(projects::list).post(projects::create))
        .route("/projects/{id}", axum::routing::delete(projects::delete).patch(projects::update))
        .route("/projects/{id}/runs", get(runs::project_runs))
        .route("/tasks/{id}/runs", get(runs::task_runs).post(runs::start))
        .route("/runs", get(runs::active))
        .route("/runs/{id}", get(runs::get))
        .route("/runs/{id}/follow-up", post(runs::follow_up))
        .route("/runs/{id}/stop", post(runs::stop))
        .route("/runs/{id}/input", post(runs::input))
        .route("/runs/{id}/resize", post(runs::resize))
        .route("/runs/{id}/screen", get(runs::screen))
        .route("/runs/{id}/worktree", axum::routing::delete(runs::remove_worktree))
        .route("/runs/{id}/transcript.cast", get(runs::cast))
        .route("/runs/{id}/git", get(land::git_state))
        .route("/runs/{id}/commit", post(land::commit))
        .route("/runs/{id}/merge", post(land::merge))
        .route("/runs/{id}/rebase", post(land::rebase))
        .route("/runs/{id}/rebase/abort", post(land::rebase_abort))
        .route("/runs/{id}/push", post(land::push))
        .route("/runs/{id}/pr", post(land::pr))
        .route("/runs/{id}/pty", get(pty::upgrade))
        .route("/runs/{id}/diff", get(diff::diff))
        .route("/runs/{id}/diff/file", get(diff::file))
        .route("/runs/{id}/comments", get(comments::list).post(comments::create))
        .route("/runs/{id}/comments/prompt", post(comments::prompt))
        .route("/runs/{id}/comments/send", post(comments::send))
        .route("/comments/{id}", patch(comments::update).delete(comments::delete))
        .route("/worktrees", get(worktrees::list))
        .route("/worktrees/cleanup", post(worktrees::cleanup))
        .route("/runs/{id}/open", post(editor::open))
        .route("/runs/{id}/shell", post(editor::shell))
        .route("/editors", get(editor::editors))
        .route("/agents", get(agents::list))
        .route("/agents/detect", post(agents::detect))
        .route("/auth/ticket", post(auth::ticket))
        .route("/auth/codes", post(auth::code))
        .route("/auth/rotate", post(auth::rotate))
        .route("/agents/config", get(agents::get_config).put(agents::put_config))
        .route("/projects/{id}/board", get(projects::board))
        .route("/projects/{id}/tasks", axum::routing::post(tasks::create))
        .route("/tasks/{id}", patch(tasks::update).get(tasks::get).delete(tasks::delete))
        .route("/tasks/{id}/events", get(tasks::events))
        .route("/tasks/{id}/dependencies", get(tasks::dependencies).post(tasks::add_dependency))
        .route("/tasks/{id}/dependencies/{blocker}", axum::routing::delete(tasks::remove_dependency))
        .route("/tasks/{id}/auto-start", axum::routing::put(tasks::set_auto_start).delete(tasks::clear_auto_start))
        .route("/projects/{id}/automations", get(automation::list))
        .route("/projects/{id}/automations/{column}", axum::routing::put(automation::put).delete(automation::delete))
        .route("/tasks/{id}/automations", get(automation::task_firings))
        .route("/inbox", get(automation::inbox))
        .route("/inbox/dismiss", post(automation::dismiss))
        .route("/events", get(events::upgrade))
        .route("/app/show", axum::routing::post(app::show))
        .route("/update", get(update::get))
        .route("/update/check", post(update::check))
        .route("/update/install", post(update::install))
        .route("/update/settings", axum::routing::put(update::settings))
        .route("/update/dismiss", post(update::dismiss))
        .route("/openapi.json", get(crate::openapi::serve))
        .fallback(|| async {
            crate::ApiError::new(axum::http::StatusCode::NOT_FOUND, viban_core::ErrorCode::NotFound, "no such route")
        })
        .method_not_allowed_fallback(method_not_allowed)
}

async fn method_not_allowed() -> crate::ApiError {
    crate::ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        viban_core::ErrorCode::MethodNotAllowed,
        "this route does not take that method (state changes are never GETs)",
    )
}

/// Routes anyone on loopback may call.
pub fn public_router() -> Router<ApiState> {
    Router::new()
        .route("/health", get(health::health))
        .route("/auth/session", post(auth::session))
        .method_not_allowed_fallback(method_not_allowed)
}
