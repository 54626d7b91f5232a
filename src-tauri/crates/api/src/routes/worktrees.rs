//! The disk view: every worktree viban made with its size and state, and the cleanup of the safe ones. Paths in
//! requests must be worktrees viban made, exactly as listed (anything else: 404 `not_a_worktree`).

use axum::Json;
use axum::extract::State;
use viban_core::{ApiErrorBody, CleanupRequest, CleanupResult, WorktreeInfo};

use crate::error::ApiJson;
use crate::{ApiError, ApiState};

/// Every worktree viban made (existing or not): task, branch, size (`du -sb`), uncommitted and unmerged work, age,
/// and whether it can go without losing anything.
#[utoipa::path(get, path = "/api/worktrees", tag = "worktrees",
    responses((status = 200, body = Vec<WorktreeInfo>)))]
pub async fn list(State(state): State<ApiState>) -> Result<Json<Vec<WorktreeInfo>>, ApiError> {
    Ok(Json(state.runs.worktrees().await?))
}

/// Removes the safe worktrees among `paths` (all of them when absent); `force` (with `paths`) removes the listed
/// ones even with uncommitted or unmerged, unpushed work. Never one with an active run.
#[utoipa::path(post, path = "/api/worktrees/cleanup", tag = "worktrees", request_body = CleanupRequest,
    responses((status = 200, body = CleanupResult),
        (status = 400, body = ApiErrorBody, description = "validation (force without paths)"),
        (status = 404, body = ApiErrorBody, description = "not_a_worktree (nothing was removed)")))]
pub async fn cleanup(
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<CleanupRequest>,
) -> Result<Json<CleanupResult>, ApiError> {
    Ok(Json(state.runs.cleanup_worktrees(body).await?))
}
