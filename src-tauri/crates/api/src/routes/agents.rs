//! Agent profiles: what is installed, and the user's profile file.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use viban_agents::catalog::{Catalog, CatalogError};
use viban_core::ErrorCode;
use viban_core::{AgentConfig, AgentInfo, ApiErrorBody};

use crate::error::ApiJson;
use crate::{ApiError, ApiState};

fn catalog_error(e: CatalogError) -> ApiError {
    match e {
        CatalogError::Invalid(m) => {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidProfile, m.to_string())
        }
        CatalogError::Io(m) => {
            tracing::error!(error = %m, "agent profile file");
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::Io,
                "the agent profile file could not be read or written; see the server log",
            )
        }
    }
}

pub(crate) async fn list_blocking(catalog: Catalog, refresh: bool) -> Result<Vec<AgentInfo>, ApiError> {
    tokio::task::spawn_blocking(move || catalog.list(refresh))
        .await
        .map_err(|e| {
            tracing::error!(error = %e, "agent detection task");
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "internal error; see the server log")
        })?
        .map_err(catalog_error)
}

/// Every profile with what detection found (cached; `POST /api/agents/detect` detects again).
#[utoipa::path(get, path = "/api/agents", tag = "agents",
    responses((status = 200, body = Vec<AgentInfo>), (status = 422, body = ApiErrorBody)))]
pub async fn list(State(state): State<ApiState>) -> Result<Json<Vec<AgentInfo>>, ApiError> {
    Ok(Json(list_blocking(state.runs.catalog().clone(), false).await?))
}

/// Re-reads the login shell's PATH and runs every profile's version command again (a POST: it runs programs).
#[utoipa::path(post, path = "/api/agents/detect", tag = "agents",
    responses((status = 200, body = Vec<AgentInfo>), (status = 422, body = ApiErrorBody)))]
pub async fn detect(State(state): State<ApiState>) -> Result<Json<Vec<AgentInfo>>, ApiError> {
    Ok(Json(list_blocking(state.runs.catalog().clone(), true).await?))
}

/// The user's profile file (a commented template when there is none yet).
#[utoipa::path(get, path = "/api/agents/config", tag = "agents", responses((status = 200, body = AgentConfig)))]
pub async fn get_config(State(state): State<ApiState>) -> Result<Json<AgentConfig>, ApiError> {
    let catalog = state.runs.catalog();
    let text = catalog.text().map_err(catalog_error)?;
    Ok(Json(AgentConfig { path: catalog.file().display().to_string(), text }))
}

/// Replaces the profile file; nothing is written unless it parses. Returns the agents as now configured.
#[utoipa::path(put, path = "/api/agents/config", tag = "agents", request_body = AgentConfig,
    responses((status = 200, body = Vec<AgentInfo>), (status = 422, body = ApiErrorBody)))]
pub async fn put_config(
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<AgentConfig>,
) -> Result<Json<Vec<AgentInfo>>, ApiError> {
    let catalog = state.runs.catalog().clone();
    catalog.save(&body.text).map_err(catalog_error)?;
    Ok(Json(list_blocking(catalog, false).await?))
}
