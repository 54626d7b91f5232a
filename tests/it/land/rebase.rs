//! Rebase: refused under a running agent and with uncommitted work; conflicts listed; the rebase survives a
//! restart of viban (it is git's own state); abort restores the branch exactly.

use std::path::PathBuf;
use std::time::Duration;

use nix::sys::signal::Signal;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use viban_test_support::{ServerProcess, wait_until};

use super::{git, writers};
use crate::agents::profiles;

async fn call(
    s: &ServerProcess,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> anyhow::Result<viban_test_support::Reply> {
    s.call(method, path, body).await
}

#[tokio::test]
async fn a_conflicting_rebase_lists_conflicts_survives_a_restart_and_aborts_exactly() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    std::fs::create_dir_all(home.path().join("config"))?;
    std::fs::write(home.path().join("config/agents.toml"), format!("{}\n{}", profiles(""), writers()))?;
    let repos = tempfile::tempdir()?;
    let repo = viban_test_support::git_repo(repos.path(), "rebase")?;
    git(&repo, &["config", "user.name", "viban-test"])?;
    git(&repo, &["config", "user.email", "test@viban.invalid"])?;

    let mut server = ServerProcess::spawn(home.path(), &[]).await?;
    let project = call(&server, Method::POST, "/api/projects", Some(json!({"name": "rebase", "repo_path": repo})))
        .await?
        .str("id");
    let task =
        call(&server, Method::POST, &format!("/api/projects/{project}/tasks"), Some(json!({"title": "conflict"})))
            .await?
            .str("id");

    // Refused while an agent runs in the worktree.
    let r = call(
        &server,
        Method::POST,
        &format!("/api/tasks/{task}/runs"),
        Some(json!({"agent": "linger", "prompt": "p"})),
    )
    .await?;
    let lingering = r.str("id");
    wait_until("the agent running", Duration::from_secs(20), || async {
        let r = call(&server, Method::GET, &format!("/api/runs/{lingering}"), None).await.ok()?;
        (r.body["status"] == "running").then_some(())
    })
    .await?;
    let r = call(&server, Method::POST, &format!("/api/runs/{lingering}/rebase"), None).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "run_active"), "{r:?}");
    call(&server, Method::POST, &format!("/api/runs/{lingering}/stop"), None).await?;

    let r = call(
        &server,
        Method::POST,
        &format!("/api/tasks/{task}/runs"),
        Some(json!({"agent": "writer", "prompt": "p"})),
    )
    .await?;
    let run = r.str("id");
    let done = wait_until("the writer done", Duration::from_secs(30), || async {
        let r = call(&server, Method::GET, &format!("/api/runs/{run}"), None).await.ok()?;
        (r.body["status"] == "succeeded").then_some(r.body)
    })
    .await?;
    let wt = PathBuf::from(done["worktree_path"].as_str().unwrap_or_default());
    let branch = done["branch"].as_str().unwrap_or_default().to_string();
    let r = call(&server, Method::POST, &format!("/api/runs/{run}/rebase"), Some(json!({}))).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "uncommitted"), "{r:?}");
    let r =
        call(&server, Method::POST, &format!("/api/runs/{run}/commit"), Some(json!({"message": "agent's feature"})))
            .await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");

    // main changes the same file.
    std::fs::write(repo.join("feature.txt"), "main's own work\n")?;
    git(&repo, &["add", "feature.txt"])?;
    git(&repo, &["commit", "-q", "-m", "main's feature"])?;
    let before = git(&wt, &["rev-parse", &branch])?;

    let r = call(&server, Method::POST, &format!("/api/runs/{run}/rebase"), None).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body["rebase"], json!({"onto": "main", "conflicts": ["feature.txt"]}), "{r:?}");
    assert_eq!(r.body["behind"], 1);

    // A restart of viban: the rebase is git's state in the worktree, still reported.
    server.signal(Signal::SIGTERM);
    assert!(server.wait_exit(Duration::from_secs(60)).await?.success());
    let mut server = ServerProcess::spawn(home.path(), &[]).await?;
    let r = call(&server, Method::GET, &format!("/api/runs/{run}/git"), None).await?;
    assert_eq!(r.body["rebase"], json!({"onto": "main", "conflicts": ["feature.txt"]}), "{r:?}");
    let r = call(&server, Method::POST, &format!("/api/runs/{run}/merge"), Some(json!({"squash": false}))).await?;
    assert_eq!(r.status, StatusCode::CONFLICT, "no merge mid-rebase: {r:?}");

    let r = call(&server, Method::POST, &format!("/api/runs/{run}/rebase/abort"), None).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body["rebase"], Value::Null);
    assert_eq!(r.body["uncommitted"], json!([]));
    assert_eq!(git(&wt, &["rev-parse", &branch])?, before, "the same commit");
    assert_eq!(git(&wt, &["rev-parse", "--abbrev-ref", "HEAD"])?, branch, "back on the branch");
    assert_eq!(std::fs::read_to_string(wt.join("feature.txt"))?, "agent work\n", "the same files");
    let r = call(&server, Method::POST, &format!("/api/runs/{run}/rebase/abort"), None).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "no_rebase"), "{r:?}");

    server.signal(Signal::SIGTERM);
    assert!(server.wait_exit(Duration::from_secs(60)).await?.success());
    Ok(())
}
