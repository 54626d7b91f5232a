//! The stored half of the inbox: finished runs waiting for review, failed runs and failed automations not yet
//! dismissed. (Agents waiting for input are live state: the agents crate adds them.)

use chrono::{DateTime, Utc};
use sqlx::Row;
use uuid::Uuid;
use viban_core::{InboxItem, InboxKind};

use crate::{Db, DbError};

/// How many of each kind the inbox lists at most (oldest first).
const LIMIT: i64 = 200;

/// The latest agent run of each task that is not Done or Cancelled, with its project.
const LATEST_AGENT_RUNS: &str = "SELECT t.id AS task_id, t.title, t.status AS task_status, t.project_id, \
         p.name AS project_name, r.id AS run_id, r.agent, r.status, r.error, r.exit_code, r.dismissed_at, \
         coalesce(r.finished_at, r.created_at) AS since \
     FROM tasks t JOIN projects p ON p.id = t.project_id \
     JOIN LATERAL (SELECT * FROM runs r WHERE r.task_id = t.id AND r.kind = 'agent' \
                   ORDER BY r.created_at DESC LIMIT 1) r ON true \
     WHERE t.status IN ('todo', 'in_progress', 'in_review')";

fn item(r: &sqlx::postgres::PgRow, kind: InboxKind, text: String) -> Result<InboxItem, DbError> {
    let agent: Option<String> = r.try_get("agent").ok();
    Ok(InboxItem {
        kind,
        project_id: r.try_get("project_id").map_err(DbError::from_sqlx)?,
        project_name: r.try_get("project_name").map_err(DbError::from_sqlx)?,
        task_id: r.try_get("task_id").map_err(DbError::from_sqlx)?,
        task_title: r.try_get("title").map_err(DbError::from_sqlx)?,
        run_id: r.try_get("run_id").ok(),
        firing_id: r.try_get("firing_id").ok(),
        agent_name: agent.clone(),
        agent,
        text,
        since: r.try_get::<DateTime<Utc>, _>("since").map_err(DbError::from_sqlx)?,
    })
}

impl Db {
    /// Runs finished and waiting for review, failed runs and failed automations (oldest first within each).
    pub async fn stored_inbox(&self) -> Result<Vec<InboxItem>, DbError> {
        let mut items = Vec::new();
        let q = format!(
            "SELECT * FROM ({LATEST_AGENT_RUNS}) x \
             WHERE (x.task_status = 'in_review' AND x.status = 'succeeded') \
                OR (x.status IN ('failed', 'interrupted') AND x.dismissed_at IS NULL) \
             ORDER BY x.since LIMIT {LIMIT}"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(q)).fetch_all(self.pool()).await.map_err(DbError::from_sqlx)?;
        for r in &rows {
            let status: String = r.try_get("status").map_err(DbError::from_sqlx)?;
            if status == "succeeded" {
                items.push(item(r, InboxKind::Review, "finished: ready for review".into())?);
                continue;
            }
            let error: Option<String> = r.try_get("error").map_err(DbError::from_sqlx)?;
            let code: Option<i32> = r.try_get("exit_code").map_err(DbError::from_sqlx)?;
            let text = error.unwrap_or_else(|| match code {
                Some(c) => format!("{status} with exit code {c}"),
                None => status.clone(),
            });
            items.push(item(r, InboxKind::Failed, text)?);
        }
        let rows = sqlx::query(
            "SELECT f.id AS firing_id, f.run_id, f.task_id, t.title, f.project_id, p.name AS project_name, \
                 f.error, f.status AS col, coalesce(f.ended_at, f.entered_at) AS since \
             FROM automation_firings f JOIN tasks t ON t.id = f.task_id JOIN projects p ON p.id = f.project_id \
             WHERE f.state = 'failed' AND f.dismissed_at IS NULL ORDER BY f.entered_at LIMIT $1",
        )
        .bind(LIMIT)
        .fetch_all(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        for r in &rows {
            let error: Option<String> = r.try_get("error").map_err(DbError::from_sqlx)?;
            let col: String = r.try_get("col").map_err(DbError::from_sqlx)?;
            let text = format!("automation on {}: {}", col.replace('_', " "), error.unwrap_or_else(|| "failed".into()));
            items.push(item(r, InboxKind::AutomationFailed, text)?);
        }
        Ok(items)
    }

    /// The user has seen this failure.
    pub async fn dismiss_run(&self, run: Uuid) -> Result<(), DbError> {
        let done = sqlx::query("UPDATE runs SET dismissed_at = now() WHERE id = $1")
            .bind(run)
            .execute(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound("run"));
        }
        Ok(())
    }

    pub async fn dismiss_firing(&self, firing: Uuid) -> Result<(), DbError> {
        let done = sqlx::query("UPDATE automation_firings SET dismissed_at = now() WHERE id = $1")
            .bind(firing)
            .execute(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound("automation entry"));
        }
        Ok(())
    }
}
