//! A PostgreSQL cluster of its own standing in for a managed one (tests and `cargo xtask test`'s run of the
//! integration suite against an external server): TCP on loopback, TLS only, and a fresh database per `TestApp`.

use std::os::unix::fs::MetadataExt;
use std::path::Path;

use viban_core::AppPaths;
use viban_runtime::{EmbeddedPostgres, RestartPolicy, Supervisor, SupervisorHandle};

/// Set to a cluster's URL, `TestApp` runs on a fresh database of it instead of an embedded PostgreSQL.
pub const DATABASE_URL_VAR: &str = "VIBAN_TEST_DATABASE_URL";

/// Starts a cluster under `dir`; with `tls`, it accepts only TLS connections. Returns it and its URL (with
/// `sslmode=require` when `tls`).
pub async fn start(dir: &Path, tls: bool) -> anyhow::Result<(SupervisorHandle, String)> {
    let pg = EmbeddedPostgres::prepare(&AppPaths::under(dir))?;
    pg.ensure_cluster().await?;
    if tls {
        require_tls(&pg.data_dir)?;
    }
    let c = pg.connection();
    let mut url = format!("postgres://{}:{}@{}:{}/{}", c.user, c.password, c.host, c.port, c.database);
    if tls {
        url.push_str("?sslmode=require");
    }
    Ok((Supervisor::start(pg, RestartPolicy::default()).await?, url))
}

/// A self-signed certificate, `ssl = on`, and pg_hba allowing only `hostssl`.
pub fn require_tls(data: &Path) -> anyhow::Result<()> {
    let out = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"])
        .arg("-keyout")
        .arg(data.join("server.key"))
        .arg("-out")
        .arg(data.join("server.crt"))
        .output()?;
    anyhow::ensure!(out.status.success(), "openssl: {}", String::from_utf8_lossy(&out.stderr));
    let owner = std::fs::metadata(data)?;
    for f in ["server.key", "server.crt"] {
        std::os::unix::fs::chown(data.join(f), Some(owner.uid()), Some(owner.gid()))?;
        std::fs::set_permissions(data.join(f), std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    }
    let conf = std::fs::read_to_string(data.join("postgresql.conf"))?;
    std::fs::write(data.join("postgresql.conf"), format!("{conf}\nssl = on\n"))?;
    let hba: String = std::fs::read_to_string(data.join("pg_hba.conf"))?
        .lines()
        .map(|l| if l.starts_with("host ") { l.replacen("host ", "hostssl ", 1) } else { l.to_string() } + "\n")
        .collect();
    std::fs::write(data.join("pg_hba.conf"), hba)?;
    Ok(())
}

/// `url` with its database replaced by `db` (the query, e.g. `sslmode`, kept).
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// A new, empty database on the cluster at `url`; its URL.
pub async fn fresh_database(url: &str) -> anyhow::Result<String> {
    use sqlx::Connection;
    let name = format!("viban_test_{}", uuid_like());
    let mut admin = sqlx::PgConnection::connect(url).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).execute(&mut admin).await?;
    admin.close().await?;
    Ok(with_database(url, &name))
}

fn uuid_like() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{}_{nanos}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::with_database;

    #[test]
    fn the_database_is_replaced_and_the_query_kept() {
        assert_eq!(
            with_database("postgres://u:p@h:1/postgres?sslmode=require", "x"),
            "postgres://u:p@h:1/x?sslmode=require"
        );
        assert_eq!(with_database("postgres://u:p@h:1/postgres", "x"), "postgres://u:p@h:1/x");
    }
}
