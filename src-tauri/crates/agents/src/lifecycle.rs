//! Starting and stopping the runs service: reaping what a crashed app left (through the ledger), re-queueing
//! waiting runs, the worktree watcher, the activity ticker; at shutdown every live run is stopped.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::Duration;

use uuid::Uuid;
use viban_core::{ChangeEvent, RunActivity, RunFiles};
use viban_db::DbError;
use viban_git::{Touched, WorktreeWatcher};

use crate::procs::{self, Ladder};
use crate::runs::{Runs, RunsConfig, lock};

/// How often cards get the agents' screen tails.
const ACTIVITY_EVERY: Duration = Duration::from_secs(1);
/// Quiet this long, a run shows as probably waiting for input.
pub(crate) const WAITING_AFTER: Duration = Duration::from_secs(3);

impl Runs {
    /// Starts the service. Runs the previous process left live are reaped and marked `interrupted` before
    /// anything new starts.
    pub async fn start(cfg: RunsConfig) -> Result<Self, DbError> {
        let (changed_tx, changed_rx) = tokio::sync::mpsc::unbounded_channel();
        let watcher = match WorktreeWatcher::start(changed_tx) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "worktree watcher unavailable; changed-file counts update when runs end");
                None
            }
        };
        let runs = Runs::new(cfg, watcher);
        let (queued, live): (Vec<_>, Vec<_>) =
            runs.inner.db.active_runs().await?.into_iter().partition(|r| r.status == viban_core::RunStatus::Queued);
        let had_containers = live.iter().any(|r| r.runtime == viban_core::RuntimeKind::Container);
        runs.reap_previous(live.into_iter().map(|r| r.id).collect()).await?;
        // Before anything new starts (a new run's container must not be taken for a leftover).
        runs.reap_containers(had_containers).await;
        runs.spawn_job_reaper();
        // Entries whose run ended while viban was down get their outcome before new ones start.
        if let Err(e) = runs.inner.db.reconcile_firings().await {
            tracing::warn!(error = %e, "could not reconcile the column automations' entries");
        }
        runs.spawn_auto_starts();
        for run in queued {
            // A fresh table: nothing was stopped yet, so every run is queued (they start at the end of this).
            let _ = lock(&runs.inner.table).enqueue(run.id, run.project_id);
        }
        if let Some(w) = &runs.inner.watcher {
            for (path, _) in runs.inner.db.live_worktrees().await? {
                if std::path::Path::new(&path).is_dir() {
                    w.watch(std::path::Path::new(&path));
                }
            }
        }
        runs.spawn_recounter(changed_rx);
        runs.spawn_activity();
        runs.spawn_cleanup();
        runs.spawn_sweep();
        runs.spawn_pr_poll();
        runs.pump();
        Ok(runs)
    }

    /// Ledger entries of this boot whose process is still the one recorded (same start time) are stopped, as is
    /// anything carrying a live run's marker; then those runs are `interrupted`.
    async fn reap_previous(&self, live: Vec<Uuid>) -> Result<(), DbError> {
        if live.is_empty() {
            return Ok(());
        }
        let ledger = self.inner.db.ledger(&procs::boot_id()).await?;
        let quick = Ladder {
            after_int: Duration::from_millis(200),
            after_term: Duration::from_millis(1000),
            after_kill: Duration::from_secs(2),
        };
        let reaped = tokio::task::spawn_blocking(move || {
            let mut n = 0;
            for id in &live {
                let entry = ledger.iter().find(|e| e.run_id == *id);
                // A pid is only ours if it started when we recorded: otherwise it was reused — leave it alone.
                let pgid = entry.filter(|e| procs::start_ticks(e.pid) == Some(e.start_ticks)).map(|e| e.pid);
                if procs::stop_ladder(pgid, &id.to_string(), quick) != procs::StopOutcome::AlreadyGone {
                    n += 1;
                }
            }
            n
        })
        .await
        .unwrap_or(0);
        let interrupted = self.inner.db.interrupt_live_runs().await?;
        tracing::warn!(runs = interrupted.len(), reaped, "runs left live by the previous process are interrupted");
        Ok(())
    }

    /// Containers of this home whose run died with the previous process are removed. Asks the engine only when
    /// some run or profile uses containers.
    async fn reap_containers(&self, had_containers: bool) {
        let catalog = self.inner.catalog.clone();
        let home = crate::container::home_label(&self.inner.data_dir);
        let removed = tokio::task::spawn_blocking(move || {
            let profiles = catalog.profiles().ok()?;
            let used = profiles.list.iter().any(|p| p.runtime == viban_core::RuntimeKind::Container);
            if !(used || had_containers) {
                return None;
            }
            let engine = crate::container::Engine::find(&profiles.container, &catalog.path_var(false)).ok()?;
            Some(engine.reap(&home, &[]))
        })
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
        if !removed.is_empty() {
            tracing::warn!(runs = ?removed, "removed containers of runs that died with the previous process");
        }
    }

    /// Jobs of this home whose run died with the previous process are deleted, in the background: a cluster that
    /// is slow or unreachable must not hold up the start.
    fn spawn_job_reaper(&self) {
        let Ok(Some(settings)) = self.inner.catalog.profiles().map(|p| p.kubernetes) else { return };
        let runs = self.clone();
        tokio::spawn(async move {
            let home = crate::container::home_label(&runs.inner.data_dir);
            let work = async {
                let cluster = crate::kubernetes::Cluster::connect(&settings).await?;
                crate::kubernetes::reap(&cluster, &home, |run| runs.live_ids().contains(&run)).await
            };
            match tokio::time::timeout(Duration::from_secs(60), work).await {
                Ok(Ok(removed)) if !removed.is_empty() => {
                    tracing::warn!(runs = ?removed, "deleted Jobs of runs that died with the previous process");
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!(error = %e, "could not look for Jobs left by the previous process"),
                Err(_) => {
                    tracing::warn!("the cluster did not answer in time; Jobs left behind are looked for next start")
                }
            }
        });
    }

    /// Starts the agents of tasks whose last blocker went Done, and the column automations of cards that entered
    /// an automated column: at start (it may have happened while viban was stopped), then on every task change of
    /// a project. The claims make each fire once.
    fn spawn_auto_starts(&self) {
        let runs = self.clone();
        let mut changes = self.inner.feed.subscribe();
        tokio::spawn(async move {
            runs.fire_due(None).await;
            runs.pump_automations(None).await;
            loop {
                let event = tokio::select! {
                    e = changes.recv() => e,
                    () = runs.inner.shutdown.cancelled() => return,
                };
                match event {
                    Ok(viban_core::ChangeEvent::Change {
                        table: viban_core::ChangeTable::Task, project_id, ..
                    }) => {
                        runs.fire_due(project_id).await;
                        runs.pump_automations(project_id).await;
                    }
                    Ok(viban_core::ChangeEvent::Resync)
                    // Missed events: look at every project.
                    | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        runs.fire_due(None).await;
                        runs.pump_automations(None).await;
                    }
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// Starts the auto-starts that are due (in one project, or all).
    pub async fn fire_due(&self, project: Option<Uuid>) {
        let due = match self.inner.db.claim_due_starts(project).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %e, "could not look for auto-starts that are due");
                return;
            }
        };
        for start in due {
            let req = viban_core::StartRun {
                agent: start.agent.clone(),
                prompt: start.prompt.clone(),
                base: None,
                cols: None,
                rows: None,
                runtime: None,
            };
            match self.start_run(start.task_id, req).await {
                Ok(run) => tracing::info!(task = %start.task_id, run = %run.id, "auto-started: its blockers are Done"),
                Err(e) => {
                    tracing::warn!(task = %start.task_id, error = %e, "an auto-start could not start");
                    self.inner.notifier.notify("An auto-start failed", &format!("{}: {e}", start.agent));
                }
            }
        }
    }

    fn spawn_recounter(&self, mut changed: tokio::sync::mpsc::UnboundedReceiver<Touched>) {
        let runs = self.clone();
        let cancel = self.inner.shutdown.clone();
        tokio::spawn(async move {
            loop {
                let first = tokio::select! {
                    r = changed.recv() => match r { Some(r) => r, None => return },
                    () = cancel.cancelled() => return,
                };
                // What came while the last recount ran, merged per worktree: one git run per worktree per round,
                // not one per batch (an agent writing thousands of files would leave the view far behind).
                let mut pending = vec![first];
                while let Ok(t) = changed.try_recv() {
                    pending.push(t);
                }
                let merged = merge_touched(pending);
                // The Changes view hears first (before the recount's git run), so it updates within the second.
                for touched in &merged {
                    runs.publish_files(touched).await;
                    runs.inner.worktrees.invalidate(&touched.root.display().to_string());
                }
                for touched in &merged {
                    runs.recount(&touched.root).await;
                }
            }
        });
    }

    /// Tells `/api/events` subscribers which files of a run's worktree changed.
    async fn publish_files(&self, touched: &Touched) {
        let worktree = touched.root.display().to_string();
        let Ok(Some(run_id)) = self.inner.db.latest_run_in_worktree(&worktree).await else { return };
        let Ok(run) = self.inner.db.get_run(run_id).await else { return };
        let paths = touched.paths.as_ref().map(|ps| ps.iter().map(|p| p.to_string_lossy().into_owned()).collect());
        self.inner.feed.publish(ChangeEvent::RunFiles(RunFiles { run_id, task_id: run.task_id, paths }));
    }

    /// Once a second: each live run's screen tail and idleness to the cards, and the "waiting" notification.
    fn spawn_activity(&self) {
        let runs = self.clone();
        let cancel = self.inner.shutdown.clone();
        tokio::spawn(async move {
            let mut sent: HashMap<Uuid, RunActivity> = HashMap::new();
            let mut notified: HashMap<Uuid, u64> = HashMap::new();
            let mut tick = tokio::time::interval(ACTIVITY_EVERY);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    () = cancel.cancelled() => return,
                }
                let idle_notify = runs.inner.catalog.profiles().map(|p| p.runs.idle_notify_secs()).unwrap_or(60);
                // Shells are the user's own: no card activity, no "waiting" notification.
                let live: Vec<_> =
                    lock(&runs.inner.table).lives().into_iter().filter(|l| !l.shell.load(Ordering::SeqCst)).collect();
                sent.retain(|id, _| live.iter().any(|l| l.id == *id));
                notified.retain(|id, _| live.iter().any(|l| l.id == *id));
                for l in live {
                    // A setup script's quiet spell is not an agent waiting for an answer.
                    let idle = if l.preparing() { Duration::ZERO } else { l.idle() };
                    let activity = RunActivity {
                        run_id: l.id,
                        task_id: l.task_id,
                        project_id: l.project_id,
                        last_lines: l.last_lines(3),
                        output_bytes: l.stored_bytes(),
                        idle_ms: idle.as_millis() as u64,
                        waiting: idle >= WAITING_AFTER,
                    };
                    let previous = sent.get(&l.id);
                    let changed = previous.is_none_or(|p| {
                        p.last_lines != activity.last_lines
                            || p.waiting != activity.waiting
                            || p.output_bytes != activity.output_bytes
                    });
                    if changed {
                        runs.inner.feed.publish(ChangeEvent::RunActivity(activity.clone()));
                    }
                    // One notification per quiet spell: keyed by how much output there was when it began.
                    if idle.as_secs() >= idle_notify && notified.get(&l.id) != Some(&activity.output_bytes) {
                        notified.insert(l.id, activity.output_bytes);
                        let title = runs.inner.db.get_task(l.task_id).await.map(|t| t.title).unwrap_or_default();
                        let question = activity.last_lines.last().cloned().unwrap_or_default();
                        runs.inner.notifier.notify(&format!("An agent may be waiting: {title}"), &question);
                    }
                    sent.insert(l.id, activity);
                }
            }
        });
    }

    /// The `when_done` cleanup policy: follows task changes on the feed; a task in Done or Cancelled gets its
    /// worktrees removed when nothing would be lost (see `worktrees.rs`; the others are kept and logged).
    fn spawn_cleanup(&self) {
        let runs = self.clone();
        let cancel = self.inner.shutdown.clone();
        let mut feed = self.inner.feed.subscribe();
        tokio::spawn(async move {
            loop {
                let event = tokio::select! {
                    e = feed.recv() => e,
                    () = cancel.cancelled() => return,
                };
                let task = match event {
                    Ok(ChangeEvent::Change {
                        table: viban_core::ChangeTable::Task,
                        op: viban_core::ChangeOp::Update,
                        id,
                        ..
                    }) => id,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                    _ => continue,
                };
                let policy =
                    runs.inner.catalog.profiles().ok().and_then(|p| p.runs.worktree_cleanup).unwrap_or_default();
                if policy == crate::profile::WorktreeCleanup::WhenDone {
                    runs.clean_up_task(task).await;
                }
            }
        });
    }

    async fn clean_up_task(&self, task: Uuid) {
        self.clean_task_worktrees(task).await;
    }

    /// Stops every live run (the ladder, in parallel) and waits for them to be recorded. Queued runs stay queued
    /// for the next start.
    pub async fn shutdown(&self) {
        let live = lock(&self.inner.table).stop_started();
        let ladder = self.inner.ladder;
        let stops: Vec<_> = live
            .into_iter()
            .map(|l| {
                let runs = self.clone();
                tokio::spawn(async move { runs.end_processes(&l).await })
            })
            .collect();
        for s in stops {
            let _ = s.await;
        }
        self.inner.tasks.close();
        let deadline = ladder.after_int + ladder.after_term + ladder.after_kill + Duration::from_secs(8);
        if tokio::time::timeout(deadline, self.inner.tasks.wait()).await.is_err() {
            tracing::error!("some runs did not finish recording before shutdown");
        }
    }

    /// Runs with a live process right now (Quit asks before stopping them).
    pub fn live_ids(&self) -> Vec<Uuid> {
        lock(&self.inner.table).lives().iter().map(|l| l.id).collect()
    }
}

/// Batches of changes merged per worktree (in order of first appearance): the union of their paths, or None
/// (anything may have changed) when any batch said so.
fn merge_touched(batches: Vec<Touched>) -> Vec<Touched> {
    let mut merged: Vec<Touched> = Vec::new();
    for t in batches {
        match merged.iter_mut().find(|m| m.root == t.root) {
            None => merged.push(t),
            Some(m) => {
                m.paths = match (m.paths.take(), t.paths) {
                    (Some(mut a), Some(b)) => {
                        a.extend(b);
                        a.sort();
                        a.dedup();
                        Some(a)
                    }
                    _ => None,
                };
            }
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn t(root: &str, paths: Option<&[&str]>) -> Touched {
        Touched { root: PathBuf::from(root), paths: paths.map(|ps| ps.iter().map(PathBuf::from).collect()) }
    }

    #[test]
    fn batches_merge_per_worktree_and_anything_wins() {
        let merged = merge_touched(vec![t("/a", Some(&["x", "y"])), t("/b", Some(&["z"])), t("/a", Some(&["y", "w"]))]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].paths, Some(["w", "x", "y"].map(PathBuf::from).to_vec()));
        assert_eq!(merged[1].root, PathBuf::from("/b"));
        let merged = merge_touched(vec![t("/a", Some(&["x"])), t("/a", None), t("/a", Some(&["y"]))]);
        assert_eq!(merged.len(), 1);
        assert_eq!(merged[0].paths, None);
    }
}
