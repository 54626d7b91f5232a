//! Deleting a task or project deletes its runs (and their transcripts) with it: first every run it owns is stopped
//! and its end recorded, so no agent keeps running unseen (its run would answer 404 and its output could no longer
//! be stored) and no stop is left for shutdown to do.

use uuid::Uuid;

use crate::error::RunError;
use crate::runs::{Runs, lock};

/// What is about to be deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Task(Uuid),
    Project(Uuid),
}

impl Owner {
    fn owns(self, task: Uuid, project: Uuid) -> bool {
        match self {
            Self::Task(t) => t == task,
            Self::Project(p) => p == project,
        }
    }
}

impl Runs {
    /// Stops every active run of `owner` at once (queued ones are dropped, started ones get the stop ladder) and
    /// waits until each end is recorded, each within the ladder's time plus a margin. Returns how many there were;
    /// an error when some did not end (then nothing should be deleted: the caller can try again).
    pub async fn stop_owned(&self, owner: Owner) -> Result<usize, RunError> {
        let mut ids: Vec<Uuid> = self
            .inner
            .db
            .active_runs()
            .await?
            .into_iter()
            .filter(|r| owner.owns(r.task_id, r.project_id))
            .map(|r| r.id)
            .collect();
        // A run whose row is already gone (deleted under it) is still stopped if its process lives.
        for live in lock(&self.inner.table).lives() {
            if owner.owns(live.task_id, live.project_id) && !ids.contains(&live.id) {
                ids.push(live.id);
            }
        }
        let stops: Vec<_> = ids
            .iter()
            .map(|&id| {
                let runs = self.clone();
                tokio::spawn(async move { runs.stop_and_wait(id).await })
            })
            .collect();
        let mut left = 0;
        for stop in stops {
            if !stop.await.unwrap_or(false) {
                left += 1;
            }
        }
        if left > 0 {
            tracing::error!(?owner, left, "runs did not end after their stop; not deleting");
            return Err(RunError::StopTimedOut(format!(
                "{left} of its agents did not stop in time, so nothing was deleted; try again in a moment"
            )));
        }
        if !ids.is_empty() {
            tracing::info!(?owner, runs = ids.len(), "stopped the runs of what is being deleted");
        }
        Ok(ids.len())
    }
}
