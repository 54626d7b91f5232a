//! Landing a run's work: its branch's git state, commit, merge, rebase (and abort), push, pull request. Each
//! answers the new `GitState`; refusals are `{code, message}` with the fix.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use viban_core::{ApiErrorBody, CommitRequest, GitState, MergeRequest, PrRequest, PushRequest};
use viban_git::LandError;

use crate::error::{ApiJson, parse_id};
use crate::{ApiError, ApiState};

/// HTTP status of a landing error (the code and message come from `LandError`).
pub fn from_land(e: LandError) -> ApiError {
    use LandError as L;
    let status = match &e {
        L::NothingToCommit(_)
        | L::TargetDirty(_)
        | L::Uncommitted
        | L::MergeConflict(_)
        | L::NothingToMerge(_)
        | L::MergeFailed(_)
        | L::RebaseInProgress
        | L::NoRebase
        | L::PushRejected(_) => StatusCode::CONFLICT,
        L::HookFailed(_)
        | L::CommitFailed(_)
        | L::BadPath(_)
        | L::BadTarget(_)
        | L::RebaseFailed(_)
        | L::PushFailed(_)
        | L::NoRemote
        | L::CliMissing(..)
        | L::NotLoggedIn(..)
        | L::UnknownProvider(_)
        | L::PrFailed(_) => StatusCode::UNPROCESSABLE_ENTITY,
        L::Git(_) => {
            // git's stderr and paths stay in the log.
            tracing::error!(error = %e, "git operation failed");
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                e.code(),
                "the git operation failed; see the server log for details",
            );
        }
    };
    ApiError::new(status, e.code(), e.to_string())
}

/// A landing operation may move HEAD, the target or the index, even when it fails half way: kept change listings
/// go (all of them: a merge moves the target other runs are compared with; landing is rare).
fn forget_listings(state: &ApiState) {
    state.diffs.invalidate(None);
}

/// The run's branch against its target: ahead/behind, uncommitted files, a rebase under way, upstream, PR, and
/// the command line each action runs.
#[utoipa::path(get, path = "/api/runs/{id}/git", tag = "land", params(("id" = String, Path)),
    responses((status = 200, body = GitState), (status = 404, body = ApiErrorBody)))]
pub async fn git_state(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Json<GitState>, ApiError> {
    Ok(Json(state.runs.git_state(parse_id("run", &id)?).await?))
}

/// Commits every change (`git add -A`) or only `paths` (inside the worktree). A refusing hook changes nothing.
#[utoipa::path(post, path = "/api/runs/{id}/commit", tag = "land", params(("id" = String, Path)),
    request_body = CommitRequest,
    responses((status = 200, body = GitState), (status = 409, body = ApiErrorBody, description = "nothing_to_commit, rebase_in_progress, worktree_removed"),
        (status = 422, body = ApiErrorBody, description = "hook_failed, commit_failed, invalid_path")))]
pub async fn commit(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<CommitRequest>,
) -> Result<Json<GitState>, ApiError> {
    let landed = state.runs.commit(parse_id("run", &id)?, body).await;
    forget_listings(&state);
    Ok(Json(landed?))
}

/// Merges (or squashes) the branch into its target; the task moves to Done.
#[utoipa::path(post, path = "/api/runs/{id}/merge", tag = "land", params(("id" = String, Path)),
    request_body = MergeRequest,
    responses((status = 200, body = GitState),
        (status = 409, body = ApiErrorBody, description = "target_dirty, uncommitted, merge_conflict, nothing_to_merge, merge_failed, rebase_in_progress, run_active, worktree_removed"),
        (status = 422, body = ApiErrorBody, description = "bad_target")))]
pub async fn merge(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<MergeRequest>,
) -> Result<Json<GitState>, ApiError> {
    let landed = state.runs.merge(parse_id("run", &id)?, body).await;
    forget_listings(&state);
    Ok(Json(landed?))
}

/// Rebases the branch onto its target in the worktree; conflicts come back in `rebase.conflicts` (200).
#[utoipa::path(post, path = "/api/runs/{id}/rebase", tag = "land", params(("id" = String, Path)),
    responses((status = 200, body = GitState),
        (status = 409, body = ApiErrorBody, description = "run_active, uncommitted, rebase_in_progress, worktree_removed"),
        (status = 422, body = ApiErrorBody, description = "bad_target, rebase_failed")))]
pub async fn rebase(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Json<GitState>, ApiError> {
    let landed = state.runs.rebase(parse_id("run", &id)?).await;
    forget_listings(&state);
    Ok(Json(landed?))
}

/// `git rebase --abort`: the branch and files exactly as before the rebase.
#[utoipa::path(post, path = "/api/runs/{id}/rebase/abort", tag = "land", params(("id" = String, Path)),
    responses((status = 200, body = GitState), (status = 409, body = ApiErrorBody, description = "no_rebase, run_active")))]
pub async fn rebase_abort(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Json<GitState>, ApiError> {
    let landed = state.runs.rebase_abort(parse_id("run", &id)?).await;
    forget_listings(&state);
    Ok(Json(landed?))
}

/// `git push -u <remote> <branch>`; `force` uses `--force-with-lease`.
#[utoipa::path(post, path = "/api/runs/{id}/push", tag = "land", params(("id" = String, Path)),
    request_body = PushRequest,
    responses((status = 200, body = GitState), (status = 409, body = ApiErrorBody, description = "push_rejected"),
        (status = 422, body = ApiErrorBody, description = "no_remote, push_failed")))]
pub async fn push(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PushRequest>,
) -> Result<Json<GitState>, ApiError> {
    let landed = state.runs.push(parse_id("run", &id)?, body.force).await;
    forget_listings(&state);
    Ok(Json(landed?))
}

/// Opens a pull request with `gh` (GitHub) or a merge request with `glab` (GitLab), pushing first if needed; an
/// existing one for the branch is adopted.
#[utoipa::path(post, path = "/api/runs/{id}/pr", tag = "land", params(("id" = String, Path)),
    request_body = PrRequest,
    responses((status = 200, body = GitState), (status = 409, body = ApiErrorBody, description = "push_rejected"),
        (status = 422, body = ApiErrorBody, description = "gh_missing, glab_missing, gh_not_logged_in, glab_not_logged_in, no_remote, unknown_provider, push_failed, pr_failed")))]
pub async fn pr(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PrRequest>,
) -> Result<Json<GitState>, ApiError> {
    let landed = state.runs.open_pr(parse_id("run", &id)?, body).await;
    forget_listings(&state);
    Ok(Json(landed?))
}
