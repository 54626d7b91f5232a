//! Pull requests opened for run branches, and their last known state.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use viban_core::PullRequest;

use crate::{Db, DbError};

/// A stored pull request with what polling needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredPr {
    pub project_id: Uuid,
    pub branch: String,
    pub task_id: Uuid,
    pub provider: String,
    pub url: String,
    pub number: i64,
    pub state: String,
    pub checks: Option<String>,
    pub checked_at: DateTime<Utc>,
}

impl StoredPr {
    pub fn to_api(&self) -> PullRequest {
        PullRequest {
            provider: self.provider.clone(),
            url: self.url.clone(),
            number: self.number,
            state: self.state.clone(),
            checks: self.checks.clone(),
        }
    }
}

macro_rules! select {
    ($rest:literal) => {
        concat!(
            "SELECT project_id, branch, task_id, provider, url, number, state, checks, checked_at FROM pull_requests ",
            $rest
        )
    };
}

impl Db {
    /// Records (or refreshes) the PR of a branch.
    pub async fn save_pr(
        &self,
        project_id: Uuid,
        branch: &str,
        task_id: Uuid,
        pr: &PullRequest,
    ) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO pull_requests (project_id, branch, task_id, provider, url, number, state, checks) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (project_id, branch) DO UPDATE SET provider = $4, url = $5, number = $6, state = $7, \
             checks = $8, checked_at = now()",
        )
        .bind(project_id)
        .bind(branch)
        .bind(task_id)
        .bind(&pr.provider)
        .bind(&pr.url)
        .bind(pr.number)
        .bind(&pr.state)
        .bind(&pr.checks)
        .execute(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        Ok(())
    }

    pub async fn get_pr(&self, project_id: Uuid, branch: &str) -> Result<Option<StoredPr>, DbError> {
        sqlx::query_as(select!("WHERE project_id = $1 AND branch = $2"))
            .bind(project_id)
            .bind(branch)
            .fetch_optional(self.pool())
            .await
            .map_err(DbError::from_sqlx)
    }

    /// Open PRs, least recently checked first.
    pub async fn open_prs(&self) -> Result<Vec<StoredPr>, DbError> {
        sqlx::query_as(select!("WHERE state = 'open' ORDER BY checked_at"))
            .fetch_all(self.pool())
            .await
            .map_err(DbError::from_sqlx)
    }
}
