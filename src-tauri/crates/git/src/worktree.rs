//! Worktrees and branches through the host's own `git` (the user's config, hooks and credentials apply).
//! Blocking: call from a blocking thread.

use std::path::{Path, PathBuf};
use std::process::Output;

#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("git could not be run: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("`git {args}` failed: {stderr}")]
    Failed { args: String, stderr: String },
    #[error("{0} is in the middle of a {1}: finish or abort it first")]
    Busy(PathBuf, &'static str),
    #[error("{0:?} is not a branch or commit in this repository")]
    BadBase(String),
    #[error("the repository has no commits yet: commit something first")]
    NoCommits,
    #[error("branch {0} already exists")]
    BranchExists(String),
    #[error("{0} already exists")]
    PathTaken(PathBuf),
    #[error("{0} has uncommitted changes")]
    Dirty(PathBuf),
    /// A write into the worktree would have left it (a symbolic link the branch committed).
    #[error("{0}")]
    Unsafe(String),
    #[error("{0}")]
    Io(String),
}

fn git(dir: &Path, args: &[&str]) -> Result<Output, GitError> {
    crate::runner::run(dir, args)
}

pub(crate) use crate::runner::command;

pub(crate) fn git_ok(dir: &Path, args: &[&str]) -> Result<String, GitError> {
    crate::runner::text_ok(dir, args)
}

/// Refuses a repository in the middle of a rebase, merge, cherry-pick or bisect.
pub fn check_not_busy(repo: &Path) -> Result<(), GitError> {
    let git_dir = PathBuf::from(git_ok(repo, &["rev-parse", "--absolute-git-dir"])?);
    for (marker, what) in [
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("MERGE_HEAD", "merge"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("BISECT_LOG", "bisect"),
    ] {
        if git_dir.join(marker).exists() {
            return Err(GitError::Busy(repo.to_path_buf(), what));
        }
    }
    Ok(())
}

/// Whether the work tree has uncommitted changes (untracked files included).
pub fn is_dirty(dir: &Path) -> Result<bool, GitError> {
    Ok(!git_ok(dir, &["status", "--porcelain"])?.is_empty())
}

/// The commit `rev` names.
pub fn resolve_commit(repo: &Path, rev: &str) -> Result<String, GitError> {
    if git(repo, &["rev-parse", "--verify", "-q", "HEAD"])?.stdout.is_empty() {
        return Err(GitError::NoCommits);
    }
    if rev.starts_with('-') {
        return Err(GitError::BadBase(rev.to_string()));
    }
    git_ok(repo, &["rev-parse", "--verify", "-q", &format!("{rev}^{{commit}}")])
        .map_err(|_| GitError::BadBase(rev.into()))
}

/// The branch HEAD is on (None when detached or unborn).
pub fn current_branch(repo: &Path) -> Option<String> {
    git_ok(repo, &["symbolic-ref", "-q", "--short", "HEAD"]).ok().filter(|b| !b.is_empty())
}

pub fn branch_exists(repo: &Path, branch: &str) -> Result<bool, GitError> {
    Ok(git(repo, &["show-ref", "--verify", "-q", &format!("refs/heads/{branch}")])?.status.success())
}

/// Creates `path` as a worktree on a new `branch` at `commit`.
pub fn add_worktree(repo: &Path, path: &Path, branch: &str, commit: &str) -> Result<(), GitError> {
    if path.exists() {
        return Err(GitError::PathTaken(path.to_path_buf()));
    }
    if branch_exists(repo, branch)? {
        return Err(GitError::BranchExists(branch.to_string()));
    }
    if let Some(parent) = path.parent() {
        // Private: other local users must not read the agents' work (or the files copied in, like `.env`).
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| GitError::Io(format!("creating {}: {e}", parent.display())))?;
    }
    let p = path.to_string_lossy();
    git_ok(repo, &["worktree", "add", "-q", "-b", branch, &p, commit]).map(|_| ())
}

/// Removes the worktree folder (the branch and its commits stay). Refuses uncommitted changes unless `force`.
pub fn remove_worktree(repo: &Path, path: &Path, force: bool) -> Result<(), GitError> {
    if path.exists() && !force && is_dirty(path)? {
        return Err(GitError::Dirty(path.to_path_buf()));
    }
    let p = path.to_string_lossy();
    let mut args = vec!["worktree", "remove"];
    if force {
        args.push("--force");
    }
    args.push(&p);
    if path.exists() {
        git_ok(repo, &args)?;
    }
    git_ok(repo, &["worktree", "prune"]).map(|_| ())
}

/// Removes a worktree and its branch after a start that failed half-way (nothing of the user's is in them yet).
pub fn discard_worktree(repo: &Path, path: &Path, branch: &str) {
    let _ = remove_worktree(repo, path, true);
    let _ = git(repo, &["branch", "-D", branch]);
}

/// Files that differ from `base`: tracked changes (committed or not) plus untracked files that are not ignored.
pub fn changed_files(dir: &Path, base: &str) -> Result<usize, GitError> {
    let mut files = std::collections::BTreeSet::new();
    let diff = git_ok(dir, &["diff", "--name-only", "-z", base])?;
    files.extend(diff.split('\0').filter(|f| !f.is_empty()).map(str::to_string));
    let untracked = git_ok(dir, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    files.extend(untracked.split('\0').filter(|f| !f.is_empty()).map(str::to_string));
    Ok(files.len())
}

/// Copies the listed files (relative to the repository, e.g. `.env`) from the main checkout into the worktree;
/// missing ones (and paths that leave the repository) are reported as warnings. Writing is confined to the worktree
/// (`confined::write_beneath`): a symbolic link the branch committed — at the file or at a folder on its way — makes
/// the whole copy fail with `Unsafe`, naming the file, before anything is written through it. Reading follows links:
/// the main checkout and where its links point are the user's own choice; only regular files are copied (a link to
/// a FIFO or `/dev/zero` would hang or fill the disk).
pub fn copy_files(repo: &Path, worktree: &Path, files: &[String]) -> Result<Vec<String>, GitError> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut problems = Vec::new();
    for f in files {
        let rel = Path::new(f);
        if rel.is_absolute() || rel.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            problems.push(format!("{f}: only paths inside the repository can be copied"));
            continue;
        }
        // Non-blocking: opening a FIFO for reading would otherwise wait for a writer before the check below.
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(nix::fcntl::OFlag::O_NONBLOCK.bits())
            .open(repo.join(rel));
        let mut src = match opened {
            Ok(src) => src,
            Err(e) => {
                problems.push(format!("{f}: not copied ({e})"));
                continue;
            }
        };
        let mode = match src.metadata() {
            Ok(m) if m.is_file() => m.permissions().mode(),
            Ok(_) => {
                problems.push(format!("{f}: not copied (not a regular file)"));
                continue;
            }
            Err(e) => {
                problems.push(format!("{f}: not copied ({e})"));
                continue;
            }
        };
        match crate::confined::write_beneath(worktree, rel, &mut src, mode) {
            Ok(()) => {}
            Err(e) if e.is_refusal() => return Err(GitError::Unsafe(format!("refusing to copy {f}: {e}"))),
            Err(e) => problems.push(format!("{f}: not copied ({e})")),
        }
    }
    Ok(problems)
}

/// A branch- and folder-safe slug of a title: lowercase ASCII words joined by `-`, at most 40 characters.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for word in title.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| !w.is_empty()) {
        if out.len() + word.len() + 1 > 40 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(&word.to_ascii_lowercase());
    }
    if out.is_empty() { "task".into() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_follow_links_in_the_main_checkout_but_take_only_regular_files() -> anyhow::Result<()> {
        let tmp = tempfile::tempdir()?;
        let (repo, worktree) = (tmp.path().join("repo"), tmp.path().join("wt"));
        std::fs::create_dir_all(&repo)?;
        std::fs::create_dir_all(&worktree)?;
        std::fs::write(tmp.path().join("real.env"), "A=1\n")?;
        std::os::unix::fs::symlink(tmp.path().join("real.env"), repo.join(".env"))?;
        nix::unistd::mkfifo(&repo.join("fifo"), nix::sys::stat::Mode::from_bits_truncate(0o600))?;
        let files = [".env".to_string(), "fifo".into(), "missing".into(), "../x".into()];
        let problems = copy_files(&repo, &worktree, &files)?;
        assert_eq!(std::fs::read_to_string(worktree.join(".env"))?, "A=1\n");
        assert!(std::fs::symlink_metadata(worktree.join(".env"))?.is_file(), "a copy, not a link");
        assert_eq!(problems.len(), 3, "{problems:?}");
        assert!(problems[0].starts_with("fifo: not copied (not a regular file)"), "{problems:?}");
        assert!(!worktree.join("fifo").exists());
        Ok(())
    }

    #[test]
    fn slugs_are_safe_for_branches() {
        assert_eq!(slug("Fix the login bug!"), "fix-the-login-bug");
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("日本語"), "task");
        assert!(slug(&"word ".repeat(50)).len() <= 40);
    }
}
