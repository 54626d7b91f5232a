//! The disk view and the cleanup policy: every worktree viban made with its size and what removing it would lose;
//! removal of the safe ones by the user (`POST /api/worktrees/cleanup`), after a merge (`on_merge`), when the task
//! is done (`when_done`) and by age (`cleanup_after_days`, swept at start and hourly). Never while a run is active,
//! never with uncommitted changes or commits that are neither merged nor pushed unless the user confirms (`force`):
//! those are kept, logged and shown with the reason.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use chrono::Utc;
use tokio::sync::watch;
use uuid::Uuid;
use viban_core::{CleanupRequest, CleanupResult, SkippedWorktree, TaskStatus, WorktreeInfo};
use viban_db::StoredWorktree;
use viban_git::{DiskUsage, WalkCaps, WorktreeCheck};

use crate::error::RunError;
use crate::profile::WorktreeCleanup;
use crate::runs::{Runs, lock};

/// A size is recomputed after this even if the watcher saw nothing (it does not watch ignored folders such as
/// `node_modules`, which change sizes most).
const SIZE_TTL: Duration = Duration::from_secs(600);
/// How long `GET /api/worktrees` waits for sizes being computed; later ones come with `size_exact: false`.
const SIZE_WAIT: Duration = Duration::from_secs(3);
/// How often old worktrees are swept (`cleanup_after_days`); also once at start.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);

#[derive(Default)]
struct SizeEntry {
    /// Bumped by every invalidation: a walk that started before one does not store its result.
    generation: u64,
    /// The last result, when it was computed, and whether nothing changed since.
    known: Option<(Instant, DiskUsage, bool)>,
    pending: Option<watch::Receiver<Option<DiskUsage>>>,
}

/// Sizes cached per path, and the lock that makes cleanups one at a time.
pub(crate) struct WorktreeState {
    sizes: Mutex<HashMap<String, SizeEntry>>,
    /// One walk at a time: on a small machine, sizes must never compete with the agents for every core.
    walks: Arc<tokio::sync::Semaphore>,
    /// The policy, the sweep and the API may decide about one path at once: checks and removal happen under it.
    cleaning: tokio::sync::Mutex<()>,
    /// One worktree added or removed at a time per repository: twelve starts at once in one repository, with a
    /// worktree removed meanwhile, once gave `git_failed` (git's `worktree add`/`remove`/`prune` share the
    /// repository's worktree admin area); each takes a fraction of a second.
    adding: Mutex<HashMap<PathBuf, Arc<tokio::sync::Mutex<()>>>>,
}

impl Default for WorktreeState {
    fn default() -> Self {
        Self {
            sizes: Default::default(),
            walks: Arc::new(tokio::sync::Semaphore::new(1)),
            cleaning: Default::default(),
            adding: Default::default(),
        }
    }
}

impl WorktreeState {
    /// The lock worktree creation and removal in `repo` take.
    pub(crate) fn adding_in(&self, repo: &Path) -> Arc<tokio::sync::Mutex<()>> {
        let mut map = self.adding.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.entry(repo.to_path_buf()).or_default().clone()
    }

    /// Something in the worktree changed (the watcher): its size is computed again when next asked.
    pub(crate) fn invalidate(&self, path: &str) {
        if let Some(e) = lock(&self.sizes).get_mut(path) {
            e.generation += 1;
            if let Some(k) = e.known.as_mut() {
                k.2 = false;
            }
        }
    }

    /// The size of `path` (bytes, exact), waiting for a walk until `deadline` at most.
    async fn size(self: &Arc<Self>, path: &str, deadline: tokio::time::Instant) -> (u64, bool) {
        let (mut rx, stale) = {
            let mut sizes = lock(&self.sizes);
            let e = sizes.entry(path.to_string()).or_default();
            if let Some((at, usage, true)) = e.known
                && at.elapsed() < SIZE_TTL
            {
                return (usage.bytes, usage.complete);
            }
            let stale = e.known.map(|k| k.1.bytes).unwrap_or(0);
            let rx = match &e.pending {
                Some(rx) => rx.clone(),
                None => {
                    let (tx, rx) = watch::channel(None);
                    e.pending = Some(rx.clone());
                    self.spawn_walk(path.to_string(), e.generation, tx);
                    rx
                }
            };
            (rx, stale)
        };
        match tokio::time::timeout_at(deadline, rx.wait_for(Option::is_some)).await {
            Ok(Ok(v)) => v.map(|u| (u.bytes, u.complete)).unwrap_or((stale, false)),
            _ => (stale, false),
        }
    }

    /// Walks in the background: a request that stops waiting leaves the result for the next one.
    fn spawn_walk(self: &Arc<Self>, path: String, generation: u64, tx: watch::Sender<Option<DiskUsage>>) {
        let state = Arc::downgrade(self);
        let walks = self.walks.clone();
        tokio::spawn(async move {
            let _permit = walks.acquire_owned().await;
            let p = PathBuf::from(&path);
            let usage = tokio::task::spawn_blocking(move || viban_git::apparent_size(&p, WalkCaps::default()))
                .await
                .unwrap_or_default();
            if let Some(state) = state.upgrade()
                && let Some(e) = lock(&state.sizes).get_mut(&path)
            {
                if e.generation == generation {
                    e.known = Some((Instant::now(), usage, true));
                }
                e.pending = None;
            }
            let _ = tx.send(Some(usage));
        });
    }
}

/// A stored worktree with what git says about it.
struct Inspected {
    w: StoredWorktree,
    check: Result<WorktreeCheck, String>,
    /// The folder's last change (for the age of a worktree whose runs never finished).
    mtime: Option<SystemTime>,
}

fn inspect(w: StoredWorktree) -> Inspected {
    let path = Path::new(&w.path);
    let check = viban_git::inspect_worktree(Path::new(&w.repo_path), path, &w.branch, &w.base_ref).map_err(|e| {
        tracing::warn!(worktree = %w.path, error = %e, "git could not inspect the worktree");
        "git could not inspect it (see the log)".to_string()
    });
    let mtime = std::fs::symlink_metadata(path).and_then(|m| m.modified()).ok();
    Inspected { w, check, mtime }
}

impl Inspected {
    fn exists(&self) -> bool {
        self.check.as_ref().map(|c| c.exists).unwrap_or_else(|_| Path::new(&self.w.path).is_dir())
    }

    /// Why it must stay even if the user confirms (`hard`), or why it must not go without confirmation.
    fn why_not(&self) -> Option<(bool, String)> {
        if self.w.active {
            return Some((true, "a run is active in it: stop it or wait until it ends".into()));
        }
        if !self.exists() {
            let why =
                if self.w.removed { "viban already removed it" } else { "the folder is gone (removed outside viban)" };
            return Some((true, why.into()));
        }
        match &self.check {
            Err(e) => Some((false, e.clone())),
            Ok(c) => c.risk(&self.w.base_ref).map(|r| (false, r)),
        }
    }

    fn age_secs(&self) -> i64 {
        if self.w.active {
            return 0;
        }
        let now = Utc::now();
        match (self.w.last_finished, self.mtime) {
            (Some(f), _) => (now - f).num_seconds().max(0),
            (None, Some(m)) => m.elapsed().map(|d| d.as_secs() as i64).unwrap_or(0),
            (None, None) => (now - self.w.last_created).num_seconds().max(0),
        }
    }
}

async fn inspect_all(ws: Vec<StoredWorktree>) -> Result<Vec<Inspected>, RunError> {
    tokio::task::spawn_blocking(move || ws.into_iter().map(inspect).collect())
        .await
        .map_err(|e| RunError::Io(format!("background task failed: {e}")))
}

impl Runs {
    fn cleanup_settings(&self) -> (WorktreeCleanup, Option<u32>, bool) {
        let runs = self.inner.catalog.profiles().map(|p| p.runs).unwrap_or_default();
        (runs.worktree_cleanup.unwrap_or_default(), runs.cleanup_after_days, runs.delete_branch_on_merge == Some(true))
    }

    /// `GET /api/worktrees`: every worktree viban made, existing or not.
    pub async fn worktrees(&self) -> Result<Vec<WorktreeInfo>, RunError> {
        let inspected = inspect_all(self.inner.db.worktrees().await?).await?;
        let deadline = tokio::time::Instant::now() + SIZE_WAIT;
        let mut out = Vec::with_capacity(inspected.len());
        for i in inspected {
            let exists = i.exists();
            let (size, exact) = if exists { self.inner.worktrees.size(&i.w.path, deadline).await } else { (0, true) };
            let why_not = i.why_not().map(|(_, why)| why);
            let check = i.check.clone().unwrap_or_default();
            let age_secs = i.age_secs();
            let w = i.w;
            out.push(WorktreeInfo {
                path: w.path,
                project_id: w.project_id,
                project_name: w.project_name,
                task_id: w.task_id,
                task_title: w.task_title,
                task_status: w.task_status,
                branch: w.branch,
                target: w.base_ref,
                run_ids: w.run_ids,
                active: w.active,
                exists,
                removed: w.removed,
                size_bytes: size as i64,
                size_exact: exact,
                uncommitted: check.uncommitted,
                unmerged_commits: check.unmerged,
                pushed: check.pushed,
                age_secs,
                safe_to_remove: why_not.is_none(),
                why_not,
            });
        }
        Ok(out)
    }

    /// `POST /api/worktrees/cleanup`: the listed worktrees (every one viban has not removed yet when none are
    /// listed) that can go without losing work; with `force`, the listed ones even with uncommitted or unmerged
    /// work. A path viban did not make is refused before anything is removed.
    pub async fn cleanup_worktrees(&self, req: CleanupRequest) -> Result<CleanupResult, RunError> {
        let force = req.force == Some(true);
        let all = self.inner.db.worktrees().await?;
        let targets = match req.paths {
            None if force => {
                return Err(RunError::Validation("force needs the paths the user confirmed, listed in `paths`".into()));
            }
            None => all.into_iter().filter(|w| !w.removed).collect(),
            Some(paths) => {
                let mut by_path: HashMap<String, StoredWorktree> =
                    all.into_iter().map(|w| (w.path.clone(), w)).collect();
                let mut picked = Vec::new();
                for p in &paths {
                    if picked.iter().any(|w: &StoredWorktree| &w.path == p) {
                        continue;
                    }
                    picked.push(by_path.remove(p).ok_or_else(|| RunError::NotAWorktree(p.clone()))?);
                }
                picked
            }
        };
        self.clean(targets, force, "cleanup").await
    }

    /// Removes what can go; reports (and logs) what stays.
    async fn clean(&self, targets: Vec<StoredWorktree>, force: bool, reason: &str) -> Result<CleanupResult, RunError> {
        let _one_at_a_time = self.inner.worktrees.cleaning.lock().await;
        let (_, _, delete_branches) = self.cleanup_settings();
        let mut result = CleanupResult::default();
        for mut w in targets {
            // Fresh facts: the list may be older than a run that just started.
            w.active = self.inner.db.active_run_in_worktree(&w.path).await?.is_some();
            let i = inspect_all(vec![w]).await?.into_iter().next();
            let Some(i) = i else { continue };
            if let Some((hard, why)) = i.why_not()
                && (hard || !force)
            {
                tracing::warn!(worktree = %i.w.path, why = %why, reason, "worktree kept");
                result.skipped.push(SkippedWorktree { path: i.w.path, why });
                continue;
            }
            let Some(run_id) = i.w.run_ids.last().copied() else { continue };
            if let Err(e) = self.remove_worktree(run_id, force).await {
                tracing::warn!(worktree = %i.w.path, error = %e, reason, "worktree kept: removing it failed");
                result.skipped.push(SkippedWorktree { path: i.w.path, why: e.to_string() });
                continue;
            }
            tracing::info!(worktree = %i.w.path, reason, "worktree removed");
            self.inner.worktrees.invalidate(&i.w.path);
            if delete_branches && let Some(b) = self.delete_merged_branch(&i.w).await {
                result.deleted_branches.push(b);
            }
            result.removed.push(i.w.path);
        }
        Ok(result)
    }

    /// Deletes the worktree's branch when it is merged into its target (`delete_branch_on_merge`).
    async fn delete_merged_branch(&self, w: &StoredWorktree) -> Option<String> {
        let (repo, branch, target) = (PathBuf::from(&w.repo_path), w.branch.clone(), w.base_ref.clone());
        let deleted = tokio::task::spawn_blocking(move || {
            if !viban_git::branch_merged(&repo, &branch, &target)? {
                return Ok::<_, viban_git::GitError>(None);
            }
            viban_git::delete_branch(&repo, &branch)?;
            Ok(Some(branch))
        })
        .await;
        match deleted {
            Ok(Ok(b)) => b,
            Ok(Err(e)) => {
                tracing::warn!(branch = %w.branch, error = %e, "the merged branch was kept");
                None
            }
            Err(_) => None,
        }
    }

    /// The `on_merge` policy, after a merge through viban or a pull request seen merged.
    pub(crate) async fn after_merge(&self, task_id: Uuid, branch: &str) {
        if self.cleanup_settings().0 != WorktreeCleanup::OnMerge {
            return;
        }
        let Ok(all) = self.inner.db.worktrees().await else { return };
        let mine = all.into_iter().filter(|w| w.task_id == task_id && w.branch == branch && !w.removed).collect();
        if let Err(e) = self.clean(mine, false, "merged").await {
            tracing::warn!(task = %task_id, error = %e, "cleanup after the merge failed");
        }
    }

    /// The `when_done` policy: the task's worktrees, once it is Done or Cancelled.
    pub(crate) async fn clean_task_worktrees(&self, task_id: Uuid) {
        let Ok(all) = self.inner.db.worktrees().await else { return };
        let mine: Vec<_> = all
            .into_iter()
            .filter(|w| w.task_id == task_id && !w.removed)
            .filter(|w| matches!(w.task_status, TaskStatus::Done | TaskStatus::Cancelled))
            .collect();
        if !mine.is_empty()
            && let Err(e) = self.clean(mine, false, "task done").await
        {
            tracing::warn!(task = %task_id, error = %e, "cleanup of a done task failed");
        }
    }

    /// `cleanup_after_days`: removes the safe worktrees of Done/Cancelled tasks whose last run finished (or, with
    /// none finished, whose folder last changed) at least that many days ago. Nothing when the setting is absent.
    pub async fn sweep_old_worktrees(&self) -> Result<CleanupResult, RunError> {
        let Some(days) = self.cleanup_settings().1 else { return Ok(CleanupResult::default()) };
        let min_age = i64::from(days) * 86_400;
        let candidates: Vec<_> = self
            .inner
            .db
            .worktrees()
            .await?
            .into_iter()
            .filter(|w| !w.removed && !w.active && matches!(w.task_status, TaskStatus::Done | TaskStatus::Cancelled))
            .collect();
        let old: Vec<_> = inspect_all(candidates)
            .await?
            .into_iter()
            .filter(|i| i.exists() && i.age_secs() >= min_age)
            .map(|i| i.w)
            .collect();
        if old.is_empty() {
            return Ok(CleanupResult::default());
        }
        self.clean(old, false, "older than cleanup_after_days").await
    }

    /// The sweep at start and then hourly.
    pub(crate) fn spawn_sweep(&self) {
        let runs = self.clone();
        let cancel = self.inner.shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = cancel.cancelled() => return,
                }
                if let Err(e) = runs.sweep_old_worktrees().await {
                    tracing::warn!(error = %e, "the worktree sweep failed");
                }
            }
        });
    }
}
