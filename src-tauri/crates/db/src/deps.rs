//! Task dependencies and auto-starts (migration 0012). A cycle is refused under one advisory lock, so two edits
//! cannot close a loop between them; an auto-start is claimed by an `UPDATE … WHERE fired_at IS NULL`, so it
//! fires once however many watchers see the last blocker go Done.

use sqlx::Row;
use uuid::Uuid;
use viban_core::{AutoStart, TaskDependencies, TaskLink, TaskStatus};

use crate::{Db, DbError};

/// Serialises dependency edits (any key of viban's own; the value is arbitrary but fixed).
const EDIT_LOCK: i64 = 0x7669_6261_6e64_6570;

/// Which tasks of a link to list: what a task waits for, or what waits for it.
#[derive(Clone, Copy)]
enum Side {
    Blockers,
    Dependents,
}

/// An auto-start that became due: the task and what to start on it.
#[derive(Debug, Clone)]
pub struct DueStart {
    pub task_id: Uuid,
    pub agent: String,
    pub prompt: String,
}

fn links(rows: Vec<sqlx::postgres::PgRow>) -> Result<Vec<TaskLink>, DbError> {
    rows.into_iter()
        .map(|r| {
            let status: String = r.try_get("status").map_err(DbError::from_sqlx)?;
            Ok(TaskLink {
                id: r.try_get("id").map_err(DbError::from_sqlx)?,
                title: r.try_get("title").map_err(DbError::from_sqlx)?,
                status: TaskStatus::parse(&status).unwrap_or(TaskStatus::Todo),
            })
        })
        .collect()
}

impl Db {
    /// `task` waits for `blocker` (same project; no cycle). Adding it twice is harmless.
    pub async fn add_dependency(&self, task: Uuid, blocker: Uuid) -> Result<(), DbError> {
        if task == blocker {
            return Err(DbError::Invalid("a task cannot wait for itself".into()));
        }
        let (a, b) = (self.get_task(task).await?, self.get_task(blocker).await?);
        if a.project_id != b.project_id {
            return Err(DbError::Invalid("a task can only wait for a task of its own project".into()));
        }
        let mut tx = self.pool().begin().await.map_err(DbError::from_sqlx)?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(EDIT_LOCK)
            .execute(&mut *tx)
            .await
            .map_err(DbError::from_sqlx)?;
        // Does the blocker (transitively) wait for the task already?
        let cycle: bool = sqlx::query_scalar(
            "WITH RECURSIVE up(id) AS ( \
                 SELECT blocker_id FROM task_dependencies WHERE task_id = $1 \
                 UNION SELECT d.blocker_id FROM task_dependencies d JOIN up ON d.task_id = up.id) \
             SELECT EXISTS (SELECT 1 FROM up WHERE id = $2)",
        )
        .bind(blocker)
        .bind(task)
        .fetch_one(&mut *tx)
        .await
        .map_err(DbError::from_sqlx)?;
        if cycle {
            return Err(DbError::Conflict(format!(
                "#{} already waits (directly or through others) for #{}: that would be a cycle",
                &blocker.simple().to_string()[24..],
                &task.simple().to_string()[24..]
            )));
        }
        sqlx::query("INSERT INTO task_dependencies (task_id, blocker_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(task)
            .bind(blocker)
            .execute(&mut *tx)
            .await
            .map_err(DbError::from_sqlx)?;
        tx.commit().await.map_err(DbError::from_sqlx)
    }

    pub async fn remove_dependency(&self, task: Uuid, blocker: Uuid) -> Result<(), DbError> {
        let done = sqlx::query("DELETE FROM task_dependencies WHERE task_id = $1 AND blocker_id = $2")
            .bind(task)
            .bind(blocker)
            .execute(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        if done.rows_affected() == 0 { Err(DbError::NotFound("dependency")) } else { Ok(()) }
    }

    pub async fn dependencies(&self, task: Uuid) -> Result<TaskDependencies, DbError> {
        self.get_task(task).await?;
        let blockers = self.linked(task, Side::Blockers, false).await?;
        let dependents = self.linked(task, Side::Dependents, false).await?;
        let auto = sqlx::query("SELECT agent, prompt, fired_at FROM task_auto_starts WHERE task_id = $1")
            .bind(task)
            .fetch_optional(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        let auto_start = auto
            .map(|r| {
                Ok::<_, DbError>(AutoStart {
                    agent: r.try_get("agent").map_err(DbError::from_sqlx)?,
                    prompt: r.try_get("prompt").map_err(DbError::from_sqlx)?,
                    fired_at: r.try_get("fired_at").map_err(DbError::from_sqlx)?,
                })
            })
            .transpose()?;
        Ok(TaskDependencies {
            blocked: blockers.iter().any(|b| b.status != TaskStatus::Done),
            blockers,
            dependents,
            auto_start,
        })
    }

    /// The blockers of `task` that are not Done yet.
    pub async fn open_blockers(&self, task: Uuid) -> Result<Vec<TaskLink>, DbError> {
        self.linked(task, Side::Blockers, true).await
    }

    /// The tasks on one side of `task`'s links, oldest link first (only those not Done, with `open`).
    async fn linked(&self, task: Uuid, side: Side, open: bool) -> Result<Vec<TaskLink>, DbError> {
        let (other, this) = match side {
            Side::Blockers => ("blocker_id", "task_id"),
            Side::Dependents => ("task_id", "blocker_id"),
        };
        let open = if open { " AND t.status <> 'done'" } else { "" };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT t.id, t.title, t.status FROM task_dependencies d JOIN tasks t ON t.id = d.{other} \
             WHERE d.{this} = $1{open} ORDER BY d.created_at, t.id"
        )))
        .bind(task)
        .fetch_all(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        links(rows)
    }

    /// Sets (or with None removes) the agent started when the task's last blocker is Done; a new one fires anew.
    pub async fn set_auto_start(&self, task: Uuid, start: Option<(&str, &str)>) -> Result<(), DbError> {
        self.get_task(task).await?;
        match start {
            Some((agent, prompt)) => {
                sqlx::query(
                    "INSERT INTO task_auto_starts (task_id, agent, prompt) VALUES ($1, $2, $3) \
                     ON CONFLICT (task_id) DO UPDATE SET agent = $2, prompt = $3, fired_at = NULL",
                )
                .bind(task)
                .bind(agent)
                .bind(prompt)
                .execute(self.pool())
                .await
                .map_err(DbError::from_sqlx)?;
            }
            None => {
                sqlx::query("DELETE FROM task_auto_starts WHERE task_id = $1")
                    .bind(task)
                    .execute(self.pool())
                    .await
                    .map_err(DbError::from_sqlx)?;
            }
        }
        Ok(())
    }

    /// Claims every auto-start whose task has blockers, all Done (in one project, or all): each is returned once.
    pub async fn claim_due_starts(&self, project: Option<Uuid>) -> Result<Vec<DueStart>, DbError> {
        let rows = sqlx::query(
            "UPDATE task_auto_starts a SET fired_at = now() FROM tasks t \
             WHERE t.id = a.task_id AND a.fired_at IS NULL AND ($1::uuid IS NULL OR t.project_id = $1) \
               AND t.status IN ('todo', 'in_progress') \
               AND EXISTS (SELECT 1 FROM task_dependencies d WHERE d.task_id = a.task_id) \
               AND NOT EXISTS (SELECT 1 FROM task_dependencies d JOIN tasks b ON b.id = d.blocker_id \
                               WHERE d.task_id = a.task_id AND b.status <> 'done') \
             RETURNING a.task_id, a.agent, a.prompt",
        )
        .bind(project)
        .fetch_all(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        rows.into_iter()
            .map(|r| {
                Ok(DueStart {
                    task_id: r.try_get("task_id").map_err(DbError::from_sqlx)?,
                    agent: r.try_get("agent").map_err(DbError::from_sqlx)?,
                    prompt: r.try_get("prompt").map_err(DbError::from_sqlx)?,
                })
            })
            .collect()
    }
}
