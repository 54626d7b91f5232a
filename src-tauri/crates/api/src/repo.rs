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

async fn git(dir: &Path, args: &[&str]) -> Result<std::process::Output, ApiError> {
    tokio::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::GitMissing,
                format!("could not run git: {e}; install git"),
            )
        })
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
    let top = git(&canon, &["rev-parse", "--show-toplevel"]).await?;
    if !top.status.success() {
        let err = String::from_utf8_lossy(&top.stderr);
        let message = if err.contains("dubious ownership") {
            format!(
                "git refuses '{}': it belongs to another user (see `git config --global safe.directory`)",
                canon.display()
            )
        } else {
            format!("'{}' is not a git repository (run `git init` there first)", canon.display())
        };
        return Err(invalid(ErrorCode::NotAGitRepo, message));
    }
    let top = PathBuf::from(String::from_utf8_lossy(&top.stdout).trim());
    let top = std::fs::canonicalize(&top).unwrap_or(top);
    Ok(Repo { default_branch: default_branch(&top).await, path: top.to_string_lossy().into_owned() })
}

/// `origin/HEAD` if the clone knows it, else the branch checked out now (even before the first commit).
async fn default_branch(repo: &Path) -> Option<String> {
    for args in [&["symbolic-ref", "--short", "refs/remotes/origin/HEAD"][..], &["symbolic-ref", "--short", "HEAD"]] {
        if let Ok(out) = git(repo, args).await
            && out.status.success()
        {
            let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let name = name.strip_prefix("origin/").unwrap_or(&name).to_string();
            if !name.is_empty() {
                return Some(name);
            }
        }
    }
    None
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
