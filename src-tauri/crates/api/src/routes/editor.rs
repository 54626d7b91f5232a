//! Leaving viban for the user's own tools: the editor on a run's worktree (or a file at a line), and a plain
//! shell in the worktree inside the app. Both run on the machine the server runs on.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use viban_core::{ApiErrorBody, Editors, OpenInEditor, Run, StartShell};

use crate::error::{ApiJson, parse_id};
use crate::{ApiError, ApiState};

/// The editor presets (with whether each is on the login shell's PATH), the configured command and the one used.
#[utoipa::path(get, path = "/api/editors", tag = "runs", responses((status = 200, body = Editors),
    (status = 422, body = ApiErrorBody)))]
pub async fn editors(State(state): State<ApiState>) -> Result<Json<Editors>, ApiError> {
    Ok(Json(state.runs.editors().await?))
}

/// Opens the run's worktree, or one of its files at a line, in the user's editor (detached, on the server's
/// machine). 400 `invalid_path` for a path outside the worktree, 409 `worktree_removed`, 422 `no_editor`.
#[utoipa::path(post, path = "/api/runs/{id}/open", tag = "runs", params(("id" = String, Path)),
    request_body = OpenInEditor,
    responses((status = 204), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn open(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OpenInEditor>,
) -> Result<StatusCode, ApiError> {
    state.runs.open_in_editor(parse_id("run", &id)?, body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts the user's login shell in a PTY in the run's worktree: a run of kind `shell` (not queued, never moves
/// the card); its terminal is `/api/runs/{new id}/pty` like an agent's.
#[utoipa::path(post, path = "/api/runs/{id}/shell", tag = "runs", params(("id" = String, Path)),
    request_body = StartShell,
    responses((status = 201, body = Run), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn shell(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StartShell>,
) -> Result<(StatusCode, Json<Run>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.runs.start_shell(parse_id("run", &id)?, body).await?)))
}
