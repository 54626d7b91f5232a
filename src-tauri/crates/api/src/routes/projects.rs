use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use viban_core::ErrorCode;
use viban_core::{ApiErrorBody, Board, ChangeTable, CreateProject, Project, UpdateProject};
use viban_db::NewProject;

use crate::error::{ApiJson, parse_id};
use crate::{ApiError, ApiState, CacheKey, repo};

#[utoipa::path(get, path = "/api/projects", tag = "projects",
    responses((status = 200, body = Vec<Project>), (status = 401, body = ApiErrorBody)))]
pub async fn list(State(state): State<ApiState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let body =
        state.cache.get_or_compute(CacheKey::Projects, || async { encode(&state.db.list_projects().await?) }).await?;
    Ok(body.into_response(&headers))
}

/// Adds a local git repository as a project.
#[utoipa::path(post, path = "/api/projects", tag = "projects", request_body = CreateProject,
    responses((status = 201, body = Project), (status = 422, description = "not a git repository, or no such path", body = ApiErrorBody),
              (status = 403, description = "path not allowed", body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn create(
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<CreateProject>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(ApiError::validation("a project needs a name of 1 to 200 characters"));
    }
    let repo = repo::validate(&body.repo_path, &state.repo_roots, &state.data_dir).await?;
    let project =
        state.db.create_project(NewProject { name, repo_path: repo.path, default_branch: repo.default_branch }).await?;
    state.cache.invalidate_for(ChangeTable::Project, Some(project.id));
    Ok((StatusCode::CREATED, Json(project)))
}

/// Removes the project from viban (never touches the repository or its worktrees). Its running agents are stopped
/// first (and queued ones dropped); answers once they are gone.
#[utoipa::path(delete, path = "/api/projects/{id}", tag = "projects", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ApiErrorBody),
        (status = 409, description = "its agents did not stop in time; nothing was deleted", body = ApiErrorBody)))]
pub async fn delete(State(state): State<ApiState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let id = parse_id("project", &id)?;
    state.db.get_project(id).await.map_err(|e| not_found_as(e, "project", id))?;
    state.runs.stop_owned(viban_agents::Owner::Project(id)).await?;
    state.db.delete_project(id).await.map_err(|e| not_found_as(e, "project", id))?;
    // A run started while the others stopped lost its row with the project: stop its process too.
    let _ = state.runs.stop_owned(viban_agents::Owner::Project(id)).await;
    state.cache.invalidate_for(ChangeTable::Project, Some(id));
    Ok(StatusCode::NO_CONTENT)
}

/// The five columns with their tasks, in order. Served from a cache kept fresh by the change feed.
/// Renames a project or changes how its worktrees are prepared (setup script, files to copy).
#[utoipa::path(patch, path = "/api/projects/{id}", tag = "projects", params(("id" = String, Path)),
    request_body = UpdateProject,
    responses((status = 200, body = Project), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn update(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateProject>,
) -> Result<Json<Project>, ApiError> {
    let id = parse_id("project", &id)?;
    let project = state.db.update_project(id, body).await.map_err(|e| not_found_as(e, "project", id))?;
    state.cache.invalidate_for(ChangeTable::Project, Some(id));
    Ok(Json(project))
}

#[utoipa::path(get, path = "/api/projects/{id}/board", tag = "projects", params(("id" = String, Path)),
    responses((status = 200, body = Board), (status = 404, body = ApiErrorBody)))]
pub async fn board(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = parse_id("project", &id)?;
    let body = state
        .cache
        .get_or_compute(CacheKey::Board(id), || async {
            encode(&state.db.board(id).await.map_err(|e| not_found_as(e, "project", id))?)
        })
        .await?;
    Ok(body.into_response(&headers))
}

fn encode<T: serde::Serialize>(value: &T) -> Result<bytes::Bytes, ApiError> {
    serde_json::to_vec(value).map(bytes::Bytes::from).map_err(|e| {
        tracing::error!(error = %e, "encoding a response");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "internal error")
    })
}

pub(crate) fn not_found_as(e: viban_db::DbError, what: &str, id: uuid::Uuid) -> ApiError {
    match e {
        viban_db::DbError::NotFound(_) => ApiError::not_found(what, &id.to_string()),
        other => other.into(),
    }
}
