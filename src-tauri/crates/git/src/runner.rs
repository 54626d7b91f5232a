//! The one place viban runs git. Every call — worktrees, diffs, landing, the API's repository checks — gets the
//! same environment and the same failure mapping: `git -C <dir> --no-optional-locks` (reads never take
//! `index.lock`, so they work while an agent runs git in the same tree), no prompt (`GIT_TERMINAL_PROMPT=0`, stdin
//! closed), none of viban's secrets (hooks and textconv drivers are the user's code: they get no more than an agent
//! does), and no inherited `GIT_DIR`-class variables (which would point every call at some other repository).
//! A failure is `GitError::Failed` with the arguments and git's stderr (callers log it; the API shows a code).
//! Blocking: call from a blocking thread.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::GitError;

/// Variables that redirect git away from the directory it is given.
const REDIRECTS: &[&str] =
    &["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR", "GIT_NAMESPACE"];

/// `git -C dir --no-optional-locks` with the environment described above.
pub fn command(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    for (name, _) in std::env::vars_os() {
        let n = name.as_encoded_bytes();
        if n.starts_with(b"VIBAN_") || n == b"PGPASSWORD" {
            cmd.env_remove(name);
        }
    }
    for v in REDIRECTS {
        cmd.env_remove(v);
    }
    cmd.arg("-C").arg(dir).arg("--no-optional-locks").env("GIT_TERMINAL_PROMPT", "0").stdin(Stdio::null());
    cmd
}

/// Runs git; an error only when git could not be run at all.
pub fn run<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Result<Output, GitError> {
    command(dir).args(args).output().map_err(GitError::Spawn)
}

/// The error for a git command that did not succeed.
pub fn failed<S: AsRef<OsStr>>(args: &[S], out: &Output) -> GitError {
    let args: Vec<String> = args.iter().map(|a| a.as_ref().to_string_lossy().into_owned()).collect();
    GitError::Failed { args: args.join(" "), stderr: String::from_utf8_lossy(&out.stderr).trim().to_string() }
}

/// stdout of a git command that must succeed.
pub fn run_ok<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Result<Vec<u8>, GitError> {
    let out = run(dir, args)?;
    if out.status.success() { Ok(out.stdout) } else { Err(failed(args, &out)) }
}

/// stdout of a git command that must succeed, as text without its trailing newline.
pub fn text_ok<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Result<String, GitError> {
    Ok(String::from_utf8_lossy(&run_ok(dir, args)?).trim_end().to_string())
}

/// What git says a folder is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Toplevel {
    /// Inside a work tree whose top is this.
    Repository(PathBuf),
    /// Not in a git repository.
    NotARepository,
    /// A repository owned by another user, which git refuses (`safe.directory`).
    OtherOwner,
}

/// The work tree `dir` is in (an error only when git cannot be run).
pub fn toplevel(dir: &Path) -> Result<Toplevel, GitError> {
    let out = run(dir, &["rev-parse", "--show-toplevel"])?;
    if out.status.success() {
        return Ok(Toplevel::Repository(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim())));
    }
    Ok(if String::from_utf8_lossy(&out.stderr).contains("dubious ownership") {
        Toplevel::OtherOwner
    } else {
        Toplevel::NotARepository
    })
}

/// `origin/HEAD` if the clone knows it, else the branch checked out now (even before the first commit).
pub fn default_branch(repo: &Path) -> Option<String> {
    [&["symbolic-ref", "--short", "refs/remotes/origin/HEAD"][..], &["symbolic-ref", "--short", "HEAD"]]
        .iter()
        .filter_map(|args| text_ok(repo, args).ok())
        .map(|name| name.strip_prefix("origin/").unwrap_or(&name).trim().to_string())
        .find(|name| !name.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirecting_variables_are_removed_prompts_are_off_and_locks_are_not_taken() {
        let cmd = command(Path::new("/nonexistent"));
        let envs: std::collections::HashMap<_, _> = cmd.get_envs().collect();
        for v in REDIRECTS {
            assert_eq!(envs.get(OsStr::new(v)), Some(&None), "{v} must be removed");
        }
        assert_eq!(envs.get(OsStr::new("GIT_TERMINAL_PROMPT")), Some(&Some(OsStr::new("0"))));
        let args: Vec<_> = cmd.get_args().collect();
        assert_eq!(args, [OsStr::new("-C"), OsStr::new("/nonexistent"), OsStr::new("--no-optional-locks")]);
    }

    #[test]
    fn a_folder_is_a_repository_or_not_and_the_default_branch_is_found() -> anyhow::Result<()> {
        let (repo, plain) = (tempfile::tempdir()?, tempfile::tempdir()?);
        run_ok(repo.path(), &["init", "-q", "-b", "trunk"])?;
        std::fs::create_dir(repo.path().join("sub"))?;
        let top = std::fs::canonicalize(repo.path())?;
        assert_eq!(toplevel(&repo.path().join("sub"))?, Toplevel::Repository(top));
        assert_eq!(toplevel(plain.path())?, Toplevel::NotARepository);
        assert_eq!(default_branch(repo.path()).as_deref(), Some("trunk"));
        let err = run_ok(repo.path(), &["rev-parse", "--verify", "no-such-ref"]);
        assert!(matches!(err, Err(GitError::Failed { ref args, .. }) if args == "rev-parse --verify no-such-ref"));
        Ok(())
    }
}
