//! A plain interactive shell in a run's worktree: a run of kind `shell` that goes through the same PTY, transcript,
//! ledger and stop ladder as an agent (so the same terminal, the same `/pty` socket, no zombies, reaped after a
//! crash), but never moves the card, never waits in or takes a slot of the agent queue, and never notifies.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use uuid::Uuid;
use viban_core::{Run, RunKind, StartShell};
use viban_db::NewRun;

use crate::error::RunError;
use crate::runs::Runs;

/// The agent id shell runs carry.
pub const SHELL_AGENT: &str = "shell";

fn executable(p: &Path) -> bool {
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The user's login shell (`$SHELL -l`), else bash, else sh.
pub(crate) fn argv() -> Vec<String> {
    let shell = std::env::var("SHELL")
        .ok()
        .filter(|s| Path::new(s).is_absolute() && executable(Path::new(s)))
        .or_else(|| ["/bin/bash", "/bin/sh"].into_iter().find(|s| executable(Path::new(s))).map(str::to_string))
        .unwrap_or_else(|| "/bin/sh".into());
    vec![shell, "-l".into()]
}

impl Runs {
    /// Starts a login shell in `run_id`'s worktree, at once (outside the agent queue).
    pub async fn start_shell(&self, run_id: Uuid, req: StartShell) -> Result<Run, RunError> {
        let prev = self.inner.db.get_run(run_id).await?;
        if self.inner.db.worktree_removed(run_id).await? || !Path::new(&prev.worktree_path).is_dir() {
            return Err(RunError::WorktreeRemoved);
        }
        let new = NewRun {
            id: Uuid::now_v7(),
            task_id: prev.task_id,
            project_id: prev.project_id,
            agent: SHELL_AGENT.into(),
            kind: RunKind::Shell,
            // The user's shell is always on this machine, whatever the agent ran in.
            runtime: viban_core::RuntimeKind::Local,
            prompt: String::new(),
            follow_up_of: None,
            worktree_path: prev.worktree_path.clone(),
            branch: prev.branch.clone(),
            base_ref: prev.base_ref.clone(),
            base_commit: self.inner.db.run_base_commit(run_id).await?,
            cols: req.cols.unwrap_or(prev.cols.clamp(20, 500) as u16).clamp(20, 500),
            rows: req.rows.unwrap_or(prev.rows.clamp(5, 300) as u16).clamp(5, 300),
            warnings: vec![],
        };
        let run = self.inner.db.insert_run(&new).await?;
        if crate::runs::lock(&self.inner.table).start_unqueued(run.id, run.project_id) {
            let runs = self.clone();
            self.inner.tasks.spawn(async move { runs.drive(run.id).await });
            self.bump_active();
        } else {
            self.finish_unstarted(run.id, viban_core::RunStatus::Stopped, "stopped before it started").await;
        }
        self.get(run.id).await
    }

    /// Stops the shells open in a run's worktree (before it is removed).
    pub(crate) async fn stop_shells_in(&self, run: &Run) {
        let Ok(runs) = self.inner.db.task_runs(run.task_id).await else { return };
        for r in runs {
            if r.kind == RunKind::Shell && r.status.is_active() && r.worktree_path == run.worktree_path {
                self.stop_and_wait(r.id).await;
            }
        }
    }
}
