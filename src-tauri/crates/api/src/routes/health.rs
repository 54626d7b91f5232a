use axum::Json;
use axum::extract::State;
use viban_core::Health;

use crate::ApiState;

/// Liveness and the database's state; needs no token.
#[utoipa::path(get, path = "/api/health", tag = "health", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<ApiState>) -> Json<Health> {
    let database = state.status.borrow().database.word().to_string();
    Json(Health { status: "ok".into(), version: state.version.to_string(), database })
}
