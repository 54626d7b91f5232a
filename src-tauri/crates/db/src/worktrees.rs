//! The worktrees viban made: the distinct `worktree_path` of the runs, with their task and project.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use viban_core::TaskStatus;

use crate::{Db, DbError};

/// One worktree as the runs record it.
#[derive(Debug, Clone)]
pub struct StoredWorktree {
    pub path: String,
    pub project_id: Uuid,
    pub project_name: String,
    pub repo_path: String,
    pub task_id: Uuid,
    pub task_title: String,
    pub task_status: TaskStatus,
    /// Of the newest run.
    pub branch: String,
    pub base_ref: String,
    /// Oldest first.
    pub run_ids: Vec<Uuid>,
    pub active: bool,
    pub removed: bool,
    pub last_finished: Option<DateTime<Utc>>,
    pub last_created: DateTime<Utc>,
}

type Row = (
    String,
    Uuid,
    String,
    String,
    Uuid,
    String,
    String,
    String,
    String,
    Vec<Uuid>,
    bool,
    bool,
    Option<DateTime<Utc>>,
    DateTime<Utc>,
);

impl Db {
    /// Every worktree path any run used, by project name then path.
    pub async fn worktrees(&self) -> Result<Vec<StoredWorktree>, DbError> {
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT r.worktree_path, r.project_id, p.name, p.repo_path, r.task_id, t.title, t.status, \
               (array_agg(r.branch ORDER BY r.created_at DESC))[1], \
               (array_agg(r.base_ref ORDER BY r.created_at DESC))[1], \
               array_agg(r.id ORDER BY r.created_at, r.id), \
               bool_or(r.status IN ('queued', 'starting', 'running')), \
               bool_or(r.worktree_removed), max(r.finished_at), max(r.created_at) \
             FROM runs r JOIN tasks t ON t.id = r.task_id JOIN projects p ON p.id = r.project_id \
             GROUP BY r.worktree_path, r.project_id, p.name, p.repo_path, r.task_id, t.title, t.status \
             ORDER BY p.name, r.worktree_path",
        )
        .fetch_all(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        rows.into_iter()
            .map(|r| {
                let task_status = TaskStatus::parse(&r.6)
                    .ok_or_else(|| DbError::Invalid(format!("task {} has an unknown status {:?}", r.4, r.6)))?;
                Ok(StoredWorktree {
                    path: r.0,
                    project_id: r.1,
                    project_name: r.2,
                    repo_path: r.3,
                    task_id: r.4,
                    task_title: r.5,
                    task_status,
                    branch: r.7,
                    base_ref: r.8,
                    run_ids: r.9,
                    active: r.10,
                    removed: r.11,
                    last_finished: r.12,
                    last_created: r.13,
                })
            })
            .collect()
    }
}
