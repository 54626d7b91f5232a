//! viban on a managed PostgreSQL (`--database-url`): `viban-server migrate` (release-time migrations) and
//! `viban-server check` (readiness for a platform's health probe).

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use viban_core::AppPaths;
use viban_db::Db;

use crate::ServerFile;

#[derive(Debug, thiserror::Error)]
pub enum ManagedError {
    #[error("invalid database URL: {0}")]
    Url(String),
    #[error("the database at {host} cannot be reached: {why}")]
    Unreachable { host: String, why: String },
    #[error(transparent)]
    Db(#[from] viban_db::DbError),
    #[error(
        "the database's schema is behind this viban-server: migrations {0:?} are not applied (run `viban-server migrate`)"
    )]
    Pending(Vec<i64>),
    #[error("viban is not running for {0} (no server.json there)")]
    NotRunning(String),
    #[error("viban at {url} is not ready: {why}")]
    NotReady { url: String, why: String },
}

fn options(url: &str) -> Result<PgConnectOptions, ManagedError> {
    url.parse().map_err(|e: sqlx::Error| ManagedError::Url(e.to_string()))
}

async fn connect(url: &str, connections: u32) -> Result<Db, ManagedError> {
    let opts = options(url)?;
    let host = opts.get_host().to_string();
    match tokio::time::timeout(Duration::from_secs(10), Db::connect_sized(opts, connections)).await {
        Ok(Ok(db)) => Ok(db),
        Ok(Err(e)) => Err(ManagedError::Unreachable { host, why: e.to_string() }),
        Err(_) => Err(ManagedError::Unreachable { host, why: "no answer within 10 s".into() }),
    }
}

/// Applies pending migrations (safe from two instances at once); returns (applied now, schema version).
pub async fn migrate(url: &str) -> Result<(usize, i64), ManagedError> {
    // Two connections: one holds viban's own lock around the whole step (so "applied now" counts only this
    // instance's work), the other migrates (under sqlx's lock as well).
    let db = connect(url, 2).await?;
    let result = async {
        let mut lock = db.pool().acquire().await.map_err(viban_db::DbError::from_sqlx)?;
        sqlx::query("SELECT pg_advisory_lock(hashtextextended('viban-server migrate', 0))")
            .execute(&mut *lock)
            .await
            .map_err(viban_db::DbError::from_sqlx)?;
        let before = db.applied_migrations().await?;
        let migrated = db.migrate().await;
        let after = db.applied_migrations().await;
        let _ = sqlx::query("SELECT pg_advisory_unlock(hashtextextended('viban-server migrate', 0))")
            .execute(&mut *lock)
            .await;
        migrated?;
        let after = after?;
        Ok::<_, ManagedError>((after.len().saturating_sub(before.len()), after.last().copied().unwrap_or(0)))
    }
    .await;
    db.close().await;
    result
}

/// The database answers and its schema is exactly this binary's; returns the schema version.
pub async fn check_database(url: &str) -> Result<i64, ManagedError> {
    let db = connect(url, 1).await?;
    let applied = db.applied_migrations().await;
    db.close().await;
    let applied = applied?;
    let known = viban_db::known_migrations();
    if let Some(found) = applied.iter().copied().find(|v| !known.contains(v)) {
        return Err(viban_db::DbError::SchemaNewer { found, known: viban_db::latest_migration() }.into());
    }
    let pending: Vec<i64> = known.iter().copied().filter(|v| !applied.contains(v)).collect();
    if !pending.is_empty() {
        return Err(ManagedError::Pending(pending));
    }
    Ok(viban_db::latest_migration())
}

/// The running server (from `server.json`, or at `url`) answers `/api/health` with its database ready.
pub async fn check_server(paths: &AppPaths, url: Option<String>) -> Result<String, ManagedError> {
    let url = match url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None => {
            ServerFile::read(&paths.server_json())
                .map_err(|_| ManagedError::NotRunning(paths.data_dir.display().to_string()))?
                .url
        }
    };
    let not_ready = |why: String| ManagedError::NotReady { url: url.clone(), why };
    let client =
        reqwest::Client::builder().timeout(Duration::from_secs(5)).build().map_err(|e| not_ready(e.to_string()))?;
    let res = client.get(format!("{url}/api/health")).send().await.map_err(|e| not_ready(e.to_string()))?;
    let status = res.status();
    let body: serde_json::Value = res.json().await.map_err(|e| not_ready(e.to_string()))?;
    let database = body["database"].as_str().unwrap_or_default().to_string();
    if !status.is_success() || database != "ready" {
        return Err(not_ready(format!("HTTP {status}, database {database:?}")));
    }
    Ok(format!("{url}: ready (version {})", body["version"].as_str().unwrap_or("?")))
}
