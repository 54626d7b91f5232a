//! Column automation: entries of cards into automated columns (written by the database in the transaction that
//! moved the card) are claimed oldest first, within each column's WIP limit, and started: a script in the task's
//! worktree (a run of kind `script`, through the same PTY, transcript and stop ladder as an agent, bounded by a
//! timeout), or an agent run with the automation's prompt.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::future::BoxFuture;
use uuid::Uuid;
use viban_core::{AutomationAction, Run, RunKind, RunStatus, StartRun, Task};
use viban_db::{ClaimedFiring, NewRun};

use crate::error::RunError;
use crate::runs::{Runs, lock};

/// The agent id script runs carry.
pub const SCRIPT_AGENT: &str = "automation";

/// The automation's prompt with `{title}`, `{description}` and `{branch}` filled in (one pass: a title that
/// holds `{branch}` stays as it is).
pub fn render_prompt(template: &str, task: &Task, branch: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        let (value, len) = if tail.starts_with("{title}") {
            (Some(task.title.as_str()), "{title}".len())
        } else if tail.starts_with("{description}") {
            (Some(task.description.as_str()), "{description}".len())
        } else if tail.starts_with("{branch}") {
            (Some(branch), "{branch}".len())
        } else {
            (None, 1)
        };
        out.push_str(value.unwrap_or("{"));
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

/// Why an agent automation's entry starts nothing: its own agent's end brought the card back (it would loop), or an
/// agent already works on the task (the user's start moved the card here). Scripts always run.
fn agent_not_needed(f: &ClaimedFiring) -> Option<&'static str> {
    if f.action != AutomationAction::Agent {
        return None;
    }
    if f.own_run_ended {
        return Some("skipped: the card came back when this automation's own run ended");
    }
    f.agent_active.then_some("skipped: an agent already runs on this task")
}

impl Runs {
    /// Starts the automated entries that are due (in one project, or all), each once. Boxed: a script's run ends
    /// by calling this again, and the compiler cannot size that cycle of futures otherwise.
    pub fn pump_automations(&self, project: Option<Uuid>) -> BoxFuture<'static, ()> {
        let runs = self.clone();
        Box::pin(async move { runs.claim_and_start(project).await })
    }

    async fn claim_and_start(&self, project: Option<Uuid>) {
        loop {
            if self.inner.shutdown.is_cancelled() {
                return;
            }
            let claimed = match self.inner.db.claim_firing(project).await {
                Ok(Some(c)) => c,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "could not look for column automations to start");
                    return;
                }
            };
            if let Some(why) = agent_not_needed(&claimed) {
                if let Err(e) = self.inner.db.firing_skipped(claimed.id, why).await {
                    tracing::warn!(error = %e, "recording a skipped automation failed");
                }
                continue;
            }
            let started = match claimed.action {
                AutomationAction::Script => self.start_script(&claimed).await,
                AutomationAction::Agent => self.start_automated_agent(&claimed).await,
            };
            match started {
                Ok(run) => {
                    if let Err(e) = self.inner.db.firing_started(claimed.id, run.id).await {
                        tracing::warn!(error = %e, "recording an automation's run failed");
                    }
                    // It may have ended before its id was recorded.
                    let _ = self.inner.db.end_firing_of_run(run.id).await;
                }
                Err(e) => {
                    let why = e.to_string();
                    tracing::warn!(task = %claimed.task_id, error = %why, "a column automation could not start");
                    if let Err(e) = self.inner.db.firing_failed(claimed.id, &why).await {
                        tracing::warn!(error = %e, "recording an automation's failure failed");
                    }
                    let title = self.inner.db.get_task(claimed.task_id).await.map(|t| t.title).unwrap_or_default();
                    self.inner.notifier.notify("An automation failed", &format!("{title}: {why}"));
                }
            }
        }
    }

    /// After a run's end: its automation entry gets the outcome, and its column may start the next one.
    pub(crate) async fn automation_run_ended(&self, run: &Run) {
        match self.inner.db.end_firing_of_run(run.id).await {
            Ok(Some(project)) => {
                if run.kind == RunKind::Script && run.status != RunStatus::Succeeded {
                    let title = self.inner.db.get_task(run.task_id).await.map(|t| t.title).unwrap_or_default();
                    let why = run.error.clone().unwrap_or_else(|| run.status.as_str().into());
                    self.inner.notifier.notify("An automation script failed", &format!("{title}: {why}"));
                }
                let runs = self.clone();
                tokio::spawn(async move { runs.pump_automations(Some(project)).await });
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(run = %run.id, error = %e, "recording an automation's outcome failed"),
        }
    }

    /// The newest run of the task whose worktree is still there.
    async fn task_worktree(&self, task: Uuid) -> Result<Run, RunError> {
        for run in self.inner.db.task_runs(task).await? {
            if !self.inner.db.worktree_removed(run.id).await? && Path::new(&run.worktree_path).is_dir() {
                return Ok(run);
            }
        }
        Err(RunError::NoWorktree)
    }

    async fn start_script(&self, f: &ClaimedFiring) -> Result<Run, RunError> {
        let prev = self.task_worktree(f.task_id).await?;
        let new = NewRun {
            id: Uuid::now_v7(),
            task_id: f.task_id,
            project_id: f.project_id,
            agent: SCRIPT_AGENT.into(),
            kind: RunKind::Script,
            runtime: viban_core::RuntimeKind::Local,
            prompt: f.script.clone(),
            follow_up_of: None,
            worktree_path: prev.worktree_path.clone(),
            branch: prev.branch.clone(),
            base_ref: prev.base_ref.clone(),
            base_commit: self.inner.db.run_base_commit(prev.id).await?,
            cols: prev.cols.clamp(20, 500) as u16,
            rows: prev.rows.clamp(5, 300) as u16,
            warnings: vec![],
        };
        let run = self.inner.db.insert_run(&new).await?;
        // The column's WIP limit is its queue: a script starts at once, outside the agents' queue.
        if lock(&self.inner.table).start_unqueued(run.id, run.project_id) {
            let runs = self.clone();
            self.inner.tasks.spawn(async move { runs.drive(run.id).await });
            self.bump_active();
            self.bound_script(run.id, f.timeout_secs);
        } else {
            self.finish_unstarted(run.id, RunStatus::Stopped, "stopped before it started").await;
        }
        self.get(run.id).await
    }

    /// Stops a script still running after `secs` (the stop ladder); it then fails as timed out.
    fn bound_script(&self, id: Uuid, secs: u32) {
        let runs = self.clone();
        self.inner.tasks.spawn(async move {
            tokio::select! {
                () = tokio::time::sleep(Duration::from_secs(u64::from(secs))) => {}
                () = runs.inner.shutdown.cancelled() => return,
            }
            let Some(live) = runs.live(id) else { return };
            live.timed_out_after.store(secs, Ordering::SeqCst);
            tracing::warn!(run = %id, secs, "an automation script ran past its timeout; stopping it");
            runs.stop_and_wait(id).await;
        });
    }

    async fn start_automated_agent(&self, f: &ClaimedFiring) -> Result<Run, RunError> {
        let task = self.inner.db.get_task(f.task_id).await?;
        let branch = self.inner.db.task_runs(f.task_id).await?.first().map(|r| r.branch.clone()).unwrap_or_default();
        let prompt = render_prompt(&f.prompt, &task, &branch);
        let req = StartRun { agent: f.agent.clone(), prompt, base: None, cols: None, rows: None, runtime: None };
        self.start_run(f.task_id, req).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(title: &str, description: &str) -> Task {
        Task {
            id: Uuid::nil(),
            project_id: Uuid::nil(),
            title: title.into(),
            description: description.into(),
            status: viban_core::TaskStatus::Todo,
            position: String::new(),
            parent_id: None,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn the_prompt_template_fills_each_placeholder_once() {
        let t = task("Fix {branch} parsing", "Body {title}");
        let out = render_prompt("Do {title} on {branch}: {description} {unknown} {", &t, "viban/x-1");
        assert_eq!(out, "Do Fix {branch} parsing on viban/x-1: Body {title} {unknown} {");
    }
}
