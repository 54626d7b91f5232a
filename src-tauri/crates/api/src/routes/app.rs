use axum::extract::State;
use axum::http::StatusCode;
use viban_core::ApiErrorBody;
use viban_core::ErrorCode;

use crate::{ApiError, ApiState, ShellCommand};

/// Asks the desktop shell to show and focus its window (what a second launch of `viban` does).
#[utoipa::path(post, path = "/api/app/show", tag = "app",
    responses((status = 204), (status = 409, description = "no desktop window (headless)", body = ApiErrorBody)))]
pub async fn show(State(state): State<ApiState>) -> Result<StatusCode, ApiError> {
    match state.shell.send(ShellCommand::ShowWindow) {
        Ok(_) => Ok(StatusCode::NO_CONTENT),
        Err(_) => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::NoWindow,
            "this viban runs headless: open its URL in a browser",
        )),
    }
}
