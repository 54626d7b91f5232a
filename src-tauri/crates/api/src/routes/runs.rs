//! Runs: start, follow up, stop, type into, resize, inspect, export.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use viban_core::{ApiErrorBody, FollowUp, Run, RunInput, RunResize, RunScreen, StartRun};

use crate::error::{ApiJson, ApiQuery, parse_id};
use crate::{ApiError, ApiState};

/// Starts a new attempt on a task: a worktree and branch of its own, queued until a slot is free.
#[utoipa::path(post, path = "/api/tasks/{id}/runs", tag = "runs", params(("id" = String, Path)),
    request_body = StartRun,
    responses((status = 201, body = Run), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn start(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<StartRun>,
) -> Result<(StatusCode, Json<Run>), ApiError> {
    let task = parse_id("task", &id)?;
    Ok((StatusCode::CREATED, Json(state.runs.start_run(task, body).await?)))
}

/// A task's runs, newest first.
#[utoipa::path(get, path = "/api/tasks/{id}/runs", tag = "runs", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Run>), (status = 404, body = ApiErrorBody)))]
pub async fn task_runs(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Json<Vec<Run>>, ApiError> {
    Ok(Json(state.runs.task_runs(parse_id("task", &id)?).await?))
}

/// The newest run of each task of a project (what the cards show).
#[utoipa::path(get, path = "/api/projects/{id}/runs", tag = "runs", params(("id" = String, Path)),
    responses((status = 200, body = Vec<Run>), (status = 404, body = ApiErrorBody)))]
pub async fn project_runs(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Json<Vec<Run>>, ApiError> {
    Ok(Json(state.runs.project_runs(parse_id("project", &id)?).await?))
}

/// Every active (queued, starting, running) run, newest first.
#[utoipa::path(get, path = "/api/runs", tag = "runs", responses((status = 200, body = Vec<Run>)))]
pub async fn active(State(state): State<ApiState>) -> Result<Json<Vec<Run>>, ApiError> {
    Ok(Json(state.runs.active().await?))
}

#[utoipa::path(get, path = "/api/runs/{id}", tag = "runs", params(("id" = String, Path)),
    responses((status = 200, body = Run), (status = 404, body = ApiErrorBody)))]
pub async fn get(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Json<Run>, ApiError> {
    Ok(Json(state.runs.get(parse_id("run", &id)?).await?))
}

/// Another run in the same worktree and branch, with the profile's follow-up form.
#[utoipa::path(post, path = "/api/runs/{id}/follow-up", tag = "runs", params(("id" = String, Path)),
    request_body = FollowUp,
    responses((status = 201, body = Run), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn follow_up(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FollowUp>,
) -> Result<(StatusCode, Json<Run>), ApiError> {
    Ok((StatusCode::CREATED, Json(state.runs.follow_up(parse_id("run", &id)?, body).await?)))
}

/// Stops the run (SIGINT → SIGTERM → SIGKILL to all its processes) and returns it once they are gone.
#[utoipa::path(post, path = "/api/runs/{id}/stop", tag = "runs", params(("id" = String, Path)),
    responses((status = 200, body = Run), (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody)))]
pub async fn stop(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Json<Run>, ApiError> {
    Ok(Json(state.runs.stop(parse_id("run", &id)?).await?))
}

/// Types into the agent's terminal.
#[utoipa::path(post, path = "/api/runs/{id}/input", tag = "runs", params(("id" = String, Path)), request_body = RunInput,
    responses((status = 204), (status = 409, body = ApiErrorBody), (status = 429, body = ApiErrorBody)))]
pub async fn input(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RunInput>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id("run", &id)?;
    state.runs.get(id).await?;
    state.runs.input(id, body.data.into_bytes())?;
    Ok(StatusCode::NO_CONTENT)
}

#[utoipa::path(post, path = "/api/runs/{id}/resize", tag = "runs", params(("id" = String, Path)),
    request_body = RunResize, responses((status = 204), (status = 409, body = ApiErrorBody)))]
pub async fn resize(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RunResize>,
) -> Result<StatusCode, ApiError> {
    let id = parse_id("run", &id)?;
    state.runs.get(id).await?;
    state.runs.resize(id, body.cols, body.rows)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The current screen as text (from the server-side terminal; the last screen of a finished run).
#[utoipa::path(get, path = "/api/runs/{id}/screen", tag = "runs", params(("id" = String, Path)),
    responses((status = 200, body = RunScreen), (status = 404, body = ApiErrorBody)))]
pub async fn screen(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Json<RunScreen>, ApiError> {
    Ok(Json(state.runs.screen(parse_id("run", &id)?).await?))
}

#[derive(Debug, Deserialize)]
pub struct Force {
    #[serde(default)]
    force: bool,
}

/// Removes the run's worktree folder; its branch and commits stay.
#[utoipa::path(delete, path = "/api/runs/{id}/worktree", tag = "runs",
    params(("id" = String, Path), ("force" = Option<bool>, Query)),
    responses((status = 204), (status = 409, body = ApiErrorBody)))]
pub async fn remove_worktree(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<Force>,
) -> Result<StatusCode, ApiError> {
    state.runs.remove_worktree(parse_id("run", &id)?, q.force).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The transcript as asciicast v2, streamed from the store.
#[utoipa::path(get, path = "/api/runs/{id}/transcript.cast", tag = "runs", params(("id" = String, Path)),
    responses((status = 200, content_type = "application/x-asciicast", body = String),
        (status = 404, body = ApiErrorBody)))]
pub async fn cast(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Response, ApiError> {
    let id = parse_id("run", &id)?;
    let run = state.runs.get(id).await?;
    let started = run.started_at.unwrap_or(run.created_at);
    let header = viban_agents::cast::header(run.cols, run.rows, started.timestamp(), &run.prompt);
    let mut reader = state.runs.stored_output(id, 0).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(4);
    tokio::spawn(async move {
        if tx.send(Ok(header)).await.is_err() {
            return;
        }
        let mut writer = viban_agents::cast::EventWriter::default();
        let mut last_ms = 0i64;
        loop {
            match reader.next().await {
                Ok(Some(c)) => {
                    last_ms = c.at_ms;
                    let event = writer.event(c.at_ms, &c.data);
                    // A chunk holding only part of a character adds no event.
                    if !event.is_empty() && tx.send(Ok(event)).await.is_err() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                    return;
                }
            }
        }
        let _ = tx.send(Ok(writer.finish(last_ms))).await;
    });
    let body = Body::from_stream(receiver_stream(rx));
    let name = format!("attachment; filename=\"viban-run-{}.cast\"", &id.simple().to_string()[..8]);
    Ok(([(header::CONTENT_TYPE, "application/x-asciicast"), (header::CONTENT_DISPOSITION, name.as_str())], body)
        .into_response())
}

fn receiver_stream(
    mut rx: tokio::sync::mpsc::Receiver<Result<String, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<String, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}
