//! Review comments on a run's change, and "Send to agent": the comments become a follow-up prompt, and the
//! follow-up run is recorded on them. Whether a comment is outdated is computed on every read, from the file as it
//! is now (worktree side read beneath the worktree without following links; merge-base side from git).

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use viban_core::ErrorCode;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use uuid::Uuid;
use viban_core::{
    ApiErrorBody, CommentPrompt, CommentPromptRequest, CommentSide, FollowUp, NewComment, ReviewComment, Run,
    SendComments, UpdateComment,
};
use viban_db::{NewCommentRow, StoredComment};
use viban_git::{DiffError, DiffStats, NoText, Side};

use crate::error::{ApiJson, parse_id};
use crate::{ApiError, ApiState};

const MAX_BODY_CHARS: usize = 10_000;
/// Files larger than the diff viewer shows take no line comments either.
const TEXT_CAP: u64 = 1 << 20;
/// How far from its old place a moved line is looked for.
const NEARBY_LINES: usize = 100;

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        tracing::error!(error = %e, "comment task failed");
        Err(DiffError::Io(e.to_string()).into())
    })
}

fn lossy(bytes: &[u8]) -> String {
    // PostgreSQL text cannot hold NUL.
    String::from_utf8_lossy(bytes).replace('\0', "\u{fffd}")
}

fn side_of(side: CommentSide) -> Side {
    match side {
        CommentSide::Old => Side::Old,
        CommentSide::New => Side::New,
    }
}

fn check_body(body: &str) -> Result<(), ApiError> {
    if body.trim().is_empty() {
        return Err(ApiError::validation("the comment is empty"));
    }
    let n = body.chars().count();
    if n > MAX_BODY_CHARS {
        return Err(ApiError::validation(format!("the comment has {n} characters; at most {MAX_BODY_CHARS}")));
    }
    if body.contains('\0') {
        return Err(ApiError::validation("the comment contains a NUL character"));
    }
    Ok(())
}

/// The exact bytes of a stored path and, on the old side, the name it had at the merge-base (renames).
fn locate(listing: Option<&DiffStats>, path: &str, side: CommentSide) -> (Vec<u8>, bool) {
    let entry = listing.and_then(|l| viban_git::find_entry(&l.files, path.as_bytes()).ok());
    match entry {
        Some(e) if side == CommentSide::Old => (e.old_path.clone().unwrap_or_else(|| e.path.clone()), true),
        Some(e) => (e.path.clone(), true),
        None => (path.as_bytes().to_vec(), false),
    }
}

/// What a new comment is checked against and stores: the path as listed and the line's text.
fn prepare(run: &Run, req: &NewComment) -> Result<(String, String), ApiError> {
    viban_git::check_request_path(req.path.as_bytes())?;
    let dir = PathBuf::from(&run.worktree_path);
    let listing = viban_git::diff_files(&dir, &run.base_ref)?;
    let entry = viban_git::find_entry(&listing.files, req.path.as_bytes()).ok();
    let shown = entry.map_or_else(|| req.path.clone(), |e| lossy(&e.path));
    let (exact, in_diff) = locate(Some(&listing), &req.path, req.side);
    let text = viban_git::side_text(&dir, &listing.merge_base, &exact, side_of(req.side), TEXT_CAP)?;
    let side = req.side.as_str();
    let text = match text {
        Ok(t) => t,
        Err(NoText::Missing) if !in_diff => return Err(DiffError::NotInDiff(req.path.clone()).into()),
        Err(NoText::Missing) => {
            return Err(ApiError::validation(format!("{shown} has no {side} side (it was added or deleted)")));
        }
        Err(why) => {
            let why = match why {
                NoText::Binary => "is binary",
                NoText::TooLarge => "is too large to comment on by line (over 1 MiB)",
                _ => "is not a file",
            };
            return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::NotText, format!("{shown} {why}")));
        }
    };
    let lines = viban_git::split_lines(&text);
    let line = usize::try_from(req.line).unwrap_or(usize::MAX);
    let Some(content) = lines.get(line.wrapping_sub(1)) else {
        return Err(ApiError::validation(format!(
            "line {} is past the end of {shown} ({} lines on the {side} side)",
            req.line,
            lines.len()
        )));
    };
    Ok((shown, lossy(content)))
}

/// Each side of each file read once.
type Texts = HashMap<(CommentSide, String), Option<Vec<String>>>;

fn read_lines(run: &Run, listing: Option<&DiffStats>, path: &str, side: CommentSide) -> Option<Vec<String>> {
    let (exact, _) = locate(listing, path, side);
    let merge_base = listing.map(|l| l.merge_base.as_str()).unwrap_or_default();
    if side == CommentSide::Old && merge_base.is_empty() {
        return None;
    }
    let dir = PathBuf::from(&run.worktree_path);
    match viban_git::side_text(&dir, merge_base, &exact, side_of(side), TEXT_CAP) {
        Ok(Ok(text)) => Some(viban_git::split_lines(&text).into_iter().map(lossy).collect()),
        Ok(Err(_)) => None,
        Err(e) => {
            tracing::debug!(error = %e, "reading a commented file");
            None
        }
    }
}

/// The nearest line within `NEARBY_LINES` of `line` (1-based) that reads `text`; blank lines are not tracked.
fn nearest(lines: &[String], text: &str, line: usize) -> Option<usize> {
    if text.trim().is_empty() {
        return None;
    }
    let from = line.saturating_sub(NEARBY_LINES).max(1);
    let to = line.saturating_add(NEARBY_LINES).min(lines.len());
    (from..=to).filter(|n| lines[n - 1] == text).min_by_key(|n| (n.abs_diff(line), *n))
}

/// `outdated` and `current_line` of each comment, from the files as they are now. Blocking.
fn annotate(run: &Run, stored: Vec<StoredComment>) -> Vec<ReviewComment> {
    if stored.is_empty() {
        return Vec::new();
    }
    let listing = viban_git::diff_files(std::path::Path::new(&run.worktree_path), &run.base_ref)
        .inspect_err(|e| tracing::debug!(error = %e, run = %run.id, "no listing for comments"))
        .ok();
    let mut texts = Texts::new();
    stored
        .iter()
        .map(|s| {
            let mut c = s.to_api();
            let lines = texts
                .entry((c.side, c.path.clone()))
                .or_insert_with(|| read_lines(run, listing.as_ref(), &c.path, c.side));
            let at = usize::try_from(c.line).unwrap_or(0);
            let (outdated, current) = match lines {
                Some(ls) if ls.get(at.wrapping_sub(1)) == Some(&c.line_text) => (false, Some(at)),
                Some(ls) => (true, nearest(ls, &c.line_text, at)),
                None => (true, None),
            };
            c.outdated = outdated;
            c.current_line = current.and_then(|n| i32::try_from(n).ok());
            c
        })
        .collect()
}

async fn run_of(state: &ApiState, id: &str) -> Result<Run, ApiError> {
    Ok(state.runs.get(parse_id("run", id)?).await?)
}

async fn annotated(state: &ApiState, run: Run) -> Result<Vec<ReviewComment>, ApiError> {
    let stored = state.db.worktree_comments(run.id).await?;
    blocking(move || Ok(annotate(&run, stored))).await
}

/// The comments of the run's worktree (made on this run or another run of the same worktree), oldest first.
#[utoipa::path(get, path = "/api/runs/{id}/comments", tag = "review", params(("id" = String, Path)),
    responses((status = 200, body = Vec<ReviewComment>), (status = 404, body = ApiErrorBody)))]
pub async fn list(State(state): State<ApiState>, Path(id): Path<String>) -> Result<Json<Vec<ReviewComment>>, ApiError> {
    let run = run_of(&state, &id).await?;
    Ok(Json(annotated(&state, run).await?))
}

/// A comment on one line of a file of the run's change (or any file in its worktree).
#[utoipa::path(post, path = "/api/runs/{id}/comments", tag = "review", params(("id" = String, Path)),
    request_body = NewComment,
    responses((status = 201, body = ReviewComment), (status = 400, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn create(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<NewComment>,
) -> Result<(StatusCode, Json<ReviewComment>), ApiError> {
    let run = run_of(&state, &id).await?;
    check_body(&req.body)?;
    if req.line < 1 || req.line > i64::from(i32::MAX) {
        return Err(ApiError::validation(format!("line {} is not a line number (lines count from 1)", req.line)));
    }
    let (path, line_text) = {
        let (run, req) = (run.clone(), req.clone());
        blocking(move || prepare(&run, &req)).await?
    };
    let row = NewCommentRow {
        run_id: run.id,
        path,
        side: req.side,
        line: i32::try_from(req.line).unwrap_or(i32::MAX),
        line_text,
        body: req.body,
    };
    let stored = state.db.insert_comment(&row).await?;
    Ok((StatusCode::CREATED, Json(stored.to_api())))
}

/// Edits a comment's text or marks it resolved (or not).
#[utoipa::path(patch, path = "/api/comments/{id}", tag = "review", params(("id" = String, Path)),
    request_body = UpdateComment,
    responses((status = 200, body = ReviewComment), (status = 400, body = ApiErrorBody),
        (status = 404, body = ApiErrorBody)))]
pub async fn update(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<UpdateComment>,
) -> Result<Json<ReviewComment>, ApiError> {
    let id = parse_id("comment", &id)?;
    if let Some(body) = &req.body {
        check_body(body)?;
    }
    let stored = state.db.update_comment(id, req.body.as_deref(), req.resolved).await?;
    let run = state.runs.get(stored.run_id).await?;
    let mut out = blocking(move || Ok(annotate(&run, vec![stored]))).await?;
    out.pop().map(Json).ok_or_else(|| ApiError::not_found("comment", &id.to_string()))
}

#[utoipa::path(delete, path = "/api/comments/{id}", tag = "review", params(("id" = String, Path)),
    responses((status = 204), (status = 404, body = ApiErrorBody)))]
pub async fn delete(State(state): State<ApiState>, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    state.db.delete_comment(parse_id("comment", &id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `ids` out of the worktree's comments (each must be one of them), or the unresolved ones not sent yet.
fn pick(all: Vec<ReviewComment>, ids: Option<&[Uuid]>) -> Result<Vec<ReviewComment>, ApiError> {
    let picked: Vec<ReviewComment> = match ids {
        Some(ids) => {
            let known: HashSet<Uuid> = all.iter().map(|c| c.id).collect();
            if let Some(missing) = ids.iter().find(|id| !known.contains(id)) {
                return Err(ApiError::new(
                    StatusCode::NOT_FOUND,
                    ErrorCode::NotFound,
                    format!("no comment with id '{missing}' on this run's worktree"),
                ));
            }
            let wanted: HashSet<&Uuid> = ids.iter().collect();
            all.into_iter().filter(|c| wanted.contains(&c.id)).collect()
        }
        None => all.into_iter().filter(|c| !c.resolved && c.sent_in_run.is_none()).collect(),
    };
    if picked.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            ErrorCode::NoComments,
            "there are no comments to send: every comment is resolved or already sent (name them in `ids` to send \
             them again)",
        ));
    }
    Ok(picked)
}

/// The follow-up prompt built from comments (default: the unresolved ones not sent yet), for the user to edit.
#[utoipa::path(post, path = "/api/runs/{id}/comments/prompt", tag = "review", params(("id" = String, Path)),
    request_body = CommentPromptRequest,
    responses((status = 200, body = CommentPrompt), (status = 404, body = ApiErrorBody),
        (status = 422, body = ApiErrorBody)))]
pub async fn prompt(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<CommentPromptRequest>,
) -> Result<Json<CommentPrompt>, ApiError> {
    let run = run_of(&state, &id).await?;
    let picked = pick(annotated(&state, run).await?, req.ids.as_deref())?;
    let prompt = viban_core::comments_prompt(&picked);
    let mut ordered = picked;
    ordered.sort_by(|a, b| (&a.path, a.side, a.line, a.created_at).cmp(&(&b.path, b.side, b.line, b.created_at)));
    Ok(Json(CommentPrompt { prompt, ids: ordered.into_iter().map(|c| c.id).collect() }))
}

/// "Send to agent": starts a follow-up run in the same worktree with `prompt` (as `POST /follow-up` does) and
/// records it on the comments `ids`.
#[utoipa::path(post, path = "/api/runs/{id}/comments/send", tag = "review", params(("id" = String, Path)),
    request_body = SendComments,
    responses((status = 201, body = Run), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn send(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SendComments>,
) -> Result<(StatusCode, Json<Run>), ApiError> {
    let run = run_of(&state, &id).await?;
    if req.ids.is_empty() {
        return Err(ApiError::validation("ids is empty: name the comments sent (or use POST /follow-up)"));
    }
    let stored = state.db.worktree_comments(run.id).await?;
    let all: Vec<ReviewComment> = stored.iter().map(StoredComment::to_api).collect();
    pick(all, Some(&req.ids))?;
    let new = state.runs.follow_up(run.id, FollowUp { prompt: req.prompt, agent: req.agent }).await?;
    if let Err(e) = state.db.mark_comments_sent(&req.ids, new.id).await {
        // The run has started; the comments simply do not say so.
        tracing::warn!(error = %e, run = %new.id, "recording sent comments failed");
    }
    Ok((StatusCode::CREATED, Json(new)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_line_is_found_nearby_and_blank_lines_are_not_tracked() {
        let lines: Vec<String> = ["a", "", "x", "b", "x"].iter().map(|s| s.to_string()).collect();
        assert_eq!(nearest(&lines, "x", 4), Some(3));
        assert_eq!(nearest(&lines, "b", 1), Some(4));
        assert_eq!(nearest(&lines, "", 1), None);
        assert_eq!(nearest(&lines, "gone", 2), None);
        assert_eq!(nearest(&lines, "a", 500), None);
    }

    #[test]
    fn bodies_are_checked() {
        assert!(check_body(" \n").is_err());
        assert!(check_body(&"é".repeat(MAX_BODY_CHARS)).is_ok());
        assert!(check_body(&"é".repeat(MAX_BODY_CHARS + 1)).is_err());
        assert!(check_body("a\0").is_err());
    }
}
