//! Review comments. Stored on the run they were made on and listed for every run of the same worktree (a
//! follow-up works in the same worktree and must still show them). Whether a comment is outdated is not stored: it
//! is computed against the files on every read.

use chrono::{DateTime, Utc};
use uuid::Uuid;
use viban_core::{CommentSide, ReviewComment};

use crate::{Db, DbError};

/// A comment as stored (no `outdated`: the API computes it).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StoredComment {
    pub id: Uuid,
    pub run_id: Uuid,
    pub path: String,
    pub side: String,
    pub line: i32,
    pub line_text: String,
    pub body: String,
    pub resolved: bool,
    pub sent_in_run: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl StoredComment {
    pub fn side(&self) -> CommentSide {
        // The table's CHECK allows only the two.
        CommentSide::parse(&self.side).unwrap_or(CommentSide::New)
    }

    /// The API form, as if nothing changed since (callers then compute `outdated` and `current_line`).
    pub fn to_api(&self) -> ReviewComment {
        ReviewComment {
            id: self.id,
            run_id: self.run_id,
            path: self.path.clone(),
            side: self.side(),
            line: self.line,
            line_text: self.line_text.clone(),
            body: self.body.clone(),
            resolved: self.resolved,
            sent_in_run: self.sent_in_run,
            outdated: false,
            current_line: Some(self.line),
            created_at: self.created_at,
            updated_at: self.updated_at,
        }
    }
}

/// A comment about to be written (checked by the caller).
#[derive(Debug, Clone)]
pub struct NewCommentRow {
    pub run_id: Uuid,
    pub path: String,
    pub side: CommentSide,
    pub line: i32,
    pub line_text: String,
    pub body: String,
}

const COLUMNS: &str = "c.id, c.run_id, c.path, c.side, c.line, c.line_text, c.body, c.resolved, c.sent_in_run, c.created_at, \
     c.updated_at";

/// Comments of the worktree of run `$1`: those made on any run of the same task in the same worktree.
const SAME_WORKTREE: &str = "JOIN runs r ON r.id = c.run_id \
     JOIN runs x ON x.id = $1 AND x.task_id = r.task_id AND x.worktree_path = r.worktree_path";

impl Db {
    pub async fn insert_comment(&self, c: &NewCommentRow) -> Result<StoredComment, DbError> {
        sqlx::query_as(
            "INSERT INTO review_comments AS c (id, run_id, path, side, line, line_text, body) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING c.*",
        )
        .bind(Uuid::now_v7())
        .bind(c.run_id)
        .bind(&c.path)
        .bind(c.side.as_str())
        .bind(c.line)
        .bind(&c.line_text)
        .bind(&c.body)
        .fetch_one(self.pool())
        .await
        .map_err(DbError::from_sqlx)
    }

    /// Every comment of the run's worktree, oldest first.
    pub async fn worktree_comments(&self, run_id: Uuid) -> Result<Vec<StoredComment>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM review_comments c {SAME_WORKTREE} ORDER BY c.created_at, c.id");
        sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(run_id).fetch_all(self.pool()).await.map_err(DbError::from_sqlx)
    }

    pub async fn get_comment(&self, id: Uuid) -> Result<StoredComment, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM review_comments c WHERE c.id = $1");
        sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(id)
            .fetch_optional(self.pool())
            .await
            .map_err(DbError::from_sqlx)?
            .ok_or(DbError::NotFound("comment"))
    }

    /// Changes the body and/or the resolved flag (what is None stays).
    pub async fn update_comment(
        &self,
        id: Uuid,
        body: Option<&str>,
        resolved: Option<bool>,
    ) -> Result<StoredComment, DbError> {
        sqlx::query_as(
            "UPDATE review_comments AS c SET body = COALESCE($2, c.body), resolved = COALESCE($3, c.resolved), \
             updated_at = now() WHERE c.id = $1 RETURNING c.*",
        )
        .bind(id)
        .bind(body)
        .bind(resolved)
        .fetch_optional(self.pool())
        .await
        .map_err(DbError::from_sqlx)?
        .ok_or(DbError::NotFound("comment"))
    }

    pub async fn delete_comment(&self, id: Uuid) -> Result<(), DbError> {
        let done = sqlx::query("DELETE FROM review_comments WHERE id = $1")
            .bind(id)
            .execute(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        if done.rows_affected() == 0 {
            return Err(DbError::NotFound("comment"));
        }
        Ok(())
    }

    /// Records that `ids` were sent to the agent in run `sent_in`.
    pub async fn mark_comments_sent(&self, ids: &[Uuid], sent_in: Uuid) -> Result<(), DbError> {
        sqlx::query("UPDATE review_comments SET sent_in_run = $2, updated_at = now() WHERE id = ANY($1)")
            .bind(ids)
            .bind(sent_in)
            .execute(self.pool())
            .await
            .map_err(DbError::from_sqlx)?;
        Ok(())
    }
}
