//! viban on a managed (external) PostgreSQL: `viban-server migrate` from two instances at once, `check` as a
//! readiness probe, a schema a newer viban migrated, the pool size setting, and TLS to the database with `sslmode`
//! honoured (the server refuses connections without TLS).

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use nix::sys::signal::Signal;
use reqwest::Method;
use serde_json::json;
use viban_runtime::SupervisorHandle;
use viban_test_support::{ServerProcess, git_repo};

/// A separate PostgreSQL cluster to stand in for a managed one; with `tls`, it accepts only TLS connections.
async fn external(dir: &Path, tls: bool) -> anyhow::Result<(SupervisorHandle, String)> {
    let (pg, url) = viban_test_support::external_pg::start(dir, tls).await?;
    // The tests add sslmode themselves.
    Ok((pg, url.trim_end_matches("?sslmode=require").to_string()))
}

fn server(args: &[&str]) -> anyhow::Result<std::process::Command> {
    let mut cmd = std::process::Command::new(viban_test_support::server_bin()?);
    cmd.args(args).env_remove("VIBAN_DATABASE_URL").env_remove("VIBAN_HOME");
    Ok(cmd)
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

#[tokio::test]
async fn two_migrates_at_once_apply_the_schema_once_and_check_follows_the_schema() -> anyhow::Result<()> {
    let pg_home = tempfile::tempdir()?;
    let (pg, url) = external(pg_home.path(), false).await?;
    let check = |url: &str| server(&["check", "--database-url", url]).and_then(|mut c| Ok(c.output()?));
    let before = check(&url)?;
    assert!(!before.status.success() && text(&before).contains("not applied"), "{}", text(&before));

    let spawn = || -> anyhow::Result<std::process::Child> {
        let mut c = server(&["migrate", "--database-url", &url])?;
        Ok(c.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped()).spawn()?)
    };
    let (a, b) = (spawn()?, spawn()?);
    let (a, b) = (a.wait_with_output()?, b.wait_with_output()?);
    assert!(a.status.success() && b.status.success(), "{}\n{}", text(&a), text(&b));
    let applied: Vec<usize> =
        [&a, &b].iter().filter_map(|o| text(o).split(" migration").next()?.rsplit(' ').next()?.parse().ok()).collect();
    assert_eq!(applied.iter().sum::<usize>(), viban_db::known_migrations().len(), "{}\n{}", text(&a), text(&b));
    let again = server(&["migrate", "--database-url", &url])?.output()?;
    assert!(text(&again).contains("0 migration(s) applied"), "{}", text(&again));
    let ready = check(&url)?;
    assert!(ready.status.success(), "{}", text(&ready));

    // A newer viban migrated this database: check says so, and serve refuses to start, naming both versions.
    let db = viban_db::Db::connect_sized(url.parse()?, 1).await?;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
         VALUES (99990101000000, 'from the future', true, '\\x00', 0)",
    )
    .execute(db.pool())
    .await?;
    db.close().await;
    let newer = check(&url)?;
    assert!(!newer.status.success() && text(&newer).contains("newer"), "{}", text(&newer));
    let home = tempfile::tempdir()?;
    let (status, stderr) = ServerProcess::expect_failure(home.path(), &["--database-url", &url], &[]).await?;
    assert!(!status.success());
    assert!(
        stderr.contains("99990101000000") && stderr.contains(&viban_db::latest_migration().to_string()),
        "{stderr}"
    );
    pg.shutdown(Duration::from_secs(10)).await;
    Ok(())
}

#[tokio::test]
async fn tls_to_the_database_is_used_when_the_url_asks_for_it() -> anyhow::Result<()> {
    let pg_home = tempfile::tempdir()?;
    let (pg, url) = external(pg_home.path(), true).await?;
    // The server takes only TLS: without it the connection is refused, with a message saying why.
    let plain = server(&["migrate", "--database-url", &format!("{url}?sslmode=disable")])?.output()?;
    assert!(!plain.status.success(), "{}", text(&plain));
    let said = text(&plain);
    assert!(said.contains("cannot be reached") && (said.contains("encryption") || said.contains("SSL")), "{said}");

    let tls_url = format!("{url}?sslmode=require");
    let home = tempfile::tempdir()?;
    let repos = tempfile::tempdir()?;
    let mut s = ServerProcess::spawn(home.path(), &["--database-url", &tls_url, "--db-pool-size", "3"]).await?;
    let repo = git_repo(repos.path(), "tls")?;
    let p = s.call(Method::POST, "/api/projects", Some(json!({"name": "tls", "repo_path": repo}))).await?;
    assert_eq!(p.status, reqwest::StatusCode::CREATED, "{p:?}");
    let db = viban_db::Db::connect_sized(tls_url.parse()?, 1).await?;
    let (tls_sessions, all): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE s.ssl), count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) \
         WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()",
    )
    .fetch_one(db.pool())
    .await?;
    db.close().await;
    assert!(all > 0 && tls_sessions == all, "{tls_sessions} of viban's {all} connections use TLS");
    let check = server(&["check", "--home"])?.arg(home.path()).output()?;
    assert!(check.status.success(), "{}", text(&check));
    s.signal(Signal::SIGTERM);
    assert!(s.wait_exit(Duration::from_secs(20)).await?.success());
    let down = server(&["check", "--home"])?.arg(home.path()).output()?;
    assert!(!down.status.success(), "check must fail once viban is gone: {}", text(&down));
    pg.shutdown(Duration::from_secs(10)).await;
    Ok(())
}

#[test]
fn a_pool_size_out_of_range_is_refused_with_its_range() -> anyhow::Result<()> {
    let out = server(&["serve", "--db-pool-size", "1"])?.output()?;
    assert!(!out.status.success());
    assert!(text(&out).contains("2..=200") || text(&out).contains("not in 2..=200"), "{}", text(&out));
    Ok(())
}

#[tokio::test]
async fn an_unreachable_database_is_retried_until_its_deadline_and_a_wrong_password_fails_at_once() -> anyhow::Result<()>
{
    // A port nothing listens on (bound, then let go).
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let home = tempfile::tempdir()?;
    let url = format!("postgres://viban:secret@127.0.0.1:{port}/postgres");
    let (status, stderr) =
        ServerProcess::expect_failure(home.path(), &["--database-url", &url], &[("VIBAN_DB_CONNECT_SECS", "3")])
            .await?;
    assert!(!status.success());
    assert!(stderr.contains("retrying"), "no retry: {stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port} could not be reached within 3 s")), "{stderr}");
    assert!(!stderr.contains("secret"), "the password must not be printed: {stderr}");

    let pg_home = tempfile::tempdir()?;
    let (pg, url) = external(pg_home.path(), false).await?;
    let wrong = {
        let (head, tail) = url.split_once('@').unwrap_or((&url, ""));
        let user = head.rsplit_once(':').map_or(head, |(u, _)| u);
        format!("{user}:wrong-password@{tail}")
    };
    let (status, stderr) =
        ServerProcess::expect_failure(home.path(), &["--database-url", &wrong], &[("VIBAN_DB_CONNECT_SECS", "30")])
            .await?;
    assert!(!status.success());
    assert!(stderr.contains("password authentication failed") && !stderr.contains("retrying"), "{stderr}");
    pg.shutdown(Duration::from_secs(10)).await;
    Ok(())
}
