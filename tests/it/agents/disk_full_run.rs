//! The disk fills up while an agent runs: its output waits (the agent is paused, nothing is dropped), and once
//! there is space again everything is stored and the run ends as it should.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use viban_test_support::{ServerProcess, git_repo, wait_until};

use crate::disk_full::{fill, small_home};

#[tokio::test]
async fn output_written_while_the_disk_is_full_is_stored_once_there_is_space() -> anyhow::Result<()> {
    let outer = tempfile::tempdir()?;
    let Some((disk, home)) = small_home(outer.path())? else { return Ok(()) };
    std::fs::create_dir_all(home.join("config"))?;
    std::fs::write(home.join("config/agents.toml"), super::profiles(""))?;
    let repos = tempfile::tempdir()?;
    let repo = git_repo(repos.path(), "full")?;
    let mut server = ServerProcess::spawn(&home, &[]).await?;
    let call = |m: Method, p: String, b: Option<serde_json::Value>| {
        let server = &server;
        async move { server.call(m, &p, b).await }
    };
    let project = call(Method::POST, "/api/projects".into(), Some(json!({"name": "full", "repo_path": repo}))).await?;
    let project = project.str("id");
    let task = call(Method::POST, format!("/api/projects/{project}/tasks"), Some(json!({"title": "t"}))).await?;
    let run = call(
        Method::POST,
        format!("/api/tasks/{}/runs", task.str("id")),
        Some(json!({"agent": "ask", "prompt": "fill"})),
    )
    .await?;
    let id = run.str("id");
    anyhow::ensure!(!id.is_empty(), "starting: {run:?}");
    wait_until("the question", Duration::from_secs(20), || async {
        let s = call(Method::GET, format!("/api/runs/{id}/screen"), None).await.ok()?;
        s.body["lines"].as_array()?.iter().any(|l| l.as_str().is_some_and(|l| l.contains("Proceed?"))).then_some(())
    })
    .await?;

    let filler = fill(&home)?;
    call(Method::POST, format!("/api/runs/{id}/input"), Some(json!({"data": "yes\r"}))).await?;
    // The agent answered and exited, but its last output cannot be stored yet: the run is not over.
    tokio::time::sleep(Duration::from_secs(2)).await;
    std::fs::remove_file(filler)?;
    let done = wait_until("the run to end once there is space", Duration::from_secs(90), || async {
        let r = call(Method::GET, format!("/api/runs/{id}"), None).await.ok()?;
        (!matches!(r.str("status").as_str(), "running" | "starting" | "queued" | "")).then_some(r)
    })
    .await?;
    assert_eq!(done.str("status"), "succeeded", "{done:?}");
    let screen = call(Method::GET, format!("/api/runs/{id}/screen"), None).await?;
    let text = format!("{:?}", screen.body["lines"]);
    assert!(text.contains("you said: yes"), "output written while the disk was full was lost: {text}");
    server.signal(nix::sys::signal::Signal::SIGTERM);
    server.wait_exit(Duration::from_secs(20)).await?;
    drop(server);
    drop(disk);
    Ok(())
}
