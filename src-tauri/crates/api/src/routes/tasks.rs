use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use viban_core::{
    AddDependency, ApiErrorBody, CreateTask, ErrorCode, SetAutoStart, Task, TaskDependencies, TaskEvent, UpdateTask,
};

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

fn dependency_error(e: viban_db::DbError) -> ApiError {
    match e {
        viban_db::DbError::Conflict(m) => ApiError::new(StatusCode::CONFLICT, ErrorCode::DependencyCycle, m),
        other => other.into(),
    }
}

/// What the task waits for, what waits for it, and its auto-start.
#[utoipa::path(get, path = "/api/tasks/{id}/dependencies", tag = "tasks", params(("id" = String, Path)),
    responses((status = 200, body = TaskDependencies), (status = 404, body = ApiErrorBody)))]
pub async fn dependencies(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<TaskDependencies>, ApiError> {
    let id = parse_id("task", &id)?;
    Ok(Json(state.db.dependencies(id).await.map_err(|e| not_found_as(e, "task", id))?))
}

/// The task waits for `blocker_id` (same project): it cannot start until that is Done. A cycle is refused (409).
#[utoipa::path(post, path = "/api/tasks/{id}/dependencies", tag = "tasks", params(("id" = String, Path)),
    request_body = AddDependency,
    responses((status = 200, body = TaskDependencies), (status = 400, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn add_dependency(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AddDependency>,
) -> Result<Json<TaskDependencies>, ApiError> {
    let id = parse_id("task", &id)?;
    state.db.add_dependency(id, body.blocker_id).await.map_err(dependency_error)?;
    let deps = state.db.dependencies(id).await?;
    Ok(Json(deps))
}

#[utoipa::path(delete, path = "/api/tasks/{id}/dependencies/{blocker}", tag = "tasks",
    params(("id" = String, Path), ("blocker" = String, Path)),
    responses((status = 200, body = TaskDependencies), (status = 404, body = ApiErrorBody)))]
pub async fn remove_dependency(
    State(state): State<ApiState>,
    Path((id, blocker)): Path<(String, String)>,
) -> Result<Json<TaskDependencies>, ApiError> {
    let (id, blocker) = (parse_id("task", &id)?, parse_id("task", &blocker)?);
    state.db.remove_dependency(id, blocker).await?;
    // Its last open blocker may just have gone: an auto-start may be due.
    let project = state.db.get_task(id).await?.project_id;
    state.runs.fire_due(Some(project)).await;
    Ok(Json(state.db.dependencies(id).await?))
}

/// Starts `agent` with `prompt` on the task once its last blocker is Done (once; at once when they already are).
#[utoipa::path(put, path = "/api/tasks/{id}/auto-start", tag = "tasks", params(("id" = String, Path)),
    request_body = SetAutoStart,
    responses((status = 200, body = TaskDependencies), (status = 400, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn set_auto_start(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<SetAutoStart>,
) -> Result<Json<TaskDependencies>, ApiError> {
    let id = parse_id("task", &id)?;
    let agent = body.agent.trim();
    if agent.is_empty() || body.prompt.len() > viban_agents::MAX_PROMPT_BYTES {
        return Err(ApiError::validation("an auto-start needs an agent and a prompt of at most 100,000 bytes"));
    }
    let profiles = state.runs.catalog().profiles().map_err(|e| ApiError::validation(e.to_string()))?;
    if profiles.get(agent).is_none() {
        return Err(viban_agents::RunError::UnknownAgent(agent.to_string()).into());
    }
    state.db.set_auto_start(id, Some((agent, &body.prompt))).await.map_err(|e| not_found_as(e, "task", id))?;
    let project = state.db.get_task(id).await?.project_id;
    state.runs.fire_due(Some(project)).await;
    Ok(Json(state.db.dependencies(id).await?))
}

#[utoipa::path(delete, path = "/api/tasks/{id}/auto-start", tag = "tasks", params(("id" = String, Path)),
    responses((status = 200, body = TaskDependencies), (status = 404, body = ApiErrorBody)))]
pub async fn clear_auto_start(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<TaskDependencies>, ApiError> {
    let id = parse_id("task", &id)?;
    state.db.set_auto_start(id, None).await.map_err(|e| not_found_as(e, "task", id))?;
    Ok(Json(state.db.dependencies(id).await?))
}
