//! PostgreSQL access for viban: the pool, migrations (from the top-level `migrations/`), queries and the change
//! feed. Callers get domain types from viban-core, never rows.

mod automations;
mod comments;
mod deps;
mod error;
pub mod feed;
mod inbox;
mod position;
mod projects;
mod prs;
mod runs;
mod tasks;
mod worktrees;

use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

pub use automations::ClaimedFiring;
pub use comments::{NewCommentRow, StoredComment};
pub use deps::DueStart;
pub use error::DbError;
pub use feed::ChangeFeed;
pub use projects::NewProject;
pub use prs::StoredPr;
pub use runs::{CardMove, Chunk, LedgerEntry, NewRun, RunEnd};
pub use worktrees::StoredWorktree;

/// Migrations compiled into the binary; applied at start.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../../migrations");

/// The newest migration this binary carries.
pub fn latest_migration() -> i64 {
    MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0)
}

/// The migrations this binary carries, in order.
pub fn known_migrations() -> Vec<i64> {
    MIGRATOR.iter().map(|m| m.version).collect()
}

/// The pool plus the queries viban runs. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
    /// The last top-of-column key this process handed out, per (project, column): lets task creation skip the
    /// per-project lock (so commits overlap) while two concurrent creations still never get the same key.
    tops: std::sync::Arc<tokio::sync::Mutex<std::collections::HashMap<(uuid::Uuid, viban_core::TaskStatus), String>>>,
}

/// A pooled connection unused this long is closed (the pool checks every IDLE_CLOSE, so it goes within twice
/// that): a burst of requests does not leave an idle app holding PostgreSQL backends.
const IDLE_CLOSE: Duration = Duration::from_secs(20);
/// A pooled connection is replaced once it is this old. The pool hands out the connection idle longest, so a
/// poll every few seconds (the UI's inbox, the tray's) keeps every connection a burst opened in use and none idles
/// out; retiring them by age lets the pool shrink back to what the load needs (a reconnect costs a few ms).
const RETIRE_AFTER: Duration = Duration::from_secs(45);

impl Db {
    /// Connects lazily sized for a desktop: a few connections, closed again when idle so an idle app stays small.
    pub async fn connect(options: PgConnectOptions) -> Result<Self, DbError> {
        Self::connect_sized(options, 10).await
    }

    /// A pool of at most `max` connections (the transcript store has its own, so agents printing a lot never
    /// take the API's connections). One stays open for the next request; the others close after IDLE_CLOSE.
    pub async fn connect_sized(options: PgConnectOptions, max: u32) -> Result<Self, DbError> {
        Self::connect_pool(options, max, 1).await
    }

    /// Like `connect_sized`, but keeps no connection open while idle (the transcript store: nothing to write
    /// while no agent prints, and each PostgreSQL backend costs an idle desktop 2.5–4 MB).
    pub async fn connect_on_demand(options: PgConnectOptions, max: u32) -> Result<Self, DbError> {
        Self::connect_pool(options, max, 0).await
    }

    async fn connect_pool(options: PgConnectOptions, max: u32, min: u32) -> Result<Self, DbError> {
        let pool = PgPoolOptions::new()
            .max_connections(max)
            .min_connections(min)
            .acquire_timeout(Duration::from_secs(5))
            .idle_timeout(IDLE_CLOSE)
            .max_lifetime(RETIRE_AFTER)
            .connect_with(options)
            .await
            .map_err(DbError::from_sqlx)?;
        Ok(Self::from_pool(pool))
    }

    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool, tops: Default::default() }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies what is pending, under sqlx's advisory lock (two instances migrating at once take turns; the
    /// second finds nothing to do). Refuses a schema a newer viban migrated.
    pub async fn migrate(&self) -> Result<(), DbError> {
        MIGRATOR.run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::VersionMissing(found) => {
                DbError::SchemaNewer { found, known: latest_migration() }
            }
            e => DbError::Migrate(e.to_string()),
        })
    }

    /// The migrations this database has applied (successfully), in order; empty before the first `migrate`.
    pub async fn applied_migrations(&self) -> Result<Vec<i64>, DbError> {
        let exists: bool = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations') IS NOT NULL")
            .fetch_one(&self.pool)
            .await
            .map_err(DbError::from_sqlx)?;
        if !exists {
            return Ok(Vec::new());
        }
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&self.pool)
            .await
            .map_err(DbError::from_sqlx)
    }

    /// `SELECT 1` — the Supervisor's probe.
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("SELECT 1").execute(&self.pool).await.map_err(DbError::from_sqlx)?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}
