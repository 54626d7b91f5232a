use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use viban_core::{ApiErrorBody, CreateTask, Task, TaskEvent, UpdateTask};

use super::projects::not_found_as;
use crate::error::{ApiJson, parse_id};
use crate::{ApiError, ApiState, CacheKey};

/// Creates a task at the top of its column (Todo unless `status` says otherwise).
#[utoipa::path(post, path = "/api/projects/{id}/tasks", tag = "tasks", params(("id" = String, Path)),
    request_body = CreateTask,
    responses((status = 201, body = Task), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn create(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CreateTask>,
) -> Result<(StatusCode, Json<Task>), ApiError> {
    let project = parse_id("project", &id)?;
    let task = state.db.create_task(project, body).await.map_err(|e| not_found_as(e, "project", project))?;
    state.cache.invalidate(CacheKey::Board(project));
    Ok((StatusCode::CREATED, Json(task)))
}

#[utoipa::path(get, path = "/api/tasks/{id}", tag = "tasks", params(("id" = String, Path)),
    responses((status = 200, body = Task), (status = 404, body = ApiErrorBody)))]
pub async fn get(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Json<Task>, ApiError> {
    let id = parse_id("task", &id)?;
    Ok(Json(state.db.get_task(id).await.map_err(|e| not_found_as(e, "task", id))?))
}

/// Edits a task and/or moves it: `position` is the index in the (new) column, counted without the task.
#[utoipa::path(patch, path = "/api/tasks/{id}", tag = "tasks", params(("id" = String, Path)), request_body = UpdateTask,
    responses((status = 200, body = Task), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn update(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateTask>,
) -> Result<Json<Task>, ApiError> {
    let id = parse_id("task", &id)?;
    let task = state.db.update_task(id, body).await.map_err(|e| not_found_as(e, "task", id))?;
    state.cache.invalidate(CacheKey::Board(task.project_id));
    Ok(Json(task))
}

/// Deletes a task and its runs; its history (with a snapshot) stays readable at `/api/tasks/{id}/events`. Its
/// running agents are stopped first (and queued ones dropped); answers once they are gone.
#[utoipa::path(delete, path = "/api/tasks/{id}", tag = "tasks", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ApiErrorBody),
        (status = 409, description = "its agents did not stop in time; nothing was deleted", body = ApiErrorBody)))]
pub async fn delete(State(state): State<ApiState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    let id = parse_id("task", &id)?;
    let task = state.db.get_task(id).await.map_err(|e| not_found_as(e, "task", id))?;
    state.runs.stop_owned(viban_agents::Owner::Task(id)).await?;
    state.db.delete_task(id).await.map_err(|e| not_found_as(e, "task", id))?;
    // A run started while the others stopped lost its row with the task: stop its process too.
    let _ = state.runs.stop_owned(viban_agents::Owner::Task(id)).await;
    state.cache.invalidate(CacheKey::Board(task.project_id));
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(get, path = "/api/tasks/{id}/events", tag = "tasks", params(("id" = String, Path)),
    responses((status = 200, body = Vec<TaskEvent>), (status = 404, body = ApiErrorBody)))]
pub async fn events(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Json<Vec<TaskEvent>>, ApiError> {
    let id = parse_id("task", &id)?;
    Ok(Json(state.db.task_events(id).await.map_err(|e| not_found_as(e, "task", id))?))
}
