//! Task dependencies: a blocked task cannot start (the refusal names its blockers), cycles and cross-project links
//! are refused, and an auto-start fires exactly once, when the last blocker goes Done.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::json;
use viban_test_support::wait_until;

use crate::agents::Fixture;

async fn deps(f: &Fixture, task: &str, body: serde_json::Value) -> anyhow::Result<viban_test_support::Reply> {
    f.app.call(Method::POST, &format!("/api/tasks/{task}/dependencies"), Some(body)).await
}

async fn move_to(f: &Fixture, task: &str, status: &str) -> anyhow::Result<()> {
    let r = f.app.call(Method::PATCH, &format!("/api/tasks/{task}"), Some(json!({"status": status}))).await?;
    anyhow::ensure!(r.status.is_success(), "moving {task} to {status}: {r:?}");
    Ok(())
}

async fn runs_of(f: &Fixture, task: &str) -> anyhow::Result<usize> {
    Ok(f.app.get(&format!("/api/tasks/{task}/runs")).await?.body.as_array().map_or(0, Vec::len))
}

#[tokio::test]
async fn a_blocked_task_cannot_start_and_cycles_self_links_and_other_projects_are_refused() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let (a, b, c) = (f.task("schema").await?, f.task("api").await?, f.task("ui").await?);
    let r = deps(&f, &b, json!({"blocker_id": a})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body["blocked"], true);
    assert_eq!(r.body["blockers"][0]["title"], "schema");
    deps(&f, &c, json!({"blocker_id": b})).await?;
    let start = f.app.post(&format!("/api/tasks/{b}/runs"), json!({"agent": "ask", "prompt": "p"})).await?;
    assert_eq!(start.status, StatusCode::CONFLICT, "{start:?}");
    assert_eq!(start.code(), "task_blocked");
    assert!(start.body["message"].as_str().unwrap_or_default().contains("schema"), "{start:?}");
    let cycle = deps(&f, &a, json!({"blocker_id": c})).await?;
    assert_eq!((cycle.status, cycle.code()), (StatusCode::CONFLICT, "dependency_cycle"), "{cycle:?}");
    let own = deps(&f, &a, json!({"blocker_id": a})).await?;
    assert_eq!(own.status, StatusCode::BAD_REQUEST);
    let other_repos = tempfile::tempdir()?;
    let other = f.app.project(other_repos.path(), "other").await?;
    let far = f.app.post(&format!("/api/projects/{other}/tasks"), json!({"title": "far"})).await?.str("id");
    let cross = deps(&f, &a, json!({"blocker_id": far})).await?;
    assert_eq!(cross.status, StatusCode::BAD_REQUEST, "{cross:?}");
    let missing = deps(&f, &a, json!({"blocker_id": uuid::Uuid::now_v7()})).await?;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{missing:?}");

    // Done unblocks; removing a blocker does too.
    move_to(&f, &a, "done").await?;
    let started = f.app.post(&format!("/api/tasks/{b}/runs"), json!({"agent": "ask", "prompt": "p"})).await?;
    assert_eq!(started.status, StatusCode::CREATED, "{started:?}");
    let r = f.app.call(Method::DELETE, &format!("/api/tasks/{c}/dependencies/{b}"), None).await?;
    assert_eq!(r.body["blocked"], false, "{r:?}");
    Ok(())
}

#[tokio::test]
async fn an_auto_start_fires_exactly_once_when_the_last_blocker_goes_done() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let (a, b, c) = (f.task("first").await?, f.task("second").await?, f.task("then this").await?);
    deps(&f, &c, json!({"blocker_id": a})).await?;
    deps(&f, &c, json!({"blocker_id": b})).await?;
    let set = json!({"agent": "fail", "prompt": "go on"});
    let r = f.app.call(Method::PUT, &format!("/api/tasks/{c}/auto-start"), Some(set)).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body["auto_start"]["agent"], "fail");
    let path = format!("/api/tasks/{c}/auto-start");
    let bad = f.app.call(Method::PUT, &path, Some(json!({"agent": "nobody", "prompt": ""}))).await?;
    assert_eq!(bad.code(), "unknown_agent");

    move_to(&f, &a, "done").await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(runs_of(&f, &c).await?, 0, "one blocker is still open");
    move_to(&f, &b, "done").await?;
    wait_until("the auto-start's run", Duration::from_secs(10), || async {
        (runs_of(&f, &c).await.ok()? == 1).then_some(())
    })
    .await?;
    // Back and forth: it does not fire again.
    move_to(&f, &b, "in_review").await?;
    move_to(&f, &b, "done").await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(runs_of(&f, &c).await?, 1, "fired once");
    let d = f.app.get(&format!("/api/tasks/{c}/dependencies")).await?;
    assert!(d.body["auto_start"]["fired_at"].is_string(), "{d:?}");
    Ok(())
}
