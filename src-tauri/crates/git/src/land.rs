//! Landing a run's branch: commit, merge (or squash) into the target, rebase onto it (and abort), push. Every
//! command is the host's `git` with the user's config, hooks and credentials, on the login shell's PATH (so hooks
//! find what the user's terminal finds), without viban's secrets, never prompting. Blocking: call from a blocking
//! thread.
//!
//! Merging never touches a checkout it should not: when the target branch is checked out somewhere (normally the
//! main repository), the merge runs there with `git merge` (the user's merge hooks apply) and only if that checkout
//! has no uncommitted changes to tracked files; otherwise the result is computed without any checkout
//! (`git merge-tree --write-tree` → `git commit-tree` → `git update-ref <target> <new> <old>`, which fails if the
//! target moved meanwhile). Conflicts are found with `merge-tree` first in both cases, so a conflicting merge
//! changes nothing anywhere.

use std::path::{Component, Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use viban_core::ErrorCode;

use crate::land_pr::{both, output_within, scrub, text};
use crate::worktree::{GitError, command};

/// Network commands (push, gh, glab) are given this long.
pub const NETWORK_DEADLINE: Duration = Duration::from_secs(120);

/// Why a landing action was refused or failed; each has a stable API code.
#[derive(Debug, thiserror::Error)]
pub enum LandError {
    #[error("nothing to commit: the worktree has no changes{0}")]
    NothingToCommit(&'static str),
    #[error("the commit was refused by a hook (nothing was committed):\n{0}")]
    HookFailed(String),
    #[error("git could not commit (nothing was committed):\n{0}")]
    CommitFailed(String),
    #[error("{0}")]
    BadPath(String),
    #[error("{0} has uncommitted changes: commit or stash them there first (viban never touches them)")]
    TargetDirty(String),
    #[error("the run's worktree has uncommitted changes: commit them first")]
    Uncommitted,
    #[error("merging conflicts in {}: rebase onto the target and resolve them first (nothing was changed)", .0.join(", "))]
    MergeConflict(Vec<String>),
    #[error("the target branch already has every commit of {0}: nothing to merge")]
    NothingToMerge(String),
    #[error("git could not merge (the target is unchanged):\n{0}")]
    MergeFailed(String),
    #[error("the target branch {0:?} does not exist in the repository: recreate it or start a run from another base")]
    BadTarget(String),
    #[error("a rebase is in progress in the worktree: resolve it (or abort it) first")]
    RebaseInProgress,
    #[error("no rebase is in progress in the worktree")]
    NoRebase,
    #[error("git could not rebase (the branch is unchanged):\n{0}")]
    RebaseFailed(String),
    #[error("the remote rejected the push:\n{0}")]
    PushRejected(String),
    #[error("the push failed:\n{0}")]
    PushFailed(String),
    #[error("the repository has no remote to push to: add one with `git remote add origin <url>`")]
    NoRemote,
    #[error("{1}")]
    CliMissing(ErrorCode, String),
    #[error("{1}")]
    NotLoggedIn(ErrorCode, String),
    #[error("{0}")]
    UnknownProvider(String),
    #[error("{0}")]
    PrFailed(String),
    #[error(transparent)]
    Git(#[from] GitError),
}

impl LandError {
    /// The API's code.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::NothingToCommit(_) => ErrorCode::NothingToCommit,
            Self::HookFailed(_) => ErrorCode::HookFailed,
            Self::CommitFailed(_) => ErrorCode::CommitFailed,
            Self::BadPath(_) => ErrorCode::InvalidPath,
            Self::TargetDirty(_) => ErrorCode::TargetDirty,
            Self::Uncommitted => ErrorCode::Uncommitted,
            Self::MergeConflict(_) => ErrorCode::MergeConflict,
            Self::NothingToMerge(_) => ErrorCode::NothingToMerge,
            Self::MergeFailed(_) => ErrorCode::MergeFailed,
            Self::BadTarget(_) => ErrorCode::BadTarget,
            Self::RebaseInProgress => ErrorCode::RebaseInProgress,
            Self::NoRebase => ErrorCode::NoRebase,
            Self::RebaseFailed(_) => ErrorCode::RebaseFailed,
            Self::PushRejected(_) => ErrorCode::PushRejected,
            Self::PushFailed(_) => ErrorCode::PushFailed,
            Self::NoRemote => ErrorCode::NoRemote,
            Self::CliMissing(code, _) | Self::NotLoggedIn(code, _) => *code,
            Self::UnknownProvider(_) => ErrorCode::UnknownProvider,
            Self::PrFailed(_) => ErrorCode::PrFailed,
            Self::Git(_) => ErrorCode::GitFailed,
        }
    }
}

/// A run's branch and where it lives.
#[derive(Debug, Clone)]
pub struct Branch {
    /// The main repository (the project).
    pub repo: PathBuf,
    pub worktree: PathBuf,
    pub branch: String,
    pub target: String,
    /// PATH for git, its hooks, gh and glab: the login shell's.
    pub path_var: String,
}

/// The parts of the git state that git alone knows (no PR).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BranchState {
    pub ahead: i64,
    pub behind: i64,
    pub uncommitted: Vec<String>,
    /// (onto, conflicts)
    pub rebase: Option<(String, Vec<String>)>,
    pub upstream: Option<String>,
    pub unpushed: i64,
    pub remote: Option<String>,
    /// Where the target is checked out, if anywhere.
    pub target_checkout: Option<PathBuf>,
}

impl Branch {
    /// A git command in `dir` with the login PATH; it never prompts or opens an editor.
    pub(crate) fn cmd(&self, dir: &Path) -> Command {
        let mut cmd = command(dir);
        cmd.env("GIT_TERMINAL_PROMPT", "0").env("GIT_EDITOR", "true").env("GIT_SEQUENCE_EDITOR", "true");
        if !self.path_var.is_empty() {
            cmd.env("PATH", &self.path_var);
        }
        cmd.stdin(Stdio::null());
        cmd
    }

    fn run(&self, dir: &Path, args: &[&str]) -> Result<Output, GitError> {
        self.cmd(dir).args(args).output().map_err(GitError::Spawn)
    }

    fn ok(&self, dir: &Path, args: &[&str]) -> Result<String, GitError> {
        let out = self.run(dir, args)?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).trim_end().to_string())
        } else {
            Err(GitError::Failed { args: args.join(" "), stderr: text(&out.stderr) })
        }
    }

    fn rev(&self, name: &str) -> Option<String> {
        self.ok(&self.repo, &["rev-parse", "--verify", "-q", &format!("{name}^{{commit}}")]).ok()
    }

    fn target_ref(&self) -> String {
        format!("refs/heads/{}", self.target)
    }

    fn branch_ref(&self) -> String {
        format!("refs/heads/{}", self.branch)
    }

    fn has_worktree(&self) -> bool {
        self.worktree.is_dir()
    }

    /// Everything `GET /git` shows but the PR.
    pub fn state(&self) -> Result<BranchState, LandError> {
        let mut st = BranchState::default();
        if self.rev(&self.target_ref()).is_some() {
            let range = format!("{}...{}", self.target_ref(), self.branch_ref());
            let counts = self.ok(&self.repo, &["rev-list", "--left-right", "--count", &range])?;
            let mut it = counts.split_whitespace().map(|n| n.parse::<i64>().unwrap_or(0));
            st.behind = it.next().unwrap_or(0);
            st.ahead = it.next().unwrap_or(0);
        }
        if self.has_worktree() {
            st.uncommitted = self.uncommitted(&self.worktree)?;
            st.rebase = self.rebase_state()?;
        }
        // `<name>@{upstream}` takes the short name (`refs/heads/x@{upstream}` is "no such branch").
        let up = format!("{}@{{upstream}}", self.branch);
        st.upstream = self.ok(&self.repo, &["rev-parse", "--abbrev-ref", "--symbolic-full-name", &up]).ok();
        st.unpushed = match &st.upstream {
            Some(_) => {
                let range = format!("{up}..{}", self.branch_ref());
                self.ok(&self.repo, &["rev-list", "--count", &range])?.parse().unwrap_or(0)
            }
            None => st.ahead,
        };
        st.remote = self.remote()?;
        st.target_checkout = self.target_checkout()?;
        Ok(st)
    }

    /// Changed paths (porcelain v1, NUL-separated so any name survives).
    fn uncommitted(&self, dir: &Path) -> Result<Vec<String>, GitError> {
        let out = self.run(dir, &["status", "--porcelain", "-z", "--untracked-files=all"])?;
        if !out.status.success() {
            return Err(GitError::Failed { args: "status".into(), stderr: text(&out.stderr) });
        }
        let raw = String::from_utf8_lossy(&out.stdout);
        let mut paths = Vec::new();
        let mut entries = raw.split('\0').filter(|e| !e.is_empty());
        while let Some(e) = entries.next() {
            if e.len() < 4 {
                continue;
            }
            let (xy, path) = e.split_at(3);
            paths.push(path.to_string());
            // A rename or copy is followed by its source path.
            if xy.starts_with('R') || xy.starts_with('C') {
                entries.next();
            }
        }
        Ok(paths)
    }

    fn git_dir(&self, dir: &Path) -> Result<PathBuf, GitError> {
        Ok(PathBuf::from(self.ok(dir, &["rev-parse", "--absolute-git-dir"])?))
    }

    /// The worktree's rebase, from git's own files (so it is still there after a restart of viban).
    fn rebase_state(&self) -> Result<Option<(String, Vec<String>)>, GitError> {
        let git_dir = self.git_dir(&self.worktree)?;
        let Some(dir) = ["rebase-merge", "rebase-apply"].iter().map(|d| git_dir.join(d)).find(|d| d.is_dir()) else {
            return Ok(None);
        };
        let onto = std::fs::read_to_string(dir.join("onto")).unwrap_or_default().trim().to_string();
        let onto = if !onto.is_empty() && self.rev(&self.target_ref()).as_deref() == Some(onto.as_str()) {
            self.target.clone()
        } else {
            onto.chars().take(12).collect()
        };
        let conflicts = self.ok(&self.worktree, &["diff", "--name-only", "--diff-filter=U", "-z"])?;
        let mut conflicts: Vec<String> = conflicts.split('\0').filter(|f| !f.is_empty()).map(str::to_string).collect();
        conflicts.dedup();
        Ok(Some((onto, conflicts)))
    }

    /// The remote pushes go to: the branch's own, else `origin`, else the only one.
    pub fn remote(&self) -> Result<Option<String>, GitError> {
        let key = format!("branch.{}.remote", self.branch);
        if let Ok(r) = self.ok(&self.repo, &["config", "--get", &key])
            && !r.is_empty()
        {
            return Ok(Some(r));
        }
        let remotes = self.ok(&self.repo, &["remote"])?;
        let remotes: Vec<&str> = remotes.lines().filter(|r| !r.is_empty()).collect();
        if remotes.contains(&"origin") {
            return Ok(Some("origin".into()));
        }
        Ok((remotes.len() == 1).then(|| remotes[0].to_string()))
    }

    /// The worktree (main checkout or another) that has the target checked out.
    fn target_checkout(&self) -> Result<Option<PathBuf>, GitError> {
        let list = self.ok(&self.repo, &["worktree", "list", "--porcelain", "-z"])?;
        let want = format!("branch {}", self.target_ref());
        let mut path = None;
        for field in list.split('\0') {
            if let Some(p) = field.strip_prefix("worktree ") {
                path = Some(PathBuf::from(p));
            } else if field == want {
                return Ok(path.filter(|p| p.is_dir()));
            }
        }
        Ok(None)
    }

    fn worktree_or_err(&self) -> Result<(), LandError> {
        if self.has_worktree() {
            Ok(())
        } else {
            Err(LandError::Git(GitError::Io(format!(
                "the run's worktree {} is gone: start a new run",
                self.worktree.display()
            ))))
        }
    }

    /// Commits everything (`git add -A`) or only `paths`. A failing hook leaves the index as it was.
    pub fn commit(&self, message: &str, paths: Option<&[String]>) -> Result<(), LandError> {
        self.worktree_or_err()?;
        if message.trim().is_empty() {
            return Err(LandError::BadPath("a commit needs a message".into()));
        }
        if self.rebase_state()?.is_some() {
            return Err(LandError::RebaseInProgress);
        }
        let specs = match paths {
            Some(p) if !p.is_empty() => Some(confine(&self.worktree, p)?),
            _ => None,
        };
        // The index as it is, to put back when the commit does not happen: a refused commit changes nothing.
        let saved = self.ok(&self.worktree, &["write-tree"])?;
        let restore = || {
            let _ = self.run(&self.worktree, &["read-tree", &saved]);
        };
        let mut add = vec!["add", "-A", "--"];
        let mut check = vec!["diff", "--cached", "--quiet", "HEAD", "--"];
        let mut commit = vec!["commit", "-q", "-m", message];
        if let Some(specs) = &specs {
            let s: Vec<&str> = specs.iter().map(String::as_str).collect();
            add.extend(&s);
            check.extend(&s);
            commit.push("--");
            commit.extend(&s);
        }
        if let Err(e) = self.ok(&self.worktree, &add) {
            restore();
            return Err(e.into());
        }
        if self.run(&self.worktree, &check)?.status.success() {
            restore();
            return Err(LandError::NothingToCommit(if specs.is_some() { " in those paths" } else { "" }));
        }
        let out = self.run(&self.worktree, &commit)?;
        if out.status.success() {
            return Ok(());
        }
        restore();
        let msg = both(&out);
        if self.has_commit_hook()? && !msg.contains("Please tell me who you are") {
            Err(LandError::HookFailed(msg))
        } else {
            Err(LandError::CommitFailed(msg))
        }
    }

    fn has_commit_hook(&self) -> Result<bool, GitError> {
        let hooks =
            PathBuf::from(self.ok(&self.worktree, &["rev-parse", "--path-format=absolute", "--git-path", "hooks"])?);
        Ok(["pre-commit", "prepare-commit-msg", "commit-msg"].iter().any(|h| hooks.join(h).is_file()))
    }

    /// Merges (or squashes) the branch into the target; see the module's comment for how.
    pub fn merge(&self, squash: bool, message: &str) -> Result<(), LandError> {
        self.worktree_or_err()?;
        if self.rebase_state()?.is_some() {
            return Err(LandError::RebaseInProgress);
        }
        if !self.uncommitted(&self.worktree)?.is_empty() {
            return Err(LandError::Uncommitted);
        }
        let old = self.rev(&self.target_ref()).ok_or_else(|| LandError::BadTarget(self.target.clone()))?;
        let head = self.rev(&self.branch_ref()).ok_or_else(|| LandError::BadTarget(self.branch.clone()))?;
        if self.run(&self.repo, &["merge-base", "--is-ancestor", &head, &old])?.status.success() {
            return Err(LandError::NothingToMerge(self.branch.clone()));
        }
        let tree = self.merge_tree(&old, &head)?;
        match self.target_checkout()? {
            Some(checkout) => self.merge_in_checkout(&checkout, squash, message),
            None => {
                let mut args = vec!["commit-tree", tree.as_str(), "-p", old.as_str()];
                if !squash {
                    args.extend(["-p", head.as_str()]);
                }
                args.extend(["-m", message]);
                let new = self.ok(&self.repo, &args)?;
                let reason = format!("viban: merge {}", self.branch);
                self.ok(&self.repo, &["update-ref", "-m", &reason, &self.target_ref(), &new, &old])
                    .map_err(|e| LandError::MergeFailed(e.to_string()))?;
                Ok(())
            }
        }
    }

    /// The merged tree, or the conflicting files; touches no checkout.
    fn merge_tree(&self, old: &str, head: &str) -> Result<String, LandError> {
        let out = self.run(&self.repo, &["merge-tree", "--write-tree", "--name-only", "--no-messages", old, head])?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let mut lines = stdout.lines();
        let tree = lines.next().unwrap_or_default().to_string();
        match out.status.code() {
            Some(0) => Ok(tree),
            Some(1) => {
                let mut files: Vec<String> = lines.take_while(|l| !l.is_empty()).map(str::to_string).collect();
                files.dedup();
                Err(LandError::MergeConflict(files))
            }
            _ => Err(LandError::MergeFailed(text(&out.stderr))),
        }
    }

    fn merge_in_checkout(&self, checkout: &Path, squash: bool, message: &str) -> Result<(), LandError> {
        let dirty = self.ok(checkout, &["status", "--porcelain", "--untracked-files=no"])?;
        let git_dir = self.git_dir(checkout)?;
        let busy =
            ["MERGE_HEAD", "rebase-merge", "rebase-apply", "CHERRY_PICK_HEAD"].iter().any(|m| git_dir.join(m).exists());
        if !dirty.is_empty() || busy {
            return Err(LandError::TargetDirty(checkout.display().to_string()));
        }
        let branch = self.branch_ref();
        let out = if squash {
            let out = self.run(checkout, &["merge", "--squash", &branch])?;
            if out.status.success() { self.run(checkout, &["commit", "-q", "-m", message])? } else { out }
        } else {
            self.run(checkout, &["merge", "--no-ff", "--no-edit", "-m", message, &branch])?
        };
        if out.status.success() {
            return Ok(());
        }
        // Put the checkout back as it was (it had no changes to tracked files before).
        if git_dir.join("MERGE_HEAD").exists() {
            let _ = self.run(checkout, &["merge", "--abort"]);
        } else {
            let _ = self.run(checkout, &["reset", "-q", "--merge"]);
        }
        Err(LandError::MergeFailed(both(&out)))
    }

    /// Rebases the branch onto the target in its worktree. Conflicts stop it with git's state in place (the
    /// caller shows them from `state()`); any other failure leaves the branch where it was.
    pub fn rebase(&self) -> Result<(), LandError> {
        self.worktree_or_err()?;
        if self.rebase_state()?.is_some() {
            return Err(LandError::RebaseInProgress);
        }
        if !self.uncommitted(&self.worktree)?.is_empty() {
            return Err(LandError::Uncommitted);
        }
        self.rev(&self.target_ref()).ok_or_else(|| LandError::BadTarget(self.target.clone()))?;
        let out = self.run(&self.worktree, &["rebase", "--no-autostash", &self.target_ref()])?;
        if out.status.success() || self.rebase_state()?.is_some() {
            return Ok(());
        }
        Err(LandError::RebaseFailed(both(&out)))
    }

    /// `git rebase --abort`: the branch, index and files are exactly as before the rebase.
    pub fn rebase_abort(&self) -> Result<(), LandError> {
        self.worktree_or_err()?;
        if self.rebase_state()?.is_none() {
            return Err(LandError::NoRebase);
        }
        self.ok(&self.worktree, &["rebase", "--abort"])?;
        Ok(())
    }

    /// `git push -u <remote> <branch>` (`--force-with-lease` only when asked).
    pub fn push(&self, force: bool) -> Result<(), LandError> {
        let remote = self.remote()?.ok_or(LandError::NoRemote)?;
        let mut args = vec!["push", "--porcelain", "-u"];
        if force {
            args.push("--force-with-lease");
        }
        args.extend([remote.as_str(), self.branch.as_str()]);
        let mut cmd = self.cmd(&self.repo);
        cmd.args(&args);
        let out = output_within(&mut cmd, NETWORK_DEADLINE)?;
        if out.status.success() {
            return Ok(());
        }
        let stdout = String::from_utf8_lossy(&out.stdout);
        let rejected: Vec<&str> = stdout.lines().filter(|l| l.starts_with('!')).collect();
        let msg = scrub(&both(&out));
        if rejected.is_empty() { Err(LandError::PushFailed(msg)) } else { Err(LandError::PushRejected(msg)) }
    }
}

/// Checks paths from a request and turns them into literal pathspecs: relative, no `..`, and no symbolic link on
/// the way that leads out of the worktree.
pub fn confine(worktree: &Path, paths: &[String]) -> Result<Vec<String>, LandError> {
    let root = worktree.canonicalize().map_err(|e| LandError::BadPath(format!("the worktree: {e}")))?;
    paths
        .iter()
        .map(|p| {
            let rel = Path::new(p);
            let bad = |why: &str| LandError::BadPath(format!("{p:?}: {why}"));
            if p.is_empty() || p.contains('\0') {
                return Err(bad("not a path"));
            }
            if rel.is_absolute() || rel.components().any(|c| !matches!(c, Component::Normal(_) | Component::CurDir)) {
                return Err(bad("only paths inside the worktree, relative to it and without `..`"));
            }
            // The deepest folder that exists on the way must still be inside (a deleted file has no folder left).
            let mut dir = rel.parent().map(|d| root.join(d)).unwrap_or_else(|| root.clone());
            while !dir.exists() && dir.pop() {}
            let real = dir.canonicalize().map_err(|e| bad(&e.to_string()))?;
            if !real.starts_with(&root) {
                return Err(bad("a symbolic link on its way leads out of the worktree"));
            }
            Ok(format!(":(literal){p}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_stay_inside_the_worktree() -> anyhow::Result<()> {
        let tmp = tempfile::tempdir()?;
        let wt = tmp.path().join("wt");
        std::fs::create_dir_all(wt.join("src"))?;
        std::os::unix::fs::symlink(tmp.path(), wt.join("out"))?;
        assert_eq!(
            confine(&wt, &["src/a.rs".into(), "gone/x".into()])?,
            vec![":(literal)src/a.rs", ":(literal)gone/x"]
        );
        for bad in ["/etc/passwd", "../x", "src/../../x", "out/secret", ""] {
            assert!(matches!(confine(&wt, &[bad.into()]), Err(LandError::BadPath(_))), "{bad}");
        }
        Ok(())
    }
}
