//! Landing a run's work (`viban-git`'s `land`): the git state of its branch, commit, merge, rebase, push and pull
//! requests, with the rules only the runs service knows (no rebase or merge under a running agent, the task to Done
//! after a merge, PR polling).

use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;
use viban_core::{
    CommitRequest, GitCommands, GitState, MergeRequest, PrRequest, PullRequest, RebaseState, Run, TaskStatus,
};
use viban_db::StoredPr;
use viban_git::{Branch, BranchState, LandError, PrInfo, Provider, shell_line};

use crate::error::RunError;
use crate::runs::Runs;

/// Open PRs are checked this often (`[runs] pr_poll_secs`).
const PR_POLL: Duration = Duration::from_secs(60);
/// The poller's shortest sleep (and its first, and after a failed listing).
const POLL_TICK: Duration = Duration::from_secs(5);
/// With no PR open the poller sleeps until one is opened, or this long (a PR added by another server on the same
/// database, or by hand, is still seen).
const NO_PR_WAIT: Duration = Duration::from_secs(600);
/// `GET /git` asks the provider again when the stored state is older than this.
const PR_FRESH: Duration = Duration::from_secs(10);

/// Statuses a task leaves for Done when its work landed (a cancelled task stays cancelled).
const LANDABLE: [TaskStatus; 3] = [TaskStatus::Todo, TaskStatus::InProgress, TaskStatus::InReview];

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, RunError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| RunError::Io(format!("background task failed: {e}")))
}

impl Runs {
    fn pr_poll_every(&self) -> Duration {
        let secs = self.inner.catalog.profiles().ok().and_then(|p| p.runs.pr_poll_secs);
        secs.map(|s| Duration::from_secs(s.max(1))).unwrap_or(PR_POLL)
    }

    fn cli_override(&self, provider: Provider) -> Option<String> {
        let runs = self.inner.catalog.profiles().ok()?.runs;
        match provider {
            Provider::GitHub => runs.gh,
            Provider::GitLab => runs.glab,
        }
    }

    /// The run, and its branch as `viban-git` works on it.
    async fn branch_of(&self, id: Uuid) -> Result<(Run, Branch), RunError> {
        let run = self.inner.db.get_run(id).await?;
        let project = self.inner.db.get_project(run.project_id).await?;
        let removed = self.inner.db.worktree_removed(id).await?;
        let worktree = if removed { PathBuf::new() } else { PathBuf::from(&run.worktree_path) };
        let branch = Branch {
            repo: PathBuf::from(&project.repo_path),
            worktree,
            branch: run.branch.clone(),
            target: run.base_ref.clone(),
            path_var: self.inner.catalog.path_var(false),
        };
        Ok((run, branch))
    }

    async fn needs_worktree(&self, run: &Run, branch: &Branch, idle: bool) -> Result<(), RunError> {
        if !branch.worktree.is_dir() {
            return Err(RunError::WorktreeRemoved);
        }
        if idle && self.inner.db.active_run_in_worktree(&run.worktree_path).await?.is_some() {
            return Err(RunError::RunActive);
        }
        Ok(())
    }

    /// `GET /api/runs/{id}/git`.
    pub async fn git_state(&self, id: Uuid) -> Result<GitState, RunError> {
        let (run, branch) = self.branch_of(id).await?;
        let b = branch.clone();
        let (st, provider) = blocking(move || {
            let st = b.state()?;
            let provider = b.provider(st.remote.as_deref());
            Ok::<_, LandError>((st, provider))
        })
        .await??;
        let mut pr = self.inner.db.get_pr(run.project_id, &run.branch).await?;
        if let Some(stored) = pr.as_ref().filter(|p| p.state == "open")
            && (Utc::now() - stored.checked_at).to_std().unwrap_or_default() >= PR_FRESH.min(self.pr_poll_every())
        {
            pr = Some(self.refresh_pr(stored.clone(), &branch.repo).await);
        }
        Ok(state(&branch, st, provider, pr.map(|p| p.to_api())))
    }

    /// `POST /api/runs/{id}/commit`.
    pub async fn commit(&self, id: Uuid, req: CommitRequest) -> Result<GitState, RunError> {
        let (run, branch) = self.branch_of(id).await?;
        self.needs_worktree(&run, &branch, false).await?;
        blocking(move || branch.commit(&req.message, req.paths.as_deref())).await??;
        self.git_state(id).await
    }

    /// `POST /api/runs/{id}/merge`: on success the task moves to Done (and the cleanup policy applies).
    pub async fn merge(&self, id: Uuid, req: MergeRequest) -> Result<GitState, RunError> {
        let (run, branch) = self.branch_of(id).await?;
        self.needs_worktree(&run, &branch, true).await?;
        let message = match req.message.filter(|m| !m.trim().is_empty()) {
            Some(m) => m,
            None if req.squash => self.inner.db.get_task(run.task_id).await?.title,
            None => format!("Merge branch '{}' into {}", run.branch, run.base_ref),
        };
        blocking(move || branch.merge(req.squash, &message)).await??;
        // The state first: the cleanup policy may remove the worktree once the task is Done.
        let state = self.git_state(id).await?;
        self.move_task(run.task_id, &LANDABLE, TaskStatus::Done).await;
        self.after_merge(run.task_id, &run.branch).await;
        Ok(state)
    }

    /// `POST /api/runs/{id}/rebase`: conflicts come back in the state, with git's rebase left in place.
    pub async fn rebase(&self, id: Uuid) -> Result<GitState, RunError> {
        let (run, branch) = self.branch_of(id).await?;
        self.needs_worktree(&run, &branch, true).await?;
        blocking(move || branch.rebase()).await??;
        self.git_state(id).await
    }

    /// `POST /api/runs/{id}/rebase/abort`.
    pub async fn rebase_abort(&self, id: Uuid) -> Result<GitState, RunError> {
        let (run, branch) = self.branch_of(id).await?;
        self.needs_worktree(&run, &branch, true).await?;
        blocking(move || branch.rebase_abort()).await??;
        self.git_state(id).await
    }

    /// `POST /api/runs/{id}/push`.
    pub async fn push(&self, id: Uuid, force: bool) -> Result<GitState, RunError> {
        let (_, branch) = self.branch_of(id).await?;
        blocking(move || branch.push(force)).await??;
        self.git_state(id).await
    }

    /// `POST /api/runs/{id}/pr`: pushes if needed, opens the PR (or adopts the branch's existing one), stores it.
    pub async fn open_pr(&self, id: Uuid, req: PrRequest) -> Result<GitState, RunError> {
        if req.title.trim().is_empty() {
            return Err(RunError::Validation("a pull request needs a title".into()));
        }
        let (run, branch) = self.branch_of(id).await?;
        let (gh, glab) = (self.cli_override(Provider::GitHub), self.cli_override(Provider::GitLab));
        let pr = blocking(move || {
            let remote = branch.remote()?.ok_or(LandError::NoRemote)?;
            let provider = branch.provider(Some(&remote)).ok_or_else(|| {
                LandError::UnknownProvider(format!(
                    "viban cannot tell whether the remote {remote:?} is GitHub or GitLab from its URL: set it with \
                     `git config viban.prProvider github` (or gitlab) in the repository"
                ))
            })?;
            let configured = match provider {
                Provider::GitHub => gh,
                Provider::GitLab => glab,
            };
            let program = branch.find_cli(provider, configured.as_deref())?;
            let st = branch.state()?;
            if st.upstream.is_none() || st.unpushed > 0 {
                branch.push(false)?;
            }
            branch.create_pr(provider, &program, &req.title, &req.body, req.draft.unwrap_or(false))
        })
        .await??;
        let pr = to_api(&pr);
        self.inner.db.save_pr(run.project_id, &run.branch, run.task_id, &pr).await?;
        self.inner.pr_opened.notify_one();
        if pr.state == "merged" {
            self.move_task(run.task_id, &LANDABLE, TaskStatus::Done).await;
            self.after_merge(run.task_id, &run.branch).await;
        }
        self.git_state(id).await
    }

    /// Asks the provider for a stored PR's state, stores it, and moves the task to Done when it was merged. On
    /// failure the stored state stays (and the failure is logged).
    async fn refresh_pr(&self, stored: StoredPr, repo: &Path) -> StoredPr {
        let Some(provider) = Provider::parse(&stored.provider) else { return stored };
        let branch = Branch {
            repo: repo.to_path_buf(),
            worktree: PathBuf::new(),
            branch: stored.branch.clone(),
            target: String::new(),
            path_var: self.inner.catalog.path_var(false),
        };
        let configured = self.cli_override(provider);
        let viewed = blocking(move || {
            let program = branch.locate_cli(provider, configured.as_deref())?;
            branch.view_pr(provider, &program)
        })
        .await;
        let pr = match viewed {
            Ok(Ok(pr)) => to_api(&pr),
            Ok(Err(e)) => {
                tracing::info!(branch = %stored.branch, error = %e, "pull request state not refreshed");
                return stored;
            }
            Err(e) => {
                tracing::warn!(error = %e, "pull request refresh failed");
                return stored;
            }
        };
        if let Err(e) = self.inner.db.save_pr(stored.project_id, &stored.branch, stored.task_id, &pr).await {
            tracing::warn!(error = %e, "storing the pull request state failed");
        }
        if pr.state == "merged" && stored.state != "merged" {
            self.move_task(stored.task_id, &LANDABLE, TaskStatus::Done).await;
            self.after_merge(stored.task_id, &stored.branch).await;
        }
        StoredPr {
            state: pr.state,
            checks: pr.checks,
            url: pr.url,
            number: pr.number,
            checked_at: Utc::now(),
            ..stored
        }
    }

    /// Polls open PRs, each once its last check is `pr_poll_secs` old (one at a time). Between checks it sleeps
    /// until the next one is due, and while no PR is open until one is opened: an idle app sends PostgreSQL
    /// nothing, so the pools' idle connections close (a query every few seconds kept three of them alive).
    pub(crate) fn spawn_pr_poll(&self) {
        let runs = self.clone();
        let cancel = self.inner.shutdown.clone();
        tokio::spawn(async move {
            let mut wait = POLL_TICK;
            loop {
                tokio::select! {
                    () = tokio::time::sleep(wait) => {}
                    () = runs.inner.pr_opened.notified() => {}
                    () = cancel.cancelled() => return,
                }
                wait = match runs.poll_due_prs(&cancel).await {
                    Some(next) => next.clamp(POLL_TICK, PR_POLL),
                    None => NO_PR_WAIT,
                };
            }
        });
    }

    /// Checks the open PRs that are due; gives how long until the next one is, or None when none is open.
    async fn poll_due_prs(&self, cancel: &tokio_util::sync::CancellationToken) -> Option<Duration> {
        let open = match self.inner.db.open_prs().await {
            Ok(o) => o,
            Err(e) => {
                tracing::debug!(error = %e, "listing open pull requests failed");
                return Some(POLL_TICK);
            }
        };
        let every = self.pr_poll_every();
        let mut next: Option<Duration> = None;
        for pr in open {
            if cancel.is_cancelled() {
                return None;
            }
            let age = (Utc::now() - pr.checked_at).to_std().unwrap_or_default();
            let due_in = if age + Duration::from_millis(500) < every {
                every - age
            } else {
                if let Ok(project) = self.inner.db.get_project(pr.project_id).await {
                    self.refresh_pr(pr, Path::new(&project.repo_path)).await;
                }
                every
            };
            next = Some(next.map_or(due_in, |n| n.min(due_in)));
        }
        next
    }
}

fn to_api(pr: &PrInfo) -> PullRequest {
    PullRequest {
        provider: pr.provider.as_str().into(),
        url: pr.url.clone(),
        number: pr.number,
        state: pr.state.clone(),
        checks: pr.checks.clone(),
    }
}

/// The API's state, with the exact command lines of each action.
fn state(b: &Branch, st: BranchState, provider: Option<Provider>, pr: Option<PullRequest>) -> GitState {
    let (br, t) = (b.branch.as_str(), b.target.as_str());
    let (merge, squash) = match &st.target_checkout {
        Some(dir) => {
            let dir = dir.display().to_string();
            (
                shell_line(&["git", "-C", &dir, "merge", "--no-ff", "-m", "<message>", br]),
                format!(
                    "{} && {}",
                    shell_line(&["git", "-C", &dir, "merge", "--squash", br]),
                    shell_line(&["git", "-C", &dir, "commit", "-m", "<message>"])
                ),
            )
        }
        None => {
            let tree = shell_line(&["git", "merge-tree", "--write-tree", t, br]);
            let update = shell_line(&["git", "update-ref", &format!("refs/heads/{t}"), "<new>", "<old>"]);
            (
                format!(
                    "{tree} && {} && {update}",
                    shell_line(&["git", "commit-tree", "<tree>", "-p", t, "-p", br, "-m", "<message>"])
                ),
                format!(
                    "{tree} && {} && {update}",
                    shell_line(&["git", "commit-tree", "<tree>", "-p", t, "-m", "<message>"])
                ),
            )
        }
    };
    let remote = st.remote.clone().unwrap_or_else(|| "<remote>".into());
    let commands = GitCommands {
        commit: format!("git add -A && {}", shell_line(&["git", "commit", "-m", "<message>"])),
        merge,
        squash,
        rebase: shell_line(&["git", "rebase", t]),
        push: shell_line(&["git", "push", "-u", &remote, br]),
        pr: provider.map(|p| b.pr_command(p)),
    };
    GitState {
        branch: b.branch.clone(),
        target: b.target.clone(),
        ahead: st.ahead,
        behind: st.behind,
        uncommitted: st.uncommitted,
        rebase: st.rebase.map(|(onto, conflicts)| RebaseState { onto, conflicts }),
        upstream: st.upstream,
        unpushed: st.unpushed,
        pr,
        commands,
    }
}
