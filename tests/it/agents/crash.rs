//! The app dies mid-run (kill -9): the agents it started are stopped at the next start through the process ledger,
//! the run is `interrupted`, and its transcript is intact up to the crash.

use std::time::Duration;

use nix::sys::signal::Signal;
use serde_json::json;
use viban_test_support::{ServerProcess, wait_until};

use super::{marked_processes, profiles};

#[tokio::test]
async fn after_a_crash_the_next_start_reaps_the_agents_and_marks_the_run_interrupted() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    std::fs::create_dir_all(home.path().join("config"))?;
    std::fs::write(home.path().join("config/agents.toml"), profiles(""))?;
    let repos = tempfile::tempdir()?;
    let repo = viban_test_support::git_repo(repos.path(), "crash")?;

    let mut server = ServerProcess::spawn(home.path(), &[]).await?;
    let project =
        server.call(reqwest::Method::POST, "/api/projects", Some(json!({"name": "crash", "repo_path": repo}))).await?;
    let project = project.str("id");
    let task = server
        .call(reqwest::Method::POST, &format!("/api/projects/{project}/tasks"), Some(json!({"title": "long job"})))
        .await?
        .str("id");
    let run = server
        .call(
            reqwest::Method::POST,
            &format!("/api/tasks/{task}/runs"),
            Some(json!({"agent": "stubborn", "prompt": "p"})),
        )
        .await?;
    let id = run.str("id");
    anyhow::ensure!(!id.is_empty(), "starting: {run:?}");
    wait_until("the agent's helpers", Duration::from_secs(20), || async {
        (marked_processes(&id).len() >= 3).then_some(())
    })
    .await?;
    // What the store holds before the crash (the export reads only the store) must all be there after it.
    let before = wait_until("the daemon line stored", Duration::from_secs(10), || async {
        let r = server.call(reqwest::Method::GET, &format!("/api/runs/{id}"), None).await.ok()?;
        let stored = r.body["output_bytes"].as_u64()?;
        let screen = server.call(reqwest::Method::GET, &format!("/api/runs/{id}/screen"), None).await.ok()?;
        let live = format!("{:?}", screen.body["lines"]);
        (stored > 0 && live.contains("started daemon") && screen.body["offset"].as_u64()? <= stored).then_some(stored)
    })
    .await?;

    server.signal(Signal::SIGKILL);
    server.wait_exit(Duration::from_secs(10)).await?;
    // The agents outlive a crash of the app (they are in sessions of their own)…
    let orphans = marked_processes(&id);
    assert!(orphans.len() >= 3, "expected the agent to outlive the crash: {orphans:?}");

    // …until the next start.
    let server = ServerProcess::spawn(home.path(), &[]).await?;
    assert!(marked_processes(&id).is_empty(), "still running after restart: {:?}", marked_processes(&id));
    let run = server.call(reqwest::Method::GET, &format!("/api/runs/{id}"), None).await?;
    assert_eq!(run.body["status"], "interrupted", "{run:?}");
    let stored = run.body["output_bytes"].as_u64().unwrap_or(0);
    assert!(stored >= before, "stored {stored} bytes after the crash, {before} before: {run:?}");
    let screen = server.call(reqwest::Method::GET, &format!("/api/runs/{id}/screen"), None).await?;
    let text = screen.body["lines"].as_array().map(|l| format!("{l:?}")).unwrap_or_default();
    assert!(text.contains("started daemon"), "transcript lost before the crash: {text}");
    drop(server);
    Ok(())
}
