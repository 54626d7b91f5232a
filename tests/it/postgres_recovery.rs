//! Crashes: of viban (kill -9), of PostgreSQL while serving, a stale postmaster.pid; and an external server.

use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use reqwest::{Method, StatusCode};
use serde_json::json;
use viban_core::AppPaths;
use viban_runtime::{EmbeddedPostgres, RestartPolicy, Supervisor};
use viban_test_support::{ServerProcess, git_repo, postmaster_pid, processes_in, wait_until};

async fn seed(server: &ServerProcess, repos: &std::path::Path) -> anyhow::Result<String> {
    let repo = git_repo(repos, "seed")?;
    let p = server.call(Method::POST, "/api/projects", Some(json!({"name": "seed", "repo_path": repo}))).await?;
    let pid = p.str("id");
    for i in 0..5 {
        let t = server
            .call(Method::POST, &format!("/api/projects/{pid}/tasks"), Some(json!({"title": format!("t{i}")})))
            .await?;
        assert_eq!(t.status, StatusCode::CREATED);
    }
    Ok(pid)
}

async fn task_count(server: &ServerProcess, project: &str) -> anyhow::Result<usize> {
    let b = server.call(Method::GET, &format!("/api/projects/{project}/board"), None).await?;
    anyhow::ensure!(b.status == StatusCode::OK, "reading the board: {b:?}");
    Ok(b.body["columns"][0]["tasks"].as_array().map(Vec::len).unwrap_or(0))
}

#[tokio::test]
async fn kill_9_of_viban_then_restart_loses_nothing_and_leaves_no_postgres() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let repos = tempfile::tempdir()?;
    let mut server = ServerProcess::spawn(home.path(), &[]).await?;
    let project = seed(&server, repos.path()).await?;
    let old_pg = postmaster_pid(home.path()).ok_or_else(|| anyhow::anyhow!("no postmaster.pid"))?;
    server.signal(Signal::SIGKILL);
    server.wait_exit(Duration::from_secs(5)).await?;
    // PostgreSQL outlives a crashed viban; the next start must deal with it.
    let server = ServerProcess::spawn(home.path(), &[]).await?;
    assert_eq!(task_count(&server, &project).await?, 5);
    let new_pg = postmaster_pid(home.path()).unwrap_or(old_pg);
    assert_ne!(new_pg, old_pg, "the leftover server was stopped and a supervised one started");
    assert!(!viban_test_support::pid_alive(old_pg), "leftover postmaster {old_pg} is gone");
    Ok(())
}

#[tokio::test]
async fn kill_9_of_postgres_while_serving_recovers_without_restarting_viban() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let repos = tempfile::tempdir()?;
    let server = ServerProcess::spawn(home.path(), &[]).await?;
    let project = seed(&server, repos.path()).await?;
    let old_pg = postmaster_pid(home.path()).ok_or_else(|| anyhow::anyhow!("no postmaster.pid"))?;
    kill(Pid::from_raw(old_pg), Signal::SIGKILL)?;
    // First the restart itself: until the orphaned backends notice their postmaster died, a pooled connection can
    // still answer (a fresh-clone run once created the task below before anything had restarted).
    wait_until("the supervisor to start a new postmaster", Duration::from_secs(60), || async {
        postmaster_pid(home.path()).filter(|&p| p != old_pg && viban_test_support::pid_alive(p))
    })
    .await?;
    let recovered = wait_until("a task to be created again", Duration::from_secs(60), || async {
        let r = server
            .call(Method::POST, &format!("/api/projects/{project}/tasks"), Some(json!({"title": "after crash"})))
            .await
            .ok()?;
        (r.status == StatusCode::CREATED).then_some(())
    });
    recovered.await?;
    // A read right after the restart may still meet a connection of the old server once (the client retries as the
    // UI does); what matters is that it answers and that every committed task is there.
    let count = wait_until("the board to answer", Duration::from_secs(10), || async {
        task_count(&server, &project).await.ok()
    })
    .await?;
    assert_eq!(count, 6, "nothing committed before the crash was lost");
    let health = server.call(Method::GET, "/api/health", None).await?;
    assert_eq!(health.str("database"), "ready");
    assert_ne!(postmaster_pid(home.path()), Some(old_pg));
    Ok(())
}

#[tokio::test]
async fn a_stale_postmaster_pid_is_cleared() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let mut server = ServerProcess::spawn(home.path(), &[]).await?;
    server.signal(Signal::SIGTERM);
    server.wait_exit(Duration::from_secs(5)).await?;
    // A pid that is alive but is not PostgreSQL (ours), as after a reboot that reused the number.
    let pidfile = home.path().join("pg/data/postmaster.pid");
    std::fs::write(&pidfile, format!("{}\n{}\n0\n1\n\n\n\nready\n", std::process::id(), home.path().display()))?;
    let server = ServerProcess::spawn(home.path(), &[]).await?;
    assert_eq!(server.call(Method::GET, "/api/health", None).await?.str("database"), "ready");
    Ok(())
}

#[tokio::test]
async fn an_external_database_url_replaces_the_embedded_server() -> anyhow::Result<()> {
    let pg_home = tempfile::tempdir()?;
    let pg = EmbeddedPostgres::prepare(&AppPaths::under(pg_home.path()))?;
    pg.ensure_cluster().await?;
    let c = pg.connection();
    let url = format!("postgres://{}:{}@{}:{}/{}", c.user, c.password, c.host, c.port, c.database);
    let external = Supervisor::start(pg, RestartPolicy::default()).await?;

    let home = tempfile::tempdir()?;
    let repos = tempfile::tempdir()?;
    let mut server = ServerProcess::spawn(home.path(), &["--database-url", &url]).await?;
    let project = seed(&server, repos.path()).await?;
    assert_eq!(task_count(&server, &project).await?, 5);
    assert!(!home.path().join("pg").exists(), "no embedded cluster in external mode");
    server.signal(Signal::SIGTERM);
    assert!(server.wait_exit(Duration::from_secs(5)).await?.success());
    assert!(!processes_in(&pg_home.path().join("pg/data")).is_empty(), "viban leaves an external server running");
    external.shutdown(Duration::from_secs(10)).await;
    Ok(())
}

#[tokio::test]
async fn when_the_restart_budget_is_spent_the_database_is_down_until_restarted() -> anyhow::Result<()> {
    use viban_runtime::ServiceState;
    use viban_test_support::TestApp;
    let app = TestApp::start_with(|c| {
        c.restart_policy =
            RestartPolicy { max_restarts: 1, first_backoff: Duration::from_millis(20), ..RestartPolicy::default() }
    })
    .await?;
    let repos = tempfile::tempdir()?;
    let project = app.project(repos.path(), "budget").await?;
    let mut status = app.app.status();
    // Record every state the status channel publishes.
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorder = {
        let (seen, mut rx) = (seen.clone(), status.clone());
        tokio::spawn(async move {
            while rx.changed().await.is_ok() {
                let word = rx.borrow().database.word();
                seen.lock().map(|mut v| v.push(word)).ok();
            }
        })
    };
    let pid = |s: &tokio::sync::watch::Receiver<viban_runtime::Status>| s.borrow().database_pid;
    let first = pid(&status).ok_or_else(|| anyhow::anyhow!("no postgres pid"))?;
    kill(Pid::from_raw(first), Signal::SIGKILL)?;
    let second = wait_until("a restarted postgres", Duration::from_secs(30), || {
        let s = status.clone();
        async move { s.borrow().database_pid.filter(|p| *p != first) }
    })
    .await?;
    kill(Pid::from_raw(second), Signal::SIGKILL)?;
    let down = status.wait_for(|s| matches!(s.database, ServiceState::Down(_)));
    tokio::time::timeout(Duration::from_secs(30), down).await??;
    let health = app.get("/api/health").await?;
    assert_eq!(health.str("database"), "down");
    let r = app.post(&format!("/api/projects/{project}/tasks"), json!({"title": "while down"})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::SERVICE_UNAVAILABLE, "database_unavailable"), "{r:?}");

    app.app.restart_services().await;
    let ready = status.wait_for(|s| s.database == ServiceState::Ready);
    tokio::time::timeout(Duration::from_secs(30), ready).await??;
    let recovered = wait_until("the API to answer again", Duration::from_secs(30), || async {
        let r = app.post(&format!("/api/projects/{project}/tasks"), json!({"title": "after"})).await.ok()?;
        (r.status == StatusCode::CREATED).then_some(())
    });
    recovered.await?;
    recorder.abort();
    let seen = seen.lock().map(|v| v.clone()).unwrap_or_default();
    for word in ["degraded", "ready", "down"] {
        assert!(seen.contains(&word), "status went through {word}: {seen:?}");
    }
    // Clean-shutdown timing is asserted by the lifecycle tests; after two crashes the pool may spend its
    // deadline closing broken connections, which is allowed here.
    app.stop().await;
    Ok(())
}
