//! Runs (which are also the process ledger) and their transcript chunks.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use viban_core::{Run, RunKind, RunStatus, RuntimeKind, TaskStatus, UpdateTask};

use crate::{Db, DbError};

/// A card move that goes with a run's end: `task_id` goes to `to` if it is in one of `from`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardMove {
    pub task_id: Uuid,
    pub from: Vec<TaskStatus>,
    pub to: TaskStatus,
}

/// A run about to be queued; the worktree fields are decided before it is written.
#[derive(Debug, Clone)]
pub struct NewRun {
    pub id: Uuid,
    pub task_id: Uuid,
    pub project_id: Uuid,
    pub agent: String,
    pub kind: RunKind,
    pub runtime: RuntimeKind,
    pub prompt: String,
    pub follow_up_of: Option<Uuid>,
    pub worktree_path: String,
    pub branch: String,
    pub base_ref: String,
    pub base_commit: String,
    pub cols: u16,
    pub rows: u16,
    pub warnings: Vec<String>,
}

/// What the ledger knows about a run's process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerEntry {
    pub run_id: Uuid,
    pub pid: i32,
    pub start_ticks: i64,
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct RunEnd {
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    pub error: Option<String>,
    pub output_bytes: i64,
}

/// A stored piece of output (decompressed).
#[derive(Debug, Clone)]
pub struct Chunk {
    pub byte_offset: i64,
    pub at_ms: i64,
    pub data: Vec<u8>,
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: Uuid,
    task_id: Uuid,
    project_id: Uuid,
    agent: String,
    kind: String,
    runtime: String,
    runtime_detail: Option<String>,
    prompt: String,
    follow_up_of: Option<Uuid>,
    status: String,
    exit_code: Option<i32>,
    error: Option<String>,
    worktree_path: String,
    branch: String,
    base_ref: String,
    changed_files: i32,
    output_bytes: i64,
    cols: i32,
    rows: i32,
    warnings: Vec<String>,
    created_at: DateTime<Utc>,
    started_at: Option<DateTime<Utc>>,
    finished_at: Option<DateTime<Utc>>,
}

impl TryFrom<RunRow> for Run {
    type Error = DbError;
    fn try_from(r: RunRow) -> Result<Self, DbError> {
        let status = RunStatus::parse(&r.status)
            .ok_or_else(|| DbError::Invalid(format!("run {} has an unknown status {:?}", r.id, r.status)))?;
        let kind = RunKind::parse(&r.kind)
            .ok_or_else(|| DbError::Invalid(format!("run {} has an unknown kind {:?}", r.id, r.kind)))?;
        let runtime = RuntimeKind::parse(&r.runtime)
            .ok_or_else(|| DbError::Invalid(format!("run {} has an unknown runtime {:?}", r.id, r.runtime)))?;
        Ok(Run {
            id: r.id,
            task_id: r.task_id,
            project_id: r.project_id,
            agent: r.agent,
            kind,
            runtime,
            runtime_detail: r.runtime_detail,
            prompt: r.prompt,
            follow_up_of: r.follow_up_of,
            status,
            exit_code: r.exit_code,
            error: r.error,
            worktree_path: r.worktree_path,
            branch: r.branch,
            base_ref: r.base_ref,
            changed_files: r.changed_files,
            output_bytes: r.output_bytes,
            queue_position: None,
            cols: r.cols,
            rows: r.rows,
            warnings: r.warnings,
            created_at: r.created_at,
            started_at: r.started_at,
            finished_at: r.finished_at,
        })
    }
}

const COLUMNS: &str = "id, task_id, project_id, agent, kind, runtime, runtime_detail, prompt, follow_up_of, status, exit_code, error, \
     worktree_path, branch, base_ref, changed_files, output_bytes, cols, rows, warnings, created_at, started_at, finished_at";

fn runs(rows: Vec<RunRow>) -> Result<Vec<Run>, DbError> {
    rows.into_iter().map(Run::try_from).collect()
}

impl Db {
    pub async fn insert_run(&self, r: &NewRun) -> Result<Run, DbError> {
        let row: RunRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO runs (id, task_id, project_id, agent, prompt, follow_up_of, status, worktree_path, branch, \
             base_ref, base_commit, cols, rows, warnings, kind, runtime) \
             VALUES ($1, $2, $3, $4, $5, $6, 'queued', $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING {COLUMNS}"
        )))
        .bind(r.id)
        .bind(r.task_id)
        .bind(r.project_id)
        .bind(&r.agent)
        .bind(&r.prompt)
        .bind(r.follow_up_of)
        .bind(&r.worktree_path)
        .bind(&r.branch)
        .bind(&r.base_ref)
        .bind(&r.base_commit)
        .bind(i32::from(r.cols))
        .bind(i32::from(r.rows))
        .bind(&r.warnings)
        .bind(r.kind.as_str())
        .bind(r.runtime.as_str())
        .fetch_one(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        row.try_into()
    }

    pub async fn get_run(&self, id: Uuid) -> Result<Run, DbError> {
        let row: Option<RunRow> =
            sqlx::query_as(sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM runs WHERE id = $1")))
                .bind(id)
                .fetch_optional(self.pool())
                .await
                .map_err(DbError::from_sqlx)?;
        row.ok_or(DbError::NotFound("run"))?.try_into()
    }

    /// The base commit a run's worktree was made from (for changed-file counts).
    pub async fn run_base_commit(&self, id: Uuid) -> Result<String, DbError> {
        sqlx::query_scalar("SELECT base_commit FROM runs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(DbError::from_sqlx)?
            .ok_or(DbError::NotFound("run"))
    }

    pub async fn task_runs(&self, task_id: Uuid) -> Result<Vec<Run>, DbError> {
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM runs WHERE task_id = $1 ORDER BY created_at DESC, id DESC"
        )))
        .bind(task_id)
        .fetch_all(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        runs(rows)
    }

    /// The newest run of each task of a project.
    pub async fn project_latest_runs(&self, project_id: Uuid) -> Result<Vec<Run>, DbError> {
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT DISTINCT ON (task_id) {COLUMNS} FROM runs WHERE project_id = $1 AND kind = 'agent' \
             ORDER BY task_id, created_at DESC, id DESC"
        )))
        .bind(project_id)
        .fetch_all(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        runs(rows)
    }

    /// Queued, starting and running runs, oldest first (the queue's order).
    pub async fn active_runs(&self) -> Result<Vec<Run>, DbError> {
        let rows = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM runs WHERE status IN ('queued', 'starting', 'running') ORDER BY created_at, id"
        )))
        .fetch_all(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        runs(rows)
    }

    /// The active agent run in a worktree, if any (one agent per worktree at a time; a shell the user opened
    /// there does not count).
    pub async fn active_run_in_worktree(&self, worktree_path: &str) -> Result<Option<Uuid>, DbError> {
        sqlx::query_scalar(
            "SELECT id FROM runs WHERE worktree_path = $1 AND kind = 'agent' \
             AND status IN ('queued', 'starting', 'running') LIMIT 1",
        )
        .bind(worktree_path)
        .fetch_optional(self.pool())
        .await
        .map_err(DbError::from_sqlx)
    }

    /// The newest agent run of a worktree (its changes are that run's; a shell is not).
    pub async fn latest_run_in_worktree(&self, worktree_path: &str) -> Result<Option<Uuid>, DbError> {
        sqlx::query_scalar(
            "SELECT id FROM runs WHERE worktree_path = $1 AND kind = 'agent' ORDER BY created_at DESC LIMIT 1",
        )
        .bind(worktree_path)
        .fetch_optional(self.pool())
        .await
        .map_err(DbError::from_sqlx)
    }

    pub async fn set_run_starting(&self, id: Uuid) -> Result<(), DbError> {
        sqlx::query("UPDATE runs SET status = 'starting' WHERE id = $1 AND status = 'queued'")
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        Ok(())
    }

    /// Records where the run's agent runs (before it is spawned).
    pub async fn set_run_runtime(&self, id: Uuid, runtime: &str, detail: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE runs SET runtime = $2, runtime_detail = $3 WHERE id = $1")
            .bind(id)
            .bind(runtime)
            .bind(detail)
            .execute(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        Ok(())
    }

    /// Writes the ledger entry and marks the run running, in one statement: a spawned process is always findable.
    pub async fn set_run_running(&self, id: Uuid, pid: i32, start_ticks: i64, boot_id: &str) -> Result<(), DbError> {
        sqlx::query(
            "UPDATE runs SET status = 'running', pid = $2, pid_start_ticks = $3, boot_id = $4, started_at = now() \
             WHERE id = $1",
        )
        .bind(id)
        .bind(pid)
        .bind(start_ticks)
        .bind(boot_id)
        .execute(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        Ok(())
    }

    /// Records a run's end and, in the same transaction, moves its card (`card`: only from the given columns), so
    /// nobody ever sees a finished run beside a card that has not moved.
    pub async fn finish_run(&self, id: Uuid, end: &RunEnd, card: Option<&CardMove>) -> Result<(), DbError> {
        let mut tx = self.pool().begin().await.map_err(DbError::from_sqlx)?;
        sqlx::query(
            "UPDATE runs SET status = $2, exit_code = $3, error = $4, output_bytes = $5, finished_at = now(), \
             pid = NULL, pid_start_ticks = NULL WHERE id = $1",
        )
        .bind(id)
        .bind(end.status.as_str())
        .bind(end.exit_code)
        .bind(&end.error)
        .bind(end.output_bytes)
        .execute(&mut *tx)
        .await
        .map_err(DbError::from_sqlx)?;
        if let Some(card) = card {
            // Tells the automation trigger which run moved the card: an agent automation does not restart on the
            // end of its own run (see migration 0014).
            sqlx::query("SELECT set_config('viban.moved_by_run', $1, true)")
                .bind(id.to_string())
                .execute(&mut *tx)
                .await
                .map_err(DbError::from_sqlx)?;
            let upd = UpdateTask { status: Some(card.to), ..Default::default() };
            crate::tasks::update_in(&mut tx, card.task_id, upd, Some(&card.from)).await?;
        }
        tx.commit().await.map_err(DbError::from_sqlx)?;
        Ok(())
    }

    /// Ledger entries of runs that were live in this boot (the caller checks whether their processes still are).
    pub async fn ledger(&self, boot_id: &str) -> Result<Vec<LedgerEntry>, DbError> {
        type Row = (Uuid, Option<i32>, Option<i64>, Option<String>);
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, pid, pid_start_ticks, boot_id FROM runs WHERE status IN ('starting', 'running')",
        )
        .fetch_all(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        Ok(rows
            .into_iter()
            .filter_map(|(run_id, pid, ticks, boot)| match (pid, ticks, boot) {
                (Some(pid), Some(start_ticks), Some(b)) if b == boot_id => {
                    Some(LedgerEntry { run_id, pid, start_ticks })
                }
                _ => None,
            })
            .collect())
    }

    /// After a crash: every run that was starting or running is `interrupted`. Returns their ids.
    pub async fn interrupt_live_runs(&self) -> Result<Vec<Uuid>, DbError> {
        sqlx::query_scalar(
            "UPDATE runs r SET status = 'interrupted', finished_at = now(), pid = NULL, pid_start_ticks = NULL, \
             error = 'viban stopped while this run was live; its processes were stopped at the next start', \
             output_bytes = coalesce((SELECT max(c.byte_offset + c.raw_len) FROM run_chunks c \
                                      WHERE c.run_id = r.id), 0) \
             WHERE status IN ('starting', 'running') RETURNING id",
        )
        .fetch_all(self.pool())
        .await
        .map_err(DbError::from_sqlx)
    }

    /// Updates the count on every run of a worktree; returns whether anything changed.
    pub async fn set_changed_files(&self, worktree_path: &str, count: i32) -> Result<bool, DbError> {
        let done = sqlx::query("UPDATE runs SET changed_files = $2 WHERE worktree_path = $1 AND changed_files <> $2")
            .bind(worktree_path)
            .bind(count)
            .execute(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        Ok(done.rows_affected() > 0)
    }

    pub async fn set_worktree_removed(&self, worktree_path: &str) -> Result<(), DbError> {
        sqlx::query("UPDATE runs SET worktree_removed = true WHERE worktree_path = $1")
            .bind(worktree_path)
            .execute(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        Ok(())
    }

    pub async fn worktree_removed(&self, run_id: Uuid) -> Result<bool, DbError> {
        sqlx::query_scalar("SELECT worktree_removed FROM runs WHERE id = $1")
            .bind(run_id)
            .fetch_optional(self.pool())
            .await
            .map_err(DbError::from_sqlx)?
            .ok_or(DbError::NotFound("run"))
    }

    /// Worktrees that still exist, with their base commit (to watch them after a restart).
    pub async fn live_worktrees(&self) -> Result<Vec<(String, String)>, DbError> {
        sqlx::query_as(
            "SELECT DISTINCT ON (worktree_path) worktree_path, base_commit FROM runs \
             WHERE NOT worktree_removed ORDER BY worktree_path, created_at DESC",
        )
        .fetch_all(self.pool())
        .await
        .map_err(DbError::from_sqlx)
    }

    /// Stores a piece of output (LZ4-compressed when that saves space). It is committed before the caller shows it
    /// to anyone.
    pub async fn append_chunk(&self, run_id: Uuid, byte_offset: i64, at_ms: i64, data: &[u8]) -> Result<(), DbError> {
        let packed = (data.len() >= 256).then(|| lz4_flex::compress_prepend_size(data));
        let (codec, stored): (i16, &[u8]) = match &packed {
            Some(p) if p.len() < data.len() * 9 / 10 => (1, p),
            _ => (0, data),
        };
        sqlx::query(
            "INSERT INTO run_chunks (run_id, byte_offset, at_ms, raw_len, codec, data) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(run_id)
        .bind(byte_offset)
        .bind(at_ms)
        .bind(data.len() as i32)
        .bind(codec)
        .bind(stored)
        .execute(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        Ok(())
    }

    /// Where a run's stored output ends (0 when nothing is stored).
    pub async fn stored_end(&self, run_id: Uuid) -> Result<u64, DbError> {
        let end: Option<(i64, i32)> = sqlx::query_as(
            "SELECT byte_offset, raw_len FROM run_chunks WHERE run_id = $1 ORDER BY byte_offset DESC LIMIT 1",
        )
        .bind(run_id)
        .fetch_optional(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        Ok(end.map_or(0, |(o, l)| (o + i64::from(l)) as u64))
    }

    /// Chunks covering output from `from` on (the first may start before it), at most `limit` of them.
    pub async fn chunks_from(&self, run_id: Uuid, from: i64, limit: i64) -> Result<Vec<Chunk>, DbError> {
        let rows: Vec<(i64, i64, i16, Vec<u8>)> = sqlx::query_as(
            "SELECT byte_offset, at_ms, codec, data FROM run_chunks WHERE run_id = $1 AND byte_offset >= \
             coalesce((SELECT max(byte_offset) FROM run_chunks WHERE run_id = $1 AND byte_offset <= $2), 0) \
             ORDER BY byte_offset LIMIT $3",
        )
        .bind(run_id)
        .bind(from)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(DbError::from_sqlx)?;
        rows.into_iter()
            .map(|(byte_offset, at_ms, codec, data)| {
                let data = match codec {
                    1 => lz4_flex::decompress_size_prepended(&data).map_err(|e| {
                        DbError::Invalid(format!("run {run_id}: stored output at {byte_offset} is damaged: {e}"))
                    })?,
                    _ => data,
                };
                Ok(Chunk { byte_offset, at_ms, data })
            })
            .collect()
    }
}
