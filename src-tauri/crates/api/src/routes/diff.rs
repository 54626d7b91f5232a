//! Review: a run's change against the merge-base with its target — the file list with counts, one file's sides and
//! patch, or the whole patch streamed. git runs on blocking threads; nothing here holds a whole large patch.

use std::io::Write;
use std::sync::Arc;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use viban_core::{ApiErrorBody, DiffFile, FileChange, FileDiff, Run, RunDiff};
use viban_git::{Change, DiffEntry, DiffError};

use crate::error::{ApiQuery, parse_id};
use crate::{ApiError, ApiState};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DiffQuery {
    /// `json` (default) or `patch`.
    #[serde(default)]
    format: Option<String>,
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, DiffError> + Send + 'static) -> Result<T, ApiError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r.map_err(ApiError::from),
        Err(e) => {
            tracing::error!(error = %e, "diff task failed");
            Err(DiffError::Io(e.to_string()).into())
        }
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn file_of(e: &DiffEntry) -> DiffFile {
    DiffFile {
        path: lossy(&e.path),
        old_path: e.old_path.as_deref().map(lossy),
        change: match e.change {
            Change::Added => FileChange::Added,
            Change::Modified => FileChange::Modified,
            Change::Deleted => FileChange::Deleted,
            Change::Renamed => FileChange::Renamed,
            Change::Copied => FileChange::Copied,
            Change::TypeChanged => FileChange::TypeChanged,
        },
        additions: i64::try_from(e.additions).unwrap_or(i64::MAX),
        deletions: i64::try_from(e.deletions).unwrap_or(i64::MAX),
        binary: e.binary,
        untracked: e.untracked,
        old_mode: e.old_mode.clone(),
        new_mode: e.new_mode.clone(),
    }
}

async fn run_of(state: &ApiState, id: &str) -> Result<Run, ApiError> {
    Ok(state.runs.get(parse_id("run", id)?).await?)
}

/// The run's change: every file with its +/− counts (`?format=patch`: the whole unified patch instead).
#[utoipa::path(get, path = "/api/runs/{id}/diff", tag = "review",
    params(("id" = String, Path), ("format" = Option<String>, Query, description = "`json` (default) or `patch`")),
    responses((status = 200, body = RunDiff),
        (status = 200, content_type = "text/x-diff", body = String, description = "with ?format=patch"),
        (status = 404, body = ApiErrorBody), (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn diff(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DiffQuery>,
) -> Result<Response, ApiError> {
    let run = run_of(&state, &id).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(stats(&state, run).await?).into_response()),
        Some("patch") => patch(run).await,
        Some(other) => Err(ApiError::validation(format!("format {other:?}: use json or patch"))),
    }
}

/// Always listed afresh (the counts are what the view shows); kept for the single-file requests that follow.
pub(crate) async fn stats(state: &ApiState, run: Run) -> Result<RunDiff, ApiError> {
    let dir = std::path::PathBuf::from(&run.worktree_path);
    let target = run.base_ref.clone();
    let ticket = state.diffs.ticket();
    let stats = Arc::new(blocking(move || viban_git::diff_stats(&dir, &target)).await?);
    state.diffs.store(ticket, run.id, &run.worktree_path, &run.base_ref, stats.clone());
    let files: Vec<DiffFile> = stats.files.iter().map(file_of).collect();
    Ok(RunDiff {
        run_id: run.id,
        additions: files.iter().map(|f| f.additions).sum(),
        deletions: files.iter().map(|f| f.deletions).sum(),
        files,
        target: stats.target.clone(),
        merge_base: stats.merge_base.clone(),
    })
}

/// Writes into the response body from a blocking thread, 64 KiB at a time; fails once the client has gone.
struct BodyWriter(tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>);

impl Write for BodyWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .blocking_send(Ok(Bytes::copy_from_slice(buf)))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the client went away"))?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn patch(run: Run) -> Result<Response, ApiError> {
    let dir = std::path::PathBuf::from(&run.worktree_path);
    let target = run.base_ref.clone();
    // The listing first: a missing worktree or target is a JSON error, not a truncated download.
    let listing = {
        let dir = dir.clone();
        blocking(move || viban_git::diff_files(&dir, &target)).await?
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    tokio::task::spawn_blocking(move || {
        let untracked: Vec<&[u8]> = listing.files.iter().filter(|f| f.untracked).map(|f| f.path.as_slice()).collect();
        let errors = tx.clone();
        let mut out = std::io::BufWriter::with_capacity(64 * 1024, BodyWriter(tx));
        let written = viban_git::write_patch(&dir, &listing.merge_base, &untracked, &mut out);
        if let Err(e) = written.and_then(|()| out.flush().map_err(|e| DiffError::Io(e.to_string()))) {
            // Mid-stream: the response is cut short (the client sees an incomplete body), git's words stay here.
            tracing::warn!(error = %e, "streaming a patch stopped");
            let _ = errors.blocking_send(Err(std::io::Error::other("the patch could not be completed")));
        }
    });
    let body = Body::from_stream(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)));
    let name = format!("attachment; filename=\"viban-run-{}.diff\"", &run.id.simple().to_string()[..8]);
    Ok(([(header::CONTENT_TYPE, "text/x-diff"), (header::CONTENT_DISPOSITION, name.as_str())], body).into_response())
}

/// Decodes `%XX` and `+` of a query value into bytes (a file name need not be UTF-8).
fn decode(raw: &str) -> Vec<u8> {
    let b = raw.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => match (hex(b[i + 1]), hex(b[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// The `path` parameter, as exact bytes.
fn path_param(query: Option<&str>) -> Result<Vec<u8>, ApiError> {
    query
        .unwrap_or_default()
        .split('&')
        .find_map(|kv| kv.split_once('=').filter(|(k, _)| decode(k) == b"path").map(|(_, v)| decode(v)))
        .ok_or_else(|| ApiError::validation("path is required: ?path=<a file of the diff>"))
}

/// One file of the change: both sides' texts and its patch (per-file cap: `too_large`). `path` is a path of the
/// diff as listed, or its exact bytes percent-encoded (a name that is not UTF-8).
#[utoipa::path(get, path = "/api/runs/{id}/diff/file", tag = "review",
    params(("id" = String, Path), ("path" = String, Query)),
    responses((status = 200, body = FileDiff), (status = 400, body = ApiErrorBody), (status = 404, body = ApiErrorBody),
        (status = 409, body = ApiErrorBody), (status = 422, body = ApiErrorBody)))]
pub async fn file(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<FileDiff>, ApiError> {
    let run = run_of(&state, &id).await?;
    let wanted = path_param(query.as_deref())?;
    viban_git::check_request_path(&wanted)?;
    let dir = std::path::PathBuf::from(&run.worktree_path);
    let target = run.base_ref.clone();
    let kept = state.diffs.get(run.id, &run.worktree_path, &run.base_ref);
    let ticket = state.diffs.ticket();
    let (entry, data, listed) = blocking(move || {
        // A kept listing may predate the watcher's report of a file just added: a path it lacks is listed again.
        let kept = kept.filter(|l| viban_git::find_entry(&l.files, &wanted).is_ok());
        let (listing, listed) = match kept {
            Some(l) => (l, false),
            None => (Arc::new(viban_git::diff_files(&dir, &target)?), true),
        };
        let entry = viban_git::find_entry(&listing.files, &wanted)?.clone();
        let data = viban_git::file_diff(&dir, &listing.merge_base, &entry, viban_git::Caps::default())?;
        Ok((entry, data, listed.then_some(listing)))
    })
    .await?;
    if let Some(listing) = listed {
        state.diffs.store(ticket, run.id, &run.worktree_path, &run.base_ref, listing);
    }
    let text = |b: Option<Vec<u8>>| b.map(|b| String::from_utf8(b).unwrap_or_else(|e| lossy(e.as_bytes())));
    Ok(Json(FileDiff {
        path: lossy(&entry.path),
        old_path: entry.old_path.as_deref().map(lossy),
        binary: data.binary,
        too_large: data.too_large,
        old_size: i64::try_from(data.old_size).unwrap_or(i64::MAX),
        new_size: i64::try_from(data.new_size).unwrap_or(i64::MAX),
        old_text: text(data.old),
        new_text: text(data.new),
        patch: String::from_utf8(data.patch).unwrap_or_else(|e| lossy(e.as_bytes())),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_paths_decode_to_exact_bytes() {
        assert_eq!(path_param(Some("path=caf%E9.txt")).ok(), Some(b"caf\xe9.txt".to_vec()));
        assert_eq!(path_param(Some("x=1&path=a+b%2Fc")).ok(), Some(b"a b/c".to_vec()));
        assert_eq!(path_param(Some("path=100%")).ok(), Some(b"100%".to_vec()));
        assert!(path_param(Some("paths=x")).is_err() && path_param(None).is_err());
    }
}
