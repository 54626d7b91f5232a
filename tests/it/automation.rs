//! Column automation and the inbox: a script on entering In Review runs once per entry with its output stored, a
//! WIP limit holds under a burst of moves, a paused automation does nothing, a hanging script is stopped by its
//! timeout, failures reach the inbox; and what happened while viban was stopped is done at its next start.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use viban_test_support::{TestApp, wait_until};

use crate::agents::{Fixture, marked_processes, profiles};

async fn automate(app: &TestApp, project: &str, column: &str, body: Value) -> anyhow::Result<Value> {
    let r = app.call(Method::PUT, &format!("/api/projects/{project}/automations/{column}"), Some(body)).await?;
    anyhow::ensure!(r.status == StatusCode::OK, "setting the automation: {r:?}");
    Ok(r.body)
}

async fn move_to(app: &TestApp, task: &str, status: &str) -> anyhow::Result<()> {
    let r = app.call(Method::PATCH, &format!("/api/tasks/{task}"), Some(json!({"status": status}))).await?;
    anyhow::ensure!(r.status.is_success(), "moving {task} to {status}: {r:?}");
    Ok(())
}

async fn scripts_of(app: &TestApp, task: &str) -> anyhow::Result<Vec<Value>> {
    let runs = app.get(&format!("/api/tasks/{task}/runs")).await?.body;
    Ok(runs.as_array().cloned().unwrap_or_default().into_iter().filter(|r| r["kind"] == "script").collect())
}

async fn firings(app: &TestApp, task: &str) -> anyhow::Result<Vec<Value>> {
    Ok(app.get(&format!("/api/tasks/{task}/automations")).await?.body.as_array().cloned().unwrap_or_default())
}

/// A task whose agent run succeeded (so it has a worktree); with `In Review` automated, that is an entry.
async fn reviewed_task(f: &Fixture) -> anyhow::Result<String> {
    let run = f.run("env", "p").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    f.wait_status(&id, "succeeded", Duration::from_secs(30)).await?;
    Ok(run["task_id"].as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn a_script_on_entering_in_review_runs_once_per_entry_with_its_output_stored() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    // Not a column, no script, an unknown agent, out of range: refused with the reason.
    for (column, body, code) in [
        ("sideways", json!({"action": "script", "script": "true"}), "validation"),
        ("in_review", json!({"action": "script"}), "validation"),
        ("in_review", json!({"action": "agent", "agent": "nobody"}), "unknown_agent"),
        ("in_review", json!({"action": "script", "script": "true", "wip_limit": 0}), "validation"),
        ("in_review", json!({"action": "script", "script": "true", "timeout_secs": 90_000}), "validation"),
    ] {
        let path = format!("/api/projects/{}/automations/{column}", f.project);
        let r = f.app.call(Method::PUT, &path, Some(body)).await?;
        assert_eq!(r.code(), code, "{r:?}");
    }
    automate(&f.app, &f.project, "in_review", json!({"action": "script", "script": "echo checked $VIBAN_TASK_ID; ls"}))
        .await?;

    let task = reviewed_task(&f).await?;
    let first = wait_until("the script's run", Duration::from_secs(20), || async {
        let s = scripts_of(&f.app, &task).await.ok()?;
        (s.len() == 1 && s[0]["status"] == "succeeded").then(|| s[0].clone())
    })
    .await?;
    let (bytes, _) = f.transcript(first["id"].as_str().unwrap_or_default()).await?;
    let out = String::from_utf8_lossy(&bytes);
    assert!(out.contains(&format!("checked {task}")), "stored output: {out}");
    assert!(out.contains("agent-output.txt") || out.contains("README"), "it ran in the worktree: {out}");
    // The script did not move the card, and the card's run is still the agent's.
    let board = f.app.columns(&f.project).await?;
    let title = "task for env".to_string();
    assert!(board.iter().any(|(c, ts)| c == "in_review" && ts.contains(&title)), "{board:?}");

    // Out and back in: one more entry. A move within the column is not an entry.
    move_to(&f.app, &task, "in_progress").await?;
    move_to(&f.app, &task, "in_review").await?;
    let r = f.app.call(Method::PATCH, &format!("/api/tasks/{task}"), Some(json!({"position": 0}))).await?;
    assert!(r.status.is_success(), "{r:?}");
    wait_until("the second entry's script", Duration::from_secs(20), || async {
        let s = scripts_of(&f.app, &task).await.ok()?;
        (s.len() == 2 && s.iter().all(|r| r["status"] == "succeeded")).then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let fs = firings(&f.app, &task).await?;
    assert_eq!(fs.len(), 2, "one entry each time it came in: {fs:?}");
    assert!(fs.iter().all(|x| x["state"] == "done" && x["run_id"].is_string()), "{fs:?}");
    assert_eq!(scripts_of(&f.app, &task).await?.len(), 2);
    Ok(())
}

#[tokio::test]
async fn a_wip_limit_holds_under_a_burst_of_moves_and_a_paused_automation_does_nothing() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let mut tasks = Vec::new();
    for _ in 0..5 {
        tasks.push(reviewed_task(&f).await?);
    }
    for t in &tasks {
        move_to(&f.app, t, "in_progress").await?;
    }
    let script = json!({"action": "script", "script": "sleep 1; echo checked", "wip_limit": 2});
    automate(&f.app, &f.project, "in_review", script).await?;
    // All five at once.
    let moves = tasks.iter().map(|t| move_to(&f.app, t, "in_review"));
    for r in futures_util::future::join_all(moves).await {
        r?;
    }
    let most = std::sync::atomic::AtomicU64::new(0);
    let all_done = wait_until("five scripts, two at a time", Duration::from_secs(60), || {
        let (app, project, tasks, most) = (&f.app, &f.project, &tasks, &most);
        async move {
            let list = app.get(&format!("/api/projects/{project}/automations")).await.ok()?.body;
            let running = list[0]["running"].as_u64()?;
            most.fetch_max(running, std::sync::atomic::Ordering::SeqCst);
            // Active runs from one query (one snapshot): reading task after task, a script that ended between two
            // reads and the one started in its slot were both counted.
            let active = app.get("/api/runs").await.ok()?.body;
            let active = active.as_array()?.iter().filter(|r| r["kind"] == "script").count();
            assert!(active <= 2, "{active} scripts at once with a WIP limit of 2");
            let mut done = 0;
            for t in tasks {
                done += scripts_of(app, t).await.ok()?.iter().filter(|s| s["status"] == "succeeded").count();
            }
            (done == 5).then_some(())
        }
    })
    .await;
    all_done?;
    let most = most.load(std::sync::atomic::Ordering::SeqCst);
    assert!(most <= 2, "{most} entries counted running at once");

    // Paused: an entry does nothing, even after it resumes.
    let paused = json!({"action": "script", "script": "echo again", "wip_limit": 2, "paused": true});
    let a = automate(&f.app, &f.project, "in_review", paused).await?;
    assert_eq!(a["paused"], true);
    move_to(&f.app, &tasks[0], "in_progress").await?;
    move_to(&f.app, &tasks[0], "in_review").await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(scripts_of(&f.app, &tasks[0]).await?.len(), 1, "a paused automation started something");
    assert_eq!(firings(&f.app, &tasks[0]).await?.len(), 1);
    let r = f.app.call(Method::DELETE, &format!("/api/projects/{}/automations/in_review", f.project), None).await?;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let list = f.app.get(&format!("/api/projects/{}/automations", f.project)).await?;
    assert_eq!(list.body, json!([]));
    Ok(())
}

#[tokio::test]
async fn a_hanging_script_is_stopped_by_its_timeout_and_failures_wait_in_the_inbox() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let hang = json!({"action": "script", "script": "echo started; sleep 600", "timeout_secs": 2});
    automate(&f.app, &f.project, "in_review", hang).await?;
    let task = reviewed_task(&f).await?;
    let script = wait_until("the script to time out", Duration::from_secs(30), || async {
        let s = scripts_of(&f.app, &task).await.ok()?;
        (s.len() == 1 && s[0]["status"] == "failed").then(|| s[0].clone())
    })
    .await?;
    let id = script["id"].as_str().unwrap_or_default().to_string();
    assert!(script["error"].as_str().unwrap_or_default().contains("timed out after 2 s"), "{script}");
    assert!(marked_processes(&id).is_empty(), "left running: {:?}", marked_processes(&id));
    let (bytes, _) = f.transcript(&id).await?;
    assert!(String::from_utf8_lossy(&bytes).contains("started"), "its output is stored");

    // A card with no worktree cannot run a script: the entry fails with the reason.
    let bare = f.task("never ran").await?;
    move_to(&f.app, &bare, "in_review").await?;
    wait_until("the entry to fail", Duration::from_secs(10), || async {
        let fs = firings(&f.app, &bare).await.ok()?;
        (fs.len() == 1 && fs[0]["state"] == "failed").then_some(())
    })
    .await?;

    // Both wait in the inbox (with a failed agent run and one waiting for input), oldest first.
    let failed_run = f.run("fail", "p").await?;
    f.wait_status(failed_run["id"].as_str().unwrap_or_default(), "failed", Duration::from_secs(30)).await?;
    let asking = f.run("ask", "p").await?;
    let asking_id = asking["id"].as_str().unwrap_or_default().to_string();
    f.wait_screen(&asking_id, "Proceed?").await?;
    let inbox = wait_until("four things in the inbox", Duration::from_secs(20), || async {
        let items = f.app.get("/api/inbox").await.ok()?.body["items"].as_array().cloned()?;
        (items.len() >= 4 && items.iter().any(|i| i["kind"] == "waiting")).then_some(items)
    })
    .await?;
    let kinds: Vec<&str> = inbox.iter().filter_map(|i| i["kind"].as_str()).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "automation_failed").count(), 2, "{inbox:?}");
    assert!(kinds.contains(&"failed") && kinds.contains(&"waiting"), "{inbox:?}");
    let since: Vec<&str> = inbox.iter().filter_map(|i| i["since"].as_str()).collect();
    assert!(since.windows(2).all(|w| w[0] <= w[1]), "oldest first: {since:?}");
    let waiting = inbox.iter().find(|i| i["kind"] == "waiting").cloned().unwrap_or_default();
    assert!(waiting["text"].as_str().unwrap_or_default().contains("Proceed?"), "{waiting}");
    assert_eq!(waiting["agent_name"], "ask");

    // Dismissed failures leave; an answered agent leaves once it prints again.
    for item in inbox.iter().filter(|i| i["kind"] == "automation_failed" || i["kind"] == "failed") {
        let body = match item["firing_id"].as_str() {
            Some(firing) => json!({"firing_id": firing}),
            None => json!({"run_id": item["run_id"]}),
        };
        let r = f.app.post("/api/inbox/dismiss", body).await?;
        assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    }
    let r = f.app.post("/api/inbox/dismiss", json!({})).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = f.app.post(&format!("/api/runs/{asking_id}/input"), json!({"data": "y\r"})).await?;
    assert!(r.status.is_success(), "{r:?}");
    wait_until("an empty inbox but the finished run", Duration::from_secs(20), || async {
        let items = f.app.get("/api/inbox").await.ok()?.body["items"].as_array().cloned()?;
        items.iter().all(|i| i["kind"] == "review").then_some(())
    })
    .await?;
    Ok(())
}

/// An app on `db` (an external cluster, so the database outlives it) whose agents are the fake ones, with its
/// worktrees in `worktrees` (outliving the app's home too).
async fn app_on(db: &str, worktrees: &std::path::Path) -> anyhow::Result<TestApp> {
    let db = db.to_string();
    let config = format!("[runs]\nworktree_root = {:?}\n", worktrees.display().to_string());
    TestApp::start_with(move |c| {
        c.database_url = Some(db);
        c.db_pool_size = 4;
        c.ladder = crate::agents::viban_agents_ladder();
        if let Some(home) = &c.home {
            let _ = std::fs::create_dir_all(home.join("config"));
            let _ = std::fs::write(home.join("config/agents.toml"), profiles(&config));
        }
    })
    .await
}

#[tokio::test]
async fn what_happened_while_viban_was_stopped_is_done_at_the_next_start() -> anyhow::Result<()> {
    let pg_dir = tempfile::tempdir()?;
    let (pg, url) = viban_test_support::external_pg::start(pg_dir.path(), false).await?;
    let db = viban_test_support::external_pg::fresh_database(&url).await?;
    let (repos, worktrees) = (tempfile::tempdir()?, tempfile::tempdir()?);
    let first = app_on(&db, worktrees.path()).await?;
    let project = first.project(repos.path(), "later").await?;
    let new_task = |title: &'static str| {
        let (app, project) = (&first, project.clone());
        async move {
            Ok::<_, anyhow::Error>(
                app.post(&format!("/api/projects/{project}/tasks"), json!({"title": title})).await?.str("id"),
            )
        }
    };
    let (blocker, waiting, reviewed) = (new_task("schema").await?, new_task("api").await?, new_task("checked").await?);
    first.post(&format!("/api/tasks/{waiting}/dependencies"), json!({"blocker_id": blocker})).await?;
    let r = first
        .call(Method::PUT, &format!("/api/tasks/{waiting}/auto-start"), Some(json!({"agent": "env", "prompt": "go"})))
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let run =
        first.post(&format!("/api/tasks/{reviewed}/runs"), json!({"agent": "env", "prompt": "p"})).await?.str("id");
    wait_until("the run to succeed", Duration::from_secs(30), || async {
        (first.get(&format!("/api/runs/{run}")).await.ok()?.body["status"] == "succeeded").then_some(())
    })
    .await?;
    move_to(&first, &reviewed, "in_progress").await?;
    automate(&first, &project, "in_review", json!({"action": "script", "script": "echo late"})).await?;
    assert!(first.stop().await, "the first app stopped cleanly");

    // Another viban on the same database (or the user's SQL) moves both cards while this one is stopped.
    let pool = sqlx::PgPool::connect(&db).await?;
    for (task, status) in [(&blocker, "done"), (&reviewed, "in_review")] {
        sqlx::query("UPDATE tasks SET status = $2 WHERE id = $1::uuid").bind(task).bind(status).execute(&pool).await?;
    }
    pool.close().await;

    let second = app_on(&db, worktrees.path()).await?;
    wait_until("the auto-start and the automation at the next start", Duration::from_secs(30), || async {
        let runs = second.get(&format!("/api/tasks/{waiting}/runs")).await.ok()?.body;
        let started = runs.as_array()?.iter().filter(|r| r["kind"] == "agent").count();
        let scripts = scripts_of(&second, &reviewed).await.ok()?;
        (started == 1 && scripts.len() == 1 && scripts[0]["status"] == "succeeded").then_some(())
    })
    .await?;
    tokio::time::sleep(Duration::from_millis(800)).await;
    // Its run entering In Review ran the automation on that task too: count the agent's runs.
    let runs = second.get(&format!("/api/tasks/{waiting}/runs")).await?.body;
    let agents = runs.as_array().map_or(0, |rs| rs.iter().filter(|r| r["kind"] == "agent").count());
    assert_eq!(agents, 1, "the auto-start fired once: {runs}");
    assert_eq!(scripts_of(&second, &reviewed).await?.len(), 1, "once");
    second.stop().await;
    pg.shutdown(Duration::from_secs(10)).await;
    Ok(())
}

#[tokio::test]
async fn an_agent_automation_starts_the_agent_with_its_prompt_filled_in() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let prompt = "Work on {title}: {description} ({branch}) {nothing}";
    automate(&f.app, &f.project, "in_progress", json!({"action": "agent", "agent": "env", "prompt": prompt})).await?;
    let task = f
        .app
        .post(&format!("/api/projects/{}/tasks", f.project), json!({"title": "Tidy", "description": "the docs"}))
        .await?
        .str("id");
    move_to(&f.app, &task, "in_progress").await?;
    let run = wait_until("the automation's agent run", Duration::from_secs(20), || async {
        let runs = f.app.get(&format!("/api/tasks/{task}/runs")).await.ok()?.body;
        runs.as_array()?.iter().find(|r| r["kind"] == "agent").cloned()
    })
    .await?;
    // A task that never ran has no branch yet: `{branch}` is empty; unknown braces stay.
    assert_eq!(run["prompt"], "Work on Tidy: the docs () {nothing}", "{run}");
    assert_eq!(run["agent"], "env");
    let fs = wait_until("the entry to be done", Duration::from_secs(30), || async {
        let fs = firings(&f.app, &task).await.ok()?;
        (fs.len() == 1 && fs[0]["state"] == "done").then_some(fs)
    })
    .await?;
    assert_eq!(fs[0]["run_id"], run["id"]);

    // The user's own start moves a card into In Progress: the automation does not start a second agent.
    let mine = f.run("linger", "mine").await?;
    let mine_task = mine["task_id"].as_str().unwrap_or_default().to_string();
    let skipped = wait_until("the entry to be skipped", Duration::from_secs(20), || async {
        let fs = firings(&f.app, &mine_task).await.ok()?;
        (fs.len() == 1 && fs[0]["state"] == "done").then(|| fs[0].clone())
    })
    .await?;
    assert!(skipped["run_id"].is_null(), "{skipped}");
    assert!(skipped["error"].as_str().unwrap_or_default().contains("already runs"), "{skipped}");
    let stop = f.app.post(&format!("/api/runs/{}/stop", mine["id"].as_str().unwrap_or_default()), json!({})).await?;
    assert!(stop.status.is_success(), "{stop:?}");

    // An agent automation on In Review: its own run's end brings the card back, and that is not a new start.
    let r = f.app.call(Method::DELETE, &format!("/api/projects/{}/automations/in_progress", f.project), None).await?;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    automate(&f.app, &f.project, "in_review", json!({"action": "agent", "agent": "env", "prompt": "review {title}"}))
        .await?;
    let reviewed = reviewed_task(&f).await?;
    let fs = wait_until("the review run and the bounce", Duration::from_secs(30), || async {
        let fs = firings(&f.app, &reviewed).await.ok()?;
        (fs.len() == 2 && fs.iter().all(|x| x["state"] == "done")).then_some(fs)
    })
    .await?;
    assert!(fs[0]["error"].as_str().unwrap_or_default().contains("own run ended"), "newest first: {fs:?}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let runs = f.app.get(&format!("/api/tasks/{reviewed}/runs")).await?.body;
    assert_eq!(runs.as_array().map_or(0, Vec::len), 2, "the first run and the review, no loop: {runs}");
    Ok(())
}
