//! Column automations (per project) and the inbox.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use viban_core::{
    ApiErrorBody, Automation, AutomationAction, DismissInbox, ErrorCode, Firing, Inbox, PutAutomation, TaskStatus,
};

use super::projects::not_found_as;
use crate::error::{ApiJson, parse_id};
use crate::{ApiError, ApiState};

fn parse_column(raw: &str) -> Result<TaskStatus, ApiError> {
    TaskStatus::parse(raw).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::Validation,
            format!("{raw:?} is not a column: one of todo, in_progress, in_review, done, cancelled"),
        )
    })
}

/// A project's column automations, in column order, with how many entries wait and run.
#[utoipa::path(get, path = "/api/projects/{id}/automations", tag = "automation", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Automation>), (status = 404, body = ApiErrorBody)))]
pub async fn list(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Json<Vec<Automation>>, ApiError> {
    let project = parse_id("project", &id)?;
    Ok(Json(state.db.list_automations(project).await.map_err(|e| not_found_as(e, "project", project))?))
}

/// Sets what a column does to a card that enters it: a script in the task's worktree, or an agent run.
#[utoipa::path(put, path = "/api/projects/{id}/automations/{column}", tag = "automation",
    params(("id" = String, Path), ("column" = String, Path)), request_body = PutAutomation,
    responses((status = 200, body = Automation), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn put(
    State(state): State<ApiState>,
    Path((id, column)): Path<(String, String)>,
    ApiJson(body): ApiJson<PutAutomation>,
) -> Result<Json<Automation>, ApiError> {
    let project = parse_id("project", &id)?;
    let column = parse_column(&column)?;
    if body.action == AutomationAction::Agent {
        let agent = body.agent.as_deref().unwrap_or("").trim().to_string();
        let known = state.runs.catalog().profiles().map(|p| p.get(&agent).is_some()).unwrap_or(false);
        if !agent.is_empty() && !known {
            return Err(viban_agents::RunError::UnknownAgent(agent).into());
        }
    }
    let saved =
        state.db.put_automation(project, column, &body).await.map_err(|e| not_found_as(e, "project", project))?;
    // Resumed, or a larger WIP limit: entries waiting may start now.
    let runs = state.runs.clone();
    tokio::spawn(async move { runs.pump_automations(Some(project)).await });
    Ok(Json(saved))
}

/// Removes a column's automation; entries still waiting for it are dropped (running ones finish).
#[utoipa::path(delete, path = "/api/projects/{id}/automations/{column}", tag = "automation",
    params(("id" = String, Path), ("column" = String, Path)),
    responses((status = 204), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn delete(
    State(state): State<ApiState>,
    Path((id, column)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let project = parse_id("project", &id)?;
    let column = parse_column(&column)?;
    state.db.delete_automation(project, column).await.map_err(|e| not_found_as(e, "automation", project))?;
    Ok(StatusCode::NO_CONTENT)
}

/// What the column automations did with a task, newest first.
#[utoipa::path(get, path = "/api/tasks/{id}/automations", tag = "automation", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Firing>), (status = 404, body = ApiErrorBody)))]
pub async fn task_firings(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<Firing>>, ApiError> {
    let task = parse_id("task", &id)?;
    state.db.get_task(task).await.map_err(|e| not_found_as(e, "task", task))?;
    Ok(Json(state.db.task_firings(task).await?))
}

/// Everything that waits for the user across projects, oldest first.
#[utoipa::path(get, path = "/api/inbox", tag = "automation", responses((status = 200, body = Inbox)))]
pub async fn inbox(State(state): State<ApiState>) -> Result<Json<Inbox>, ApiError> {
    Ok(Json(state.runs.inbox().await?))
}

/// Takes a failure the user has seen out of the inbox.
#[utoipa::path(post, path = "/api/inbox/dismiss", tag = "automation", request_body = DismissInbox,
    responses((status = 204), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody)))]
pub async fn dismiss(
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<DismissInbox>,
) -> Result<StatusCode, ApiError> {
    match (body.run_id, body.firing_id) {
        (Some(run), None) => state.db.dismiss_run(run).await.map_err(|e| not_found_as(e, "run", run))?,
        (None, Some(firing)) => {
            state.db.dismiss_firing(firing).await.map_err(|e| not_found_as(e, "automation entry", firing))?
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                ErrorCode::Validation,
                "give exactly one of run_id and firing_id",
            ));
        }
    }
    Ok(StatusCode::NO_CONTENT)
}
