//! Finding: "deleting a task (or project) whose agent is running leaves the agent running": no way to stop it
//! from the UI (its run answers 404), its output could no longer be stored, and the next shutdown waited for it.
//! DELETE now stops the task's or project's active runs (queued ones dropped) and answers once they are gone.

use std::time::Duration;

use nix::sys::signal::Signal;
use reqwest::{Method, StatusCode};
use serde_json::json;
use viban_test_support::{ServerProcess, wait_until};

use super::{Fixture, marked_processes, profiles};

/// Waits until the stubborn agent, its grandchild and its daemon all run.
async fn all_three_running(run: &str) -> anyhow::Result<Vec<i32>> {
    wait_until("three marked processes", Duration::from_secs(20), || async {
        let p = marked_processes(run);
        (p.len() >= 3).then_some(p)
    })
    .await
}

#[tokio::test]
async fn deleting_a_task_stops_its_running_and_queued_agents_first() -> anyhow::Result<()> {
    let f = Fixture::start("[runs]\nmax_concurrent = 1\n").await?;
    let run = f.run("stubborn", "work").await?;
    let (id, task) = (run["id"].as_str().unwrap_or_default(), run["task_id"].as_str().unwrap_or_default());
    let before = all_three_running(id).await?;
    // A second attempt on the same task waits in the queue (one slot).
    let queued = f.app.post(&format!("/api/tasks/{task}/runs"), json!({"agent": "linger", "prompt": "next"})).await?;
    assert_eq!(queued.body["status"], "queued", "{queued:?}");

    let r = f.app.delete(&format!("/api/tasks/{task}")).await?;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    assert!(marked_processes(id).is_empty(), "left running: {:?} (were {before:?})", marked_processes(id));
    assert!(marked_processes(&queued.str("id")).is_empty(), "the queued run started after all");
    assert_eq!(f.app.get(&format!("/api/runs/{id}")).await?.status, StatusCode::NOT_FOUND);
    let active = f.app.get("/api/runs").await?;
    assert_eq!(active.body.as_array().map(Vec::len), Some(0), "{active:?}");

    // The slot is free again: another task's run starts.
    let next = f.run("fail", "x").await?;
    f.wait_status(next["id"].as_str().unwrap_or_default(), "failed", Duration::from_secs(30)).await?;
    assert!(f.app.stop().await);
    Ok(())
}

#[tokio::test]
async fn deleting_a_project_stops_its_running_agents_and_shutdown_stays_clean() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    std::fs::create_dir_all(home.path().join("config"))?;
    std::fs::write(home.path().join("config/agents.toml"), profiles(""))?;
    let repos = tempfile::tempdir()?;
    let repo = viban_test_support::git_repo(repos.path(), "doomed")?;
    let mut server = ServerProcess::spawn(home.path(), &[]).await?;
    let body = json!({"name": "doomed", "repo_path": repo});
    let project = server.call(Method::POST, "/api/projects", Some(body)).await?.str("id");
    let body = json!({"title": "long job"});
    let task = server.call(Method::POST, &format!("/api/projects/{project}/tasks"), Some(body)).await?.str("id");
    let body = json!({"agent": "stubborn", "prompt": "p"});
    let id = server.call(Method::POST, &format!("/api/tasks/{task}/runs"), Some(body)).await?.str("id");
    anyhow::ensure!(!id.is_empty(), "the run did not start");
    let before = all_three_running(&id).await?;

    let r = server.call(Method::DELETE, &format!("/api/projects/{project}"), None).await?;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    assert!(marked_processes(&id).is_empty(), "left running: {:?} (were {before:?})", marked_processes(&id));
    let r = server.call(Method::GET, &format!("/api/runs/{id}"), None).await?;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // Nothing is left for shutdown to stop or store: it exits cleanly.
    server.signal(Signal::SIGTERM);
    assert!(server.wait_exit(Duration::from_secs(60)).await?.success());
    Ok(())
}
