//! What removing a worktree would lose: uncommitted changes, commits that are neither in the target nor pushed, a
//! rebase or merge under way. Read with `--no-optional-locks` (an agent may work in the tree). Blocking.

use std::path::Path;

use crate::worktree::{GitError, check_not_busy, git_ok};

/// A worktree as cleanup sees it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorktreeCheck {
    /// The folder is there (a symbolic link in its place does not count).
    pub exists: bool,
    /// Changed paths: staged, unstaged, untracked (not ignored).
    pub uncommitted: i64,
    /// Commits of the worktree's HEAD (or, when the folder is gone, its branch) that the target does not have.
    /// A branch whose changes are all in the target already (a squash merge) has none.
    pub unmerged: i64,
    /// A remote-tracking branch contains every commit.
    pub pushed: bool,
    /// A rebase, merge, cherry-pick or bisect in the worktree (its state would be lost).
    pub busy: Option<String>,
    /// The target could not be resolved; `unmerged` then counts the commits no other branch or remote has.
    pub target_missing: bool,
}

impl WorktreeCheck {
    /// Why it must not be removed without the user confirming, or None when nothing would be lost.
    pub fn risk(&self, target: &str) -> Option<String> {
        if let Some(busy) = &self.busy {
            return Some(busy.clone());
        }
        if self.uncommitted > 0 {
            return Some(format!("{} uncommitted change{}", self.uncommitted, plural(self.uncommitted)));
        }
        if self.unmerged > 0 && !self.pushed {
            let into = if self.target_missing { format!("(target {target} is missing)") } else { target.into() };
            return Some(format!(
                "{} commit{} neither merged into {into} nor pushed",
                self.unmerged,
                plural(self.unmerged)
            ));
        }
        None
    }
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Inspects `worktree` (of `repo`, on `branch`, merging into `target`).
pub fn inspect_worktree(repo: &Path, worktree: &Path, branch: &str, target: &str) -> Result<WorktreeCheck, GitError> {
    let mut check = WorktreeCheck {
        exists: std::fs::symlink_metadata(worktree).is_ok_and(|m| m.is_dir()),
        ..WorktreeCheck::default()
    };
    let head = if check.exists {
        check.uncommitted = count_uncommitted(worktree)?;
        if let Err(GitError::Busy(_, what)) = check_not_busy(worktree) {
            check.busy = Some(format!("a {what} is in progress in it"));
        }
        rev(worktree, "HEAD")
    } else {
        rev(repo, &format!("refs/heads/{branch}"))
    };
    let Some(head) = head else { return Ok(check) };
    match target_commit(repo, target) {
        Some(t) => check.unmerged = unmerged(repo, &head, &t)?,
        None => {
            check.target_missing = true;
            let exclude = format!("--exclude={branch}");
            let n = git_ok(repo, &["rev-list", "--count", &head, "--not", &exclude, "--branches", "--remotes"])?;
            check.unmerged = n.trim().parse().unwrap_or(0);
        }
    }
    let on_remote =
        git_ok(repo, &["for-each-ref", "--count=1", "--format=%(refname)", "--contains", &head, "refs/remotes/"])?;
    check.pushed = !on_remote.trim().is_empty();
    Ok(check)
}

/// Whether every change of `branch` is in `target` (its commits, or their content after a squash merge).
pub fn branch_merged(repo: &Path, branch: &str, target: &str) -> Result<bool, GitError> {
    let Some(head) = rev(repo, &format!("refs/heads/{branch}")) else { return Ok(false) };
    let Some(t) = target_commit(repo, target) else { return Ok(false) };
    Ok(unmerged(repo, &head, &t)? == 0)
}

/// Deletes a local branch (the caller made sure it is merged). git refuses one that is checked out somewhere.
pub fn delete_branch(repo: &Path, branch: &str) -> Result<(), GitError> {
    git_ok(repo, &["branch", "-D", "--", branch]).map(|_| ())
}

fn rev(dir: &Path, name: &str) -> Option<String> {
    if name.starts_with('-') {
        return None;
    }
    git_ok(dir, &["rev-parse", "--verify", "-q", &format!("{name}^{{commit}}")]).ok().filter(|s| !s.is_empty())
}

/// The target as a commit: a local branch first, else whatever git makes of the name (a tag, `origin/main`, an id).
fn target_commit(repo: &Path, target: &str) -> Option<String> {
    rev(repo, &format!("refs/heads/{target}")).or_else(|| rev(repo, target))
}

/// Commits of `head` missing from `target`; 0 as well when merging `head` would not change the target's tree.
fn unmerged(repo: &Path, head: &str, target: &str) -> Result<i64, GitError> {
    let n: i64 = git_ok(repo, &["rev-list", "--count", &format!("{target}..{head}")])?.trim().parse().unwrap_or(0);
    if n == 0 {
        return Ok(0);
    }
    // A squash merge leaves the commits unmerged by ancestry, but their content is in the target.
    let merged_tree = git_ok(repo, &["merge-tree", "--write-tree", target, head]).ok();
    let target_tree = git_ok(repo, &["rev-parse", &format!("{target}^{{tree}}")]).ok();
    match (merged_tree, target_tree) {
        (Some(m), Some(t)) if m.lines().next() == Some(t.trim()) => Ok(0),
        _ => Ok(n),
    }
}

/// Entries of `git status --porcelain -z --untracked-files=all` (a rename counts once).
fn count_uncommitted(dir: &Path) -> Result<i64, GitError> {
    let out = git_ok(dir, &["status", "--porcelain", "-z", "--untracked-files=all"])?;
    let mut n = 0;
    let mut entries = out.split('\0').filter(|e| !e.is_empty());
    while let Some(e) = entries.next() {
        n += 1;
        if e.starts_with('R') || e.starts_with('C') {
            entries.next();
        }
    }
    Ok(n)
}
