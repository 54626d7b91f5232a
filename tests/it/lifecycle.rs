//! The viban-server process: what it prints and writes, signals, a second instance, bad configurations.

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use nix::sys::signal::Signal;
use reqwest::{Method, StatusCode};
use serde_json::json;
use viban_test_support::{ServerProcess, git_repo, processes_in, server_bin};

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).map(|m| m.permissions().mode() & 0o777).unwrap_or(0)
}

#[tokio::test]
async fn starts_restarts_and_stops_cleanly_on_sigterm_and_sigint() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let repos = tempfile::tempdir()?;
    let mut server = ServerProcess::spawn(home.path(), &[]).await?;
    let info: serde_json::Value = serde_json::from_slice(&std::fs::read(home.path().join("server.json"))?)?;
    assert_eq!(info["pid"].as_i64(), Some(i64::from(server.pid)));
    assert_eq!(info["version"].as_str(), Some(viban_core::VERSION));
    assert_eq!(mode(&home.path().join("server.json")), 0o600);
    assert_eq!(mode(&home.path().join("pg/data")), 0o700);

    let repo = git_repo(repos.path(), "r")?;
    let p = server.call(Method::POST, "/api/projects", Some(json!({"name": "r", "repo_path": repo}))).await?;
    assert_eq!(p.status, StatusCode::CREATED, "{p:?}");
    let pid = p.str("id");
    let t =
        server.call(Method::POST, &format!("/api/projects/{pid}/tasks"), Some(json!({"title": "survives"}))).await?;
    assert_eq!(t.status, StatusCode::CREATED);

    server.signal(Signal::SIGTERM);
    let status = server.wait_exit(Duration::from_secs(5)).await?;
    assert!(status.success(), "clean shutdown exits 0, got {status}");
    assert!(processes_in(&home.path().join("pg/data")).is_empty(), "PostgreSQL must be stopped");
    assert!(!home.path().join("server.json").exists(), "server.json is removed on a clean stop");

    // Warm start: same data; SIGINT takes the same path.
    let mut server = ServerProcess::spawn(home.path(), &[]).await?;
    let board = server.call(Method::GET, &format!("/api/projects/{pid}/board"), None).await?;
    assert_eq!(board.body["columns"][0]["tasks"][0]["title"], "survives");
    server.signal(Signal::SIGINT);
    assert!(server.wait_exit(Duration::from_secs(5)).await?.success());
    assert!(processes_in(&home.path().join("pg/data")).is_empty());
    Ok(())
}

#[tokio::test]
async fn a_second_instance_on_the_same_home_is_refused() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let first = ServerProcess::spawn(home.path(), &[]).await?;
    let (status, stderr) = ServerProcess::expect_failure(home.path(), &[], &[]).await?;
    assert!(!status.success());
    assert!(stderr.contains("already using"), "{stderr}");
    assert!(stderr.contains(&first.pid.to_string()), "names the running instance: {stderr}");
    let health = first.call(Method::GET, "/api/health", None).await?;
    assert_eq!(health.status, StatusCode::OK, "the first instance is unharmed");
    Ok(())
}

#[tokio::test]
async fn bad_configurations_fail_clearly() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    // Homes below are nested: let the PostgreSQL account (under root) reach them, as a normal home allows.
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))?;
    let (status, stderr) =
        ServerProcess::expect_failure(&tmp.path().join("open"), &["--bind", "0.0.0.0:0"], &[]).await?;
    assert!(!status.success() && stderr.contains("--token"), "{stderr}");

    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x")?;
    let (status, stderr) = ServerProcess::expect_failure(&file.join("home"), &[], &[]).await?;
    assert!(!status.success() && stderr.contains("could not create"), "{stderr}");

    let home = tmp.path().join("nopg");
    let (status, stderr) = ServerProcess::expect_failure(&home, &[], &[("VIBAN_PG_BIN", "/nonexistent/bin")]).await?;
    assert!(!status.success() && stderr.contains("VIBAN_PG_BIN"), "{stderr}");

    let (status, stderr) = ServerProcess::expect_failure(&home, &["--database-url", "not a url"], &[]).await?;
    assert!(!status.success() && stderr.contains("--database-url"), "{stderr}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = taken.local_addr()?.to_string();
    let (status, stderr) = ServerProcess::expect_failure(&tmp.path().join("port"), &["--bind", &addr], &[]).await?;
    assert!(!status.success() && stderr.contains("could not listen"), "{stderr}");
    assert!(processes_in(&tmp.path().join("port/pg/data")).is_empty(), "a failed start leaves no PostgreSQL");
    Ok(())
}

#[tokio::test]
async fn doctor_reports_what_it_found() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let out = std::process::Command::new(server_bin()?).args(["doctor", "--home"]).arg(home.path()).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    for what in ["postgresql", "git", "data dir", "disk"] {
        assert!(text.contains(what), "doctor mentions {what}: {text}");
    }
    let out = std::process::Command::new(server_bin()?)
        .args(["doctor", "--home"])
        .arg(home.path())
        .env("VIBAN_PG_BIN", "/nonexistent")
        .output()?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("MISSING"));
    Ok(())
}
