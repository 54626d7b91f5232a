//! The board through the API: create, order, move, edit, delete, history.

use reqwest::StatusCode;
use serde_json::json;
use viban_test_support::TestApp;

#[tokio::test]
async fn tasks_are_created_moved_reordered_edited_and_deleted() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let repos = tempfile::tempdir()?;
    let p = app.project(repos.path(), "alpha").await?;

    let projects = app.get("/api/projects").await?;
    assert_eq!(projects.body.as_array().map(Vec::len), Some(1));
    assert_eq!(projects.body[0]["default_branch"], "main");

    let mut ids = Vec::new();
    for t in ["one", "two", "three"] {
        let r = app.post(&format!("/api/projects/{p}/tasks"), json!({"title": t, "description": "**md**"})).await?;
        assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
        ids.push(r.str("id"));
    }
    // New tasks go on top.
    let cols = app.columns(&p).await?;
    assert_eq!(
        cols.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
        ["todo", "in_progress", "in_review", "done", "cancelled"]
    );
    assert_eq!(cols[0].1, ["three", "two", "one"]);

    // Move "one" to In Progress, then "two" below it, then reorder within Todo.
    let r = app.patch(&format!("/api/tasks/{}", ids[0]), json!({"status": "in_progress"})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    app.patch(&format!("/api/tasks/{}", ids[1]), json!({"status": "in_progress", "position": 1})).await?;
    app.post(&format!("/api/projects/{p}/tasks"), json!({"title": "four"})).await?;
    app.patch(&format!("/api/tasks/{}", ids[2]), json!({"position": 1})).await?;
    let cols = app.columns(&p).await?;
    assert_eq!(cols[0].1, ["four", "three"]);
    assert_eq!(cols[1].1, ["one", "two"]);

    // A position past the end appends.
    app.patch(&format!("/api/tasks/{}", ids[0]), json!({"position": 99})).await?;
    assert_eq!(app.columns(&p).await?[1].1, ["two", "one"]);

    // Edits are validated and recorded.
    let r = app.patch(&format!("/api/tasks/{}", ids[0]), json!({"title": "  "})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "validation"));
    let r = app.patch(&format!("/api/tasks/{}", ids[0]), json!({"title": "one!", "description": "new"})).await?;
    assert_eq!(r.str("title"), "one!");
    let r = app.patch(&format!("/api/tasks/{}", ids[0]), json!({"status": "finished"})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "bad_json"));

    // Delete keeps the history, with a snapshot.
    let r = app.delete(&format!("/api/tasks/{}", ids[0])).await?;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert_eq!(app.get(&format!("/api/tasks/{}", ids[0])).await?.status, StatusCode::NOT_FOUND);
    let history = app.get(&format!("/api/tasks/{}/events", ids[0])).await?;
    let kinds: Vec<&str> = history.body.as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["created", "moved", "moved", "updated", "deleted"]);
    assert_eq!(history.body[4]["data"]["title"], "one!");
    assert_eq!(app.columns(&p).await?[1].1, ["two"]);
    assert!(app.stop().await, "shutdown should be clean");
    Ok(())
}

#[tokio::test]
async fn concurrent_moves_keep_a_total_order() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let repos = tempfile::tempdir()?;
    let p = app.project(repos.path(), "race").await?;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(app.post(&format!("/api/projects/{p}/tasks"), json!({"title": format!("t{i}")})).await?.str("id"));
    }
    // Everyone moves to the top of Done at once: all land, all distinct, none lost.
    let paths: Vec<String> = ids.iter().map(|id| format!("/api/tasks/{id}")).collect();
    let moves = paths.iter().map(|path| app.patch(path, json!({"status": "done", "position": 0})));
    for r in futures_util::future::join_all(moves).await {
        assert_eq!(r?.status, StatusCode::OK);
    }
    let board = app.get(&format!("/api/projects/{p}/board")).await?;
    let done = board.body["columns"][3]["tasks"].as_array().unwrap().clone();
    assert_eq!(done.len(), 20);
    let keys: Vec<&str> = done.iter().map(|t| t["position"].as_str().unwrap()).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted, keys, "positions must be distinct and in order");
    app.stop().await;
    Ok(())
}
