//! Column automations and their firings (migration 0014). A trigger on `tasks` writes a firing in the same
//! transaction that moves a card into an automated column; firings are claimed oldest first under one advisory
//! lock, which is what makes a WIP limit hold under a burst of moves from several places.

use sqlx::Row;
use sqlx::postgres::PgRow;
use uuid::Uuid;
use viban_core::{Automation, AutomationAction, Firing, FiringState, PutAutomation, TaskStatus};

use crate::{Db, DbError};

/// Serialises claims (any key of viban's own; the value is arbitrary but fixed).
const CLAIM_LOCK: i64 = 0x7669_6261_6e61_7574;
const DEFAULT_TIMEOUT_SECS: u32 = 600;

/// A firing claimed to start now, with what its automation says to do.
#[derive(Debug, Clone)]
pub struct ClaimedFiring {
    pub id: Uuid,
    pub project_id: Uuid,
    pub task_id: Uuid,
    pub column: TaskStatus,
    pub action: AutomationAction,
    pub script: String,
    pub agent: String,
    pub prompt: String,
    pub timeout_secs: u32,
    /// The card came back to the column when the run this column's automation started ended.
    pub own_run_ended: bool,
    /// An agent run of the task is queued or running (e.g. the user's start moved the card here).
    pub agent_active: bool,
}

fn get<'r, T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>>(
    r: &'r PgRow,
    col: &str,
) -> Result<T, DbError> {
    r.try_get(col).map_err(DbError::from_sqlx)
}

fn column(r: &PgRow) -> Result<TaskStatus, DbError> {
    let s: String = get(r, "status")?;
    TaskStatus::parse(&s).ok_or_else(|| DbError::Invalid(format!("unknown column {s:?}")))
}

fn action(r: &PgRow) -> Result<AutomationAction, DbError> {
    let s: String = get(r, "action")?;
    AutomationAction::parse(&s).ok_or_else(|| DbError::Invalid(format!("unknown automation action {s:?}")))
}

fn automation(r: &PgRow) -> Result<Automation, DbError> {
    Ok(Automation {
        project_id: get(r, "project_id")?,
        column: column(r)?,
        action: action(r)?,
        script: get(r, "script")?,
        agent: get(r, "agent")?,
        prompt: get(r, "prompt")?,
        timeout_secs: get::<i32>(r, "timeout_secs")?.max(1) as u32,
        wip_limit: get::<Option<i32>>(r, "wip_limit")?.map(|n| n.max(1) as u32),
        paused: get(r, "paused")?,
        pending: get::<i64>(r, "pending")?.max(0) as u32,
        running: get::<i64>(r, "running")?.max(0) as u32,
    })
}

fn firing(r: &PgRow) -> Result<Firing, DbError> {
    let state: String = get(r, "state")?;
    Ok(Firing {
        id: get(r, "id")?,
        project_id: get(r, "project_id")?,
        task_id: get(r, "task_id")?,
        column: column(r)?,
        action: action(r)?,
        state: FiringState::parse(&state).unwrap_or(FiringState::Failed),
        run_id: get(r, "run_id")?,
        error: get(r, "error")?,
        entered_at: get(r, "entered_at")?,
        ended_at: get(r, "ended_at")?,
    })
}

const AUTOMATION_SELECT: &str = "SELECT a.*, \
     (SELECT count(*) FROM automation_firings f WHERE f.project_id = a.project_id AND f.status = a.status \
        AND f.state = 'pending') AS pending, \
     (SELECT count(*) FROM automation_firings f WHERE f.project_id = a.project_id AND f.status = a.status \
        AND f.state = 'running') AS running \
     FROM column_automations a";

/// What a PUT may hold: an action with what it needs, in bounds.
fn validate(put: &PutAutomation) -> Result<(), DbError> {
    let script = put.script.as_deref().unwrap_or("").trim();
    let agent = put.agent.as_deref().unwrap_or("").trim();
    match put.action {
        AutomationAction::Script if script.is_empty() => {
            return Err(DbError::Invalid("a script automation needs a script".into()));
        }
        AutomationAction::Agent if agent.is_empty() => {
            return Err(DbError::Invalid("an agent automation needs an agent".into()));
        }
        _ => {}
    }
    if put.script.as_deref().unwrap_or("").len() > 100_000 || put.prompt.as_deref().unwrap_or("").len() > 100_000 {
        return Err(DbError::Invalid("the script and the prompt are limited to 100,000 characters".into()));
    }
    if put.timeout_secs.is_some_and(|t| !(1..=86_400).contains(&t)) {
        return Err(DbError::Invalid("timeout_secs must be between 1 and 86400".into()));
    }
    if put.wip_limit.is_some_and(|w| !(1..=100).contains(&w)) {
        return Err(DbError::Invalid("wip_limit must be between 1 and 100".into()));
    }
    Ok(())
}

impl Db {
    pub async fn list_automations(&self, project: Uuid) -> Result<Vec<Automation>, DbError> {
        self.get_project(project).await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!("{AUTOMATION_SELECT} WHERE a.project_id = $1")))
            .bind(project)
            .fetch_all(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        let mut list = rows.iter().map(automation).collect::<Result<Vec<_>, _>>()?;
        list.sort_by_key(|a| TaskStatus::ALL.iter().position(|s| *s == a.column));
        Ok(list)
    }

    pub async fn get_automation(&self, project: Uuid, col: TaskStatus) -> Result<Automation, DbError> {
        let row =
            sqlx::query(sqlx::AssertSqlSafe(format!("{AUTOMATION_SELECT} WHERE a.project_id = $1 AND a.status = $2")))
                .bind(project)
                .bind(col.as_str())
                .fetch_optional(self.pool())
                .await
                .map_err(DbError::from_sqlx)?
                .ok_or(DbError::NotFound("automation"))?;
        automation(&row)
    }

    /// Sets (or replaces) a column's automation.
    pub async fn put_automation(
        &self,
        project: Uuid,
        col: TaskStatus,
        put: &PutAutomation,
    ) -> Result<Automation, DbError> {
        validate(put)?;
        self.get_project(project).await?;
        sqlx::query(
            "INSERT INTO column_automations \
                 (project_id, status, action, script, agent, prompt, timeout_secs, wip_limit, paused) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             ON CONFLICT (project_id, status) DO UPDATE SET action = $3, script = $4, agent = $5, prompt = $6, \
                 timeout_secs = $7, wip_limit = $8, paused = $9",
        )
        .bind(project)
        .bind(col.as_str())
        .bind(put.action.as_str())
        .bind(put.script.as_deref().unwrap_or("").trim())
        .bind(put.agent.as_deref().unwrap_or("").trim())
        .bind(put.prompt.as_deref().unwrap_or(""))
        .bind(put.timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS) as i32)
        .bind(put.wip_limit.map(|w| w as i32))
        .bind(put.paused.unwrap_or(false))
        .execute(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        self.get_automation(project, col).await
    }

    /// Removes a column's automation and the entries still waiting for it (running ones finish).
    pub async fn delete_automation(&self, project: Uuid, col: TaskStatus) -> Result<(), DbError> {
        let mut tx = self.pool().begin().await.map_err(DbError::from_sqlx)?;
        let gone = sqlx::query("DELETE FROM column_automations WHERE project_id = $1 AND status = $2")
            .bind(project)
            .bind(col.as_str())
            .execute(&mut *tx)
            .await
            .map_err(DbError::from_sqlx)?;
        if gone.rows_affected() == 0 {
            return Err(DbError::NotFound("automation"));
        }
        sqlx::query("DELETE FROM automation_firings WHERE project_id = $1 AND status = $2 AND state = 'pending'")
            .bind(project)
            .bind(col.as_str())
            .execute(&mut *tx)
            .await
            .map_err(DbError::from_sqlx)?;
        tx.commit().await.map_err(DbError::from_sqlx)
    }

    /// Claims the oldest waiting entry whose column is not paused and under its WIP limit (in one project, or
    /// any); it is `running` from here, so nothing else claims it.
    pub async fn claim_firing(&self, project: Option<Uuid>) -> Result<Option<ClaimedFiring>, DbError> {
        let mut tx = self.pool().begin().await.map_err(DbError::from_sqlx)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(CLAIM_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(DbError::from_sqlx)?;
        let row = sqlx::query(
            "UPDATE automation_firings f SET state = 'running' FROM column_automations a \
             WHERE f.id = ( \
                 SELECT p.id FROM automation_firings p \
                 JOIN column_automations c ON c.project_id = p.project_id AND c.status = p.status \
                 WHERE p.state = 'pending' AND NOT c.paused AND ($1::uuid IS NULL OR p.project_id = $1) \
                   AND (c.wip_limit IS NULL OR (SELECT count(*) FROM automation_firings r \
                        WHERE r.project_id = p.project_id AND r.status = p.status AND r.state = 'running') \
                        < c.wip_limit) \
                 ORDER BY p.entered_at LIMIT 1) \
               AND a.project_id = f.project_id AND a.status = f.status \
             RETURNING f.id, f.project_id, f.task_id, f.status, a.action, a.script, a.agent, a.prompt, \
                 a.timeout_secs, \
                 EXISTS (SELECT 1 FROM automation_firings o WHERE o.run_id = f.cause_run AND o.status = f.status) \
                     AS own_run_ended, \
                 EXISTS (SELECT 1 FROM runs r WHERE r.task_id = f.task_id AND r.kind = 'agent' \
                     AND r.status IN ('queued', 'starting', 'running')) AS agent_active",
        )
        .bind(project)
        .fetch_optional(&mut *tx)
        .await
        .map_err(DbError::from_sqlx)?;
        tx.commit().await.map_err(DbError::from_sqlx)?;
        let Some(r) = row else { return Ok(None) };
        Ok(Some(ClaimedFiring {
            id: get(&r, "id")?,
            project_id: get(&r, "project_id")?,
            task_id: get(&r, "task_id")?,
            column: column(&r)?,
            action: action(&r)?,
            script: get(&r, "script")?,
            agent: get(&r, "agent")?,
            prompt: get(&r, "prompt")?,
            timeout_secs: get::<i32>(&r, "timeout_secs")?.max(1) as u32,
            own_run_ended: get(&r, "own_run_ended")?,
            agent_active: get(&r, "agent_active")?,
        }))
    }

    pub async fn firing_started(&self, firing: Uuid, run: Uuid) -> Result<(), DbError> {
        sqlx::query("UPDATE automation_firings SET run_id = $2 WHERE id = $1")
            .bind(firing)
            .bind(run)
            .execute(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        Ok(())
    }

    /// An entry that could not start (the words say why).
    pub async fn firing_failed(&self, firing: Uuid, error: &str) -> Result<(), DbError> {
        self.end_firing(firing, "failed", error).await
    }

    /// An entry with nothing to do (the words say why: it stays visible in the task's automations).
    pub async fn firing_skipped(&self, firing: Uuid, why: &str) -> Result<(), DbError> {
        self.end_firing(firing, "done", why).await
    }

    async fn end_firing(&self, firing: Uuid, state: &str, note: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE automation_firings SET state = $2, error = $3, ended_at = now() WHERE id = $1")
            .bind(firing)
            .bind(state)
            .bind(note)
            .execute(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        Ok(())
    }

    /// The run of a running entry ended: done if it succeeded, else failed with its error. Returns the project
    /// when an entry ended (its column may have a free slot now).
    pub async fn end_firing_of_run(&self, run: Uuid) -> Result<Option<Uuid>, DbError> {
        let row = sqlx::query(
            "UPDATE automation_firings f SET \
                 state = CASE WHEN r.status = 'succeeded' THEN 'done' ELSE 'failed' END, \
                 error = CASE WHEN r.status = 'succeeded' THEN NULL \
                     ELSE coalesce(r.error, 'the run ' || r.status || coalesce(' with exit code ' || r.exit_code, '')) END, \
                 ended_at = now() \
             FROM runs r WHERE f.run_id = $1 AND r.id = f.run_id AND f.state = 'running' \
               AND r.status IN ('succeeded', 'failed', 'stopped', 'interrupted') \
             RETURNING f.project_id",
        )
        .bind(run)
        .fetch_optional(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        row.map(|r| get(&r, "project_id")).transpose()
    }

    /// At start: entries whose run ended while viban was down get their outcome; entries claimed by a process
    /// that died before it could start their run fail (starting them now could run them twice).
    pub async fn reconcile_firings(&self) -> Result<(), DbError> {
        let ended: Vec<Uuid> = sqlx::query_scalar(
            "SELECT f.run_id FROM automation_firings f JOIN runs r ON r.id = f.run_id \
             WHERE f.state = 'running' AND r.status IN ('succeeded', 'failed', 'stopped', 'interrupted')",
        )
        .fetch_all(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        for run in ended {
            self.end_firing_of_run(run).await?;
        }
        sqlx::query(
            "UPDATE automation_firings SET state = 'failed', ended_at = now(), \
                 error = 'viban stopped before it could start this automation' \
             WHERE state = 'running' AND run_id IS NULL",
        )
        .execute(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        Ok(())
    }

    /// A task's automation entries, newest first.
    pub async fn task_firings(&self, task: Uuid) -> Result<Vec<Firing>, DbError> {
        let rows =
            sqlx::query("SELECT * FROM automation_firings WHERE task_id = $1 ORDER BY entered_at DESC LIMIT 200")
                .bind(task)
                .fetch_all(self.pool())
                .await
                .map_err(DbError::from_sqlx)?;
        rows.iter().map(firing).collect()
    }
}
