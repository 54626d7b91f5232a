//! Validating a repository path from a request: canonicalised (symlinks and `..` resolved), outside system and
//! viban's own folders, inside the allowed roots if any, and a git work tree (the top of it is what we store).

use std::path::{Path, PathBuf};
use viban_core::ErrorCode;

use axum::http::StatusCode;

use crate::ApiError;

const FORBIDDEN: &[&str] = &["/proc", "/sys", "/dev", "/run", "/boot"];

fn invalid(code: ErrorCode, message: String) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
}

fn expand_home(raw: &str) -> PathBuf {
    let rest = if raw == "~" { Some("") } else { raw.strip_prefix("~/") };
    match (rest, std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => Path::new(&home).join(rest),
        _ => PathBuf::from(raw),
    }
}

/// Runs blocking git work (viban_git's runner) off the async threads; a git that cannot run says so.
async fn git<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, viban_git::GitError> + Send + 'static,
) -> Result<T, ApiError> {
    let missing = |e: String| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::GitMissing,
            format!("could not run git: {e}; install git"),
        )
    };
    tokio::task::spawn_blocking(f).await.map_err(|e| missing(e.to_string()))?.map_err(|e| missing(e.to_string()))
}

pub struct Repo {
    pub path: String,
    pub default_branch: Option<String>,
}

pub async fn validate(raw: &str, roots: &[PathBuf], data_dir: &Path) -> Result<Repo, ApiError> {
    let raw = raw.trim();
    if raw.is_empty() || raw.contains('\0') {
        return Err(invalid(ErrorCode::InvalidPath, "give the absolute path of a git repository".into()));
    }
    let path = expand_home(raw);
    if !path.is_absolute() {
        return Err(invalid(ErrorCode::InvalidPath, format!("'{raw}' is not an absolute path")));
    }
    let canon = std::fs::canonicalize(&path)
        .map_err(|_| invalid(ErrorCode::PathNotFound, format!("'{raw}' does not exist (or is not readable)")))?;
    if !canon.is_dir() {
        return Err(invalid(ErrorCode::InvalidPath, format!("'{}' is not a folder", canon.display())));
    }
    let forbidden = FORBIDDEN.iter().any(|f| canon.starts_with(f)) || canon == Path::new("/");
    let ours = std::fs::canonicalize(data_dir).map(|d| canon.starts_with(&d) || d.starts_with(&canon)).unwrap_or(false);
    let outside_roots = !roots.is_empty()
        && !roots.iter().any(|r| std::fs::canonicalize(r).map(|r| canon.starts_with(r)).unwrap_or(false));
    if forbidden || ours || outside_roots {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::PathNotAllowed,
            format!("'{}' is outside the folders viban may use for projects", canon.display()),
        ));
    }
    let dir = canon.clone();
    let top = match git(move || viban_git::runner::toplevel(&dir)).await? {
        viban_git::runner::Toplevel::Repository(top) => top,
        viban_git::runner::Toplevel::OtherOwner => {
            return Err(invalid(
                ErrorCode::NotAGitRepo,
                format!(
                    "git refuses '{}': it belongs to another user (see `git config --global safe.directory`)",
                    canon.display()
                ),
            ));
        }
        viban_git::runner::Toplevel::NotARepository => {
            return Err(invalid(
                ErrorCode::NotAGitRepo,
                format!("'{}' is not a git repository (run `git init` there first)", canon.display()),
            ));
        }
    };
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    let dir = top.clone();
    let default_branch = git(move || Ok(viban_git::runner::default_branch(&dir))).await?;
    Ok(Repo { default_branch, path: top.to_string_lossy().into_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tilde_alone_and_with_a_path_mean_home() {
        let Some(home) = std::env::var_os("HOME") else { return };
        assert_eq!(expand_home("~"), Path::new(&home));
        assert_eq!(expand_home("~/src/x"), Path::new(&home).join("src/x"));
        assert_eq!(expand_home("/a/~"), Path::new("/a/~"));
        assert_eq!(expand_home("~user/x"), Path::new("~user/x"));
    }
}
