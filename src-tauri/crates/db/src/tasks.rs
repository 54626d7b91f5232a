use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{FromRow, Postgres, Row, Transaction};
use uuid::Uuid;
use viban_core::{Board, BoardColumn, CreateTask, Task, TaskEvent, TaskStatus, UpdateTask};

use crate::{Db, DbError, position};

pub const MAX_TITLE_CHARS: usize = 500;
pub const MAX_DESCRIPTION_CHARS: usize = 100_000;

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: Uuid,
    project_id: Uuid,
    title: String,
    description: String,
    status: String,
    position: String,
    parent_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl TryFrom<TaskRow> for Task {
    type Error = DbError;
    fn try_from(r: TaskRow) -> Result<Self, DbError> {
        let status = TaskStatus::parse(&r.status)
            .ok_or_else(|| DbError::Invalid(format!("task {} has an unknown status {:?}", r.id, r.status)))?;
        Ok(Task {
            id: r.id,
            project_id: r.project_id,
            title: r.title,
            description: r.description,
            status,
            position: r.position,
            parent_id: r.parent_id,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[derive(sqlx::FromRow)]
struct EventRow {
    id: i64,
    task_id: Uuid,
    kind: String,
    data: serde_json::Value,
    at: DateTime<Utc>,
}

const COLUMNS: &str = "id, project_id, title, description, status, position, parent_id, created_at, updated_at";

fn clean_title(title: &str) -> Result<String, DbError> {
    let t = title.trim();
    if t.is_empty() {
        return Err(DbError::Invalid("a task needs a title".into()));
    }
    if t.chars().count() > MAX_TITLE_CHARS {
        return Err(DbError::Invalid(format!("a title may have at most {MAX_TITLE_CHARS} characters")));
    }
    Ok(t.to_string())
}

fn check_description(d: &str) -> Result<(), DbError> {
    if d.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(DbError::Invalid(format!("a description may have at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    Ok(())
}

/// A task's edit inside `tx` (its events included). With `only_from`, a status change happens only when the task is
/// in one of those columns (the task is returned unchanged otherwise): how a run's end moves its card.
pub(crate) async fn update_in(
    tx: &mut Transaction<'_, Postgres>,
    id: Uuid,
    upd: UpdateTask,
    only_from: Option<&[TaskStatus]>,
) -> Result<Task, DbError> {
    let title = upd.title.as_deref().map(clean_title).transpose()?;
    if let Some(d) = &upd.description {
        check_description(d)?;
    }
    let row: Option<TaskRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM tasks WHERE id = $1 FOR UPDATE")))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(DbError::from_sqlx)?;
    let before = Task::try_from(row.ok_or(DbError::NotFound("task"))?)?;
    if only_from.is_some_and(|from| !from.contains(&before.status)) {
        return Ok(before);
    }
    let mut after = before.clone();
    let mut changes = serde_json::Map::new();
    if let Some(t) = title.filter(|t| *t != before.title) {
        changes.insert("title".into(), json!({ "from": before.title, "to": t }));
        after.title = t;
    }
    if let Some(d) = upd.description.filter(|d| *d != before.description) {
        changes.insert("description".into(), json!({ "changed": true }));
        after.description = d;
    }
    let status = upd.status.unwrap_or(before.status);
    if upd.position.is_some() || status != before.status {
        lock_project(tx, before.project_id).await?;
        let index = upd.position.unwrap_or(0);
        after.position = key_at(tx, before.project_id, status, index, Some(id)).await?;
        after.status = status;
    }
    if after == before {
        return Ok(before);
    }
    let row: TaskRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE tasks SET title = $2, description = $3, status = $4, position = $5, updated_at = now() \
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(&after.title)
    .bind(&after.description)
    .bind(after.status.as_str())
    .bind(&after.position)
    .fetch_one(&mut **tx)
    .await
    .map_err(DbError::from_sqlx)?;
    let task = Task::try_from(row)?;
    if !changes.is_empty() {
        append_event(tx, &task, "updated", serde_json::Value::Object(changes)).await?;
    }
    if task.status != before.status || task.position != before.position {
        let data = json!({ "from": before.status, "to": task.status, "index": upd.position.unwrap_or(0) });
        append_event(tx, &task, "moved", data).await?;
    }
    Ok(task)
}

/// Serialises writers of one project's ordering for the length of a transaction.
async fn lock_project(tx: &mut Transaction<'_, Postgres>, project_id: Uuid) -> Result<(), DbError> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1::text, 0))")
        .bind(project_id)
        .execute(&mut **tx)
        .await
        .map_err(DbError::from_sqlx)?;
    Ok(())
}

/// The key for index `index` of a column, counted without `moving` (the task being moved, if any).
async fn key_at(
    tx: &mut Transaction<'_, Postgres>,
    project_id: Uuid,
    status: TaskStatus,
    index: u32,
    moving: Option<Uuid>,
) -> Result<String, DbError> {
    let (offset, limit) = if index == 0 { (0_i64, 1_i64) } else { (i64::from(index) - 1, 2) };
    let keys: Vec<String> = sqlx::query_scalar(
        "SELECT position FROM tasks WHERE project_id = $1 AND status = $2 AND id IS DISTINCT FROM $3 \
         ORDER BY position, id OFFSET $4 LIMIT $5",
    )
    .bind(project_id)
    .bind(status.as_str())
    .bind(moving)
    .bind(offset)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
    .map_err(DbError::from_sqlx)?;
    let (before, after) = match (index, keys.as_slice()) {
        (0, [first, ..]) => (None, Some(first.as_str())),
        (0, []) => (None, None),
        (_, [before, after, ..]) => (Some(before.as_str()), Some(after.as_str())),
        (_, [before]) => (Some(before.as_str()), None),
        // Past the end: append after the last card.
        (_, []) => {
            let last: Option<String> = sqlx::query_scalar(
                "SELECT position FROM tasks WHERE project_id = $1 AND status = $2 AND id IS DISTINCT FROM $3 \
                 ORDER BY position DESC, id DESC LIMIT 1",
            )
            .bind(project_id)
            .bind(status.as_str())
            .bind(moving)
            .fetch_optional(&mut **tx)
            .await
            .map_err(DbError::from_sqlx)?;
            return position::between(last.as_deref(), None);
        }
    };
    // Equal neighbours can only come from outside writers; place after them rather than fail the move.
    position::between(before, after).or_else(|_| position::between(before, None))
}

async fn append_event(
    tx: &mut Transaction<'_, Postgres>,
    task: &Task,
    kind: &str,
    data: serde_json::Value,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO task_events (task_id, project_id, kind, data) VALUES ($1, $2, $3, $4)")
        .bind(task.id)
        .bind(task.project_id)
        .bind(kind)
        .bind(data)
        .execute(&mut **tx)
        .await
        .map_err(DbError::from_sqlx)?;
    Ok(())
}

impl Db {
    /// Every task of a project, grouped into the five columns in board order.
    pub async fn board(&self, project_id: Uuid) -> Result<Board, DbError> {
        let project = self.get_project(project_id).await?;
        let rows: Vec<TaskRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM tasks WHERE project_id = $1 ORDER BY status, position, id"
        )))
        .bind(project_id)
        .fetch_all(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        let mut columns: Vec<BoardColumn> =
            TaskStatus::ALL.iter().map(|&status| BoardColumn { status, tasks: Vec::new() }).collect();
        for row in rows {
            let task = Task::try_from(row)?;
            let slot = TaskStatus::ALL.iter().position(|s| *s == task.status).unwrap_or(0);
            if let Some(col) = columns.get_mut(slot) {
                col.tasks.push(task);
            }
        }
        Ok(Board { project, columns })
    }

    pub async fn get_task(&self, id: Uuid) -> Result<Task, DbError> {
        let row: Option<TaskRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM tasks WHERE id = $1")))
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(DbError::from_sqlx)?;
        row.ok_or(DbError::NotFound("task"))?.try_into()
    }

    /// Creates a task at the top of its column (default Todo).
    pub async fn create_task(&self, project_id: Uuid, new: CreateTask) -> Result<Task, DbError> {
        let title = clean_title(&new.title)?;
        let description = new.description.unwrap_or_default();
        check_description(&description)?;
        let status = new.status.unwrap_or(TaskStatus::Todo);
        if let Some(parent) = new.parent_id {
            // A subtask lives in its parent's project.
            let p = self.get_task(parent).await.map_err(|e| match e {
                DbError::NotFound(_) => DbError::Invalid(format!("parent task {parent} does not exist")),
                other => other,
            })?;
            if p.project_id != project_id {
                return Err(DbError::Invalid(format!("parent task {parent} is in another project")));
            }
        }
        let key = self.next_top_key(project_id, status).await?;
        let mut tx = self.pool().begin().await.map_err(DbError::from_sqlx)?;
        let row: TaskRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO tasks (id, project_id, title, description, status, position, parent_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {COLUMNS}"
        )))
        .bind(Uuid::now_v7())
        .bind(project_id)
        .bind(&title)
        .bind(&description)
        .bind(status.as_str())
        .bind(&key)
        .bind(new.parent_id)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match DbError::from_sqlx(e) {
            DbError::Other(sqlx::Error::Database(d)) if d.code().as_deref() == Some("23503") => {
                DbError::NotFound("project")
            }
            other => other,
        })?;
        let task = Task::try_from(row)?;
        append_event(&mut tx, &task, "created", json!({ "title": task.title, "status": task.status })).await?;
        tx.commit().await.map_err(DbError::from_sqlx)?;
        Ok(task)
    }

    /// A key above every card of the column, including ones other creations took but have not committed.
    async fn next_top_key(&self, project_id: Uuid, status: TaskStatus) -> Result<String, DbError> {
        let mut tops = self.tops.lock().await;
        let first: Option<String> = sqlx::query_scalar(
            "SELECT position FROM tasks WHERE project_id = $1 AND status = $2 ORDER BY position, id LIMIT 1",
        )
        .bind(project_id)
        .bind(status.as_str())
        .fetch_optional(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        let upper = match (first, tops.get(&(project_id, status))) {
            (Some(db), Some(ours)) => Some(db.min(ours.clone())),
            (db, ours) => db.or_else(|| ours.cloned()),
        };
        let key = position::between(None, upper.as_deref())?;
        tops.insert((project_id, status), key.clone());
        Ok(key)
    }

    pub async fn update_task(&self, id: Uuid, upd: UpdateTask) -> Result<Task, DbError> {
        let mut tx = self.pool().begin().await.map_err(DbError::from_sqlx)?;
        let task = update_in(&mut tx, id, upd, None).await?;
        tx.commit().await.map_err(DbError::from_sqlx)?;
        Ok(task)
    }

    pub async fn delete_task(&self, id: Uuid) -> Result<(), DbError> {
        let mut tx = self.pool().begin().await.map_err(DbError::from_sqlx)?;
        let row: Option<TaskRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("DELETE FROM tasks WHERE id = $1 RETURNING {COLUMNS}")))
                .bind(id)
                .fetch_optional(&mut *tx)
                .await
                .map_err(DbError::from_sqlx)?;
        let task = Task::try_from(row.ok_or(DbError::NotFound("task"))?)?;
        // The snapshot keeps a deleted task recoverable from its history.
        let snapshot = serde_json::to_value(&task).map_err(|e| DbError::Invalid(e.to_string()))?;
        append_event(&mut tx, &task, "deleted", snapshot).await?;
        tx.commit().await.map_err(DbError::from_sqlx)?;
        Ok(())
    }

    /// The task's history, oldest first. Works for deleted tasks too.
    pub async fn task_events(&self, task_id: Uuid) -> Result<Vec<TaskEvent>, DbError> {
        let rows: Vec<EventRow> =
            sqlx::query_as("SELECT id, task_id, kind, data, at FROM task_events WHERE task_id = $1 ORDER BY id")
                .bind(task_id)
                .fetch_all(self.pool())
                .await
                .map_err(DbError::from_sqlx)?;
        if rows.is_empty() {
            // Distinguish "no such task" from "no history yet" (a task always has its `created` event).
            return Err(DbError::NotFound("task"));
        }
        Ok(rows
            .into_iter()
            .map(|r| TaskEvent { id: r.id, task_id: r.task_id, kind: r.kind, data: r.data, at: r.at })
            .collect())
    }
}

/// `%` and `_` are wildcards to LIKE: a search for them means the characters themselves.
fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

impl Db {
    /// A project's tasks in board order, optionally in one column and matching `text` (in the title or
    /// description, any case, or the start or end of the id without dashes); at most `limit`, and how many matched.
    pub async fn search_tasks(
        &self,
        project_id: Uuid,
        status: Option<TaskStatus>,
        text: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<Task>, i64), DbError> {
        let text = text.map(str::trim).filter(|t| !t.is_empty());
        let pattern = text.map(|t| format!("%{}%", like_escape(t)));
        // Only something that can be (part of) an id is looked for in ids: no per-row work for plain words.
        let id = text
            .map(|t| t.trim_start_matches('#').replace('-', "").to_lowercase())
            .filter(|t| (4..=32).contains(&t.len()) && t.chars().all(|c| c.is_ascii_hexdigit()));
        // Only the clauses in use (numbered as they come): a generic plan for `$3 IS NULL OR title ILIKE $3` could
        // not use the indexes.
        let mut filter = String::new();
        let mut binds: Vec<String> = Vec::new();
        if let Some(s) = status {
            binds.push(s.as_str().to_string());
            filter.push_str(&format!(" AND status = ${}", binds.len() + 1));
        }
        if let Some(p) = pattern {
            binds.push(p);
            let n = binds.len() + 1;
            match id {
                Some(id) => {
                    binds.push(id);
                    let m = binds.len() + 1;
                    filter.push_str(&format!(
                        " AND (title ILIKE ${n} OR description ILIKE ${n} OR replace(id::text, '-', '') LIKE ${m} || '%' \
                         OR replace(id::text, '-', '') LIKE '%' || ${m})"
                    ));
                }
                None => filter.push_str(&format!(" AND (title ILIKE ${n} OR description ILIKE ${n})")),
            }
        }
        let sql = format!(
            "SELECT {COLUMNS}, count(*) OVER () AS total FROM tasks WHERE project_id = $1{filter} \
             ORDER BY array_position(ARRAY['todo','in_progress','in_review','done','cancelled'], status), position, id \
             LIMIT ${}",
            binds.len() + 2
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(project_id);
        for b in binds {
            query = query.bind(b);
        }
        let rows = query.bind(limit).fetch_all(self.pool()).await.map_err(DbError::from_sqlx)?;
        let total = rows.first().map(|r| r.try_get::<i64, _>("total")).transpose().map_err(DbError::from_sqlx)?;
        let tasks = rows
            .into_iter()
            .map(|r| TaskRow::from_row(&r).map_err(DbError::from_sqlx).and_then(Task::try_from))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((tasks, total.unwrap_or(0)))
    }
}
