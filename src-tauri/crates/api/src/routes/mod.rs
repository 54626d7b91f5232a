pub mod app;
pub mod events;
pub mod health;
pub mod projects;
pub mod tasks;

use axum::Router;
use axum::routing::{get, patch};

use crate::ApiState;

/// Routes that need the token.
pub fn api_router() -> Router<ApiState> {
    Router::new()
        .route("/projects", get(projects::list).post(projects::create))
        .route("/projects/{id}", axum::routing::delete(projects::delete))
        .route("/projects/{id}/board", get(projects::board))
        .route("/projects/{id}/tasks", axum::routing::post(tasks::create))
        .route("/tasks/{id}", patch(tasks::update).get(tasks::get).delete(tasks::delete))
        .route("/tasks/{id}/events", get(tasks::events))
        .route("/events", get(events::upgrade))
        .route("/app/show", axum::routing::post(app::show))
        .route("/openapi.json", get(crate::openapi::serve))
        .fallback(|| async { crate::ApiError::new(axum::http::StatusCode::NOT_FOUND, "not_found", "no such route") })
}

/// Routes anyone on loopback may call.
pub fn public_router() -> Router<ApiState> {
    Router::new().route("/health", get(health::health))
}
