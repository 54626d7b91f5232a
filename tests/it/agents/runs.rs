//! A run's whole life, the TUI handshake with no viewer, many runs at once, and the queue.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use viban_test_support::wait_until;

use super::{Fixture, marked_processes};

#[tokio::test]
async fn a_run_streams_stores_takes_input_edits_files_and_lands_in_review() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let prompt = "fix it; rm -rf / `x` $(y) \"q\" 'z' | && >";
    let run = f.run("ask", prompt).await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    assert!(run["branch"].as_str().is_some_and(|b| b.starts_with("viban/task-for-ask-")), "{run}");
    let worktree = std::path::PathBuf::from(run["worktree_path"].as_str().unwrap_or_default());
    assert!(worktree.starts_with(f.app.home()), "worktree under the data dir: {}", worktree.display());

    // The question shows on the server-side screen; the prompt arrived verbatim (no shell in between).
    let screen = f.wait_screen(&id, "Proceed?").await?;
    assert!(screen.contains(&format!("task: {prompt}")), "{screen}");
    let running = f.get_run(&id).await?;
    assert_eq!(running["status"], "running");
    let board = f.app.columns(&f.project).await?;
    assert!(board.iter().any(|(s, t)| s == "in_progress" && t.contains(&"task for ask".to_string())), "{board:?}");

    let r = f.app.post(&format!("/api/runs/{id}/input"), json!({"data": "yes\r"})).await?;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    let done = f.wait_status(&id, "succeeded", Duration::from_secs(30)).await?;
    assert_eq!(done["exit_code"], 0);
    assert_eq!(std::fs::read_to_string(worktree.join("agent-output.txt"))?, "done\n");
    let changed = wait_until("changed-file count", Duration::from_secs(10), || async {
        let n = f.get_run(&id).await.ok()?["changed_files"].as_i64()?;
        (n >= 1).then_some(n)
    })
    .await?;
    assert_eq!(changed, 1);
    // The card moves right after the run's end is recorded (not in the same write): wait for it.
    wait_until("the card in In Review", Duration::from_secs(10), || async {
        let board = f.app.columns(&f.project).await.ok()?;
        board.iter().any(|(s, t)| s == "in_review" && t.contains(&"task for ask".to_string())).then_some(())
    })
    .await?;

    // Stored: the whole output replays through the terminal socket, and exports as asciicast v2.
    let (bytes, exit) = f.transcript(&id).await?;
    assert_eq!(exit["status"], "succeeded");
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("\x1b[1;35mfake-agent") && text.contains("you said: yes"), "{text}");
    assert_eq!(done["output_bytes"].as_u64(), Some(bytes.len() as u64));
    let cast = f.app.client.get(f.app.url(&format!("/api/runs/{id}/transcript.cast"))).bearer_auth(&f.app.app.token);
    let cast = cast.send().await?.text().await?;
    let mut lines = cast.lines();
    let header: serde_json::Value = serde_json::from_str(lines.next().unwrap_or_default())?;
    assert_eq!(header["version"], 2);
    let mut replayed = String::new();
    for l in lines {
        let ev: serde_json::Value = serde_json::from_str(l)?;
        assert_eq!(ev[1], "o");
        replayed.push_str(ev[2].as_str().unwrap_or_default());
    }
    assert_eq!(replayed, text);

    // A follow-up runs in the same worktree and branch.
    let r = f.app.post(&format!("/api/runs/{id}/follow-up"), json!({"prompt": "again"})).await?;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.body["worktree_path"], done["worktree_path"]);
    assert_eq!(r.body["branch"], done["branch"]);
    let next = r.str("id");
    f.wait_screen(&next, "Proceed?").await?;
    f.app.post(&format!("/api/runs/{next}/input"), json!({"data": "no\r"})).await?;
    f.wait_status(&next, "succeeded", Duration::from_secs(30)).await?;
    let task = done["task_id"].as_str().unwrap_or_default();
    let runs = f.app.get(&format!("/api/tasks/{task}/runs")).await?;
    assert_eq!(runs.body.as_array().map(Vec::len), Some(2));
    assert!(f.app.stop().await);
    Ok(())
}

#[tokio::test]
async fn a_full_screen_tui_reaches_its_prompt_with_no_viewer_and_failures_keep_their_code() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let run = f.run("tui", "hello").await?;
    let id = run["id"].as_str().unwrap_or_default();
    // It queried the cursor position and device attributes; nobody watches, the server answered.
    let screen = f.wait_screen(id, "Do you trust this folder?").await?;
    assert!(screen.contains("fake-agent"), "{screen}");
    f.app.post(&format!("/api/runs/{id}/input"), json!({"data": "y\r"})).await?;
    f.wait_status(id, "succeeded", Duration::from_secs(30)).await?;

    let failing = f.run("fail", "x").await?;
    let fid = failing["id"].as_str().unwrap_or_default();
    let failed = f.wait_status(fid, "failed", Duration::from_secs(30)).await?;
    assert_eq!(failed["exit_code"], 3);
    assert!(failed["error"].as_str().is_some_and(|e| e.contains("code 3")), "{failed}");
    // A failed run stays In Progress (with its failure on the card), it does not go to review.
    let board = f.app.columns(&f.project).await?;
    assert!(board.iter().any(|(s, t)| s == "in_progress" && t.contains(&"task for fail".to_string())), "{board:?}");
    assert!(f.app.stop().await);
    Ok(())
}

#[tokio::test]
async fn twenty_runs_at_once_lose_no_byte() -> anyhow::Result<()> {
    let f = Fixture::start("[runs]\nmax_concurrent = 20\nmax_per_project = 20\n").await?;
    let mut ids = Vec::new();
    for i in 0..20 {
        ids.push(f.run("flood", &format!("flood {i}")).await?["id"].as_str().unwrap_or_default().to_string());
    }
    for id in &ids {
        f.wait_status(id, "succeeded", Duration::from_secs(120)).await?;
    }
    // fake-agent prints 1 MiB of 64-character lines (the PTY turns each \n into \r\n).
    let line = format!("\x1b[2m{}\x1b[0m\r\n", "0123456789abcdef".repeat(4));
    let lines = (1024 * 1024usize).div_ceil(line.len() - 1);
    for id in &ids {
        let (bytes, _) = f.transcript(id).await?;
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(text.matches(line.as_str()).count(), lines, "run {id} lost output");
    }
    assert!(f.app.stop().await);
    Ok(())
}

#[tokio::test]
async fn the_queue_keeps_to_its_limits_first_come_first_served() -> anyhow::Result<()> {
    let f = Fixture::start("[runs]\nmax_concurrent = 2\n").await?;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(f.run("linger", &format!("wait {i}")).await?["id"].as_str().unwrap_or_default().to_string());
    }
    f.wait_status(&ids[0], "running", Duration::from_secs(20)).await?;
    f.wait_status(&ids[1], "running", Duration::from_secs(20)).await?;
    let third = f.get_run(&ids[2]).await?;
    assert_eq!(third["status"], "queued");
    assert_eq!(third["queue_position"], 1);
    assert_eq!(f.get_run(&ids[3]).await?["queue_position"], 2);
    let active = f.app.get("/api/runs").await?;
    assert_eq!(active.body.as_array().map(Vec::len), Some(4));

    // Stopping a queued run drops it; stopping a running one lets the next in line start.
    let stopped = f.app.post(&format!("/api/runs/{}/stop", ids[3]), json!({})).await?;
    assert_eq!(stopped.body["status"], "stopped", "{stopped:?}");
    let stopped = f.app.post(&format!("/api/runs/{}/stop", ids[0]), json!({})).await?;
    assert_eq!(stopped.body["status"], "stopped", "{stopped:?}");
    f.wait_status(&ids[2], "running", Duration::from_secs(20)).await?;
    let running = f.app.get("/api/runs").await?.body;
    let n = running.as_array().map(|a| a.iter().filter(|r| r["status"] == "running").count());
    assert_eq!(n, Some(2));
    assert!(f.app.stop().await);
    Ok(())
}

#[tokio::test]
async fn when_done_cleanup_removes_clean_worktrees_keeps_dirty_ones_and_every_branch() -> anyhow::Result<()> {
    let f = Fixture::start("[runs]\nworktree_cleanup = \"when_done\"\n").await?;
    // "fail" changes nothing in its worktree; "ask" leaves a new file in its own.
    let clean = f.run("fail", "x").await?;
    let dirty = f.run("ask", "y").await?;
    let (cid, did) = (clean["id"].as_str().unwrap_or_default(), dirty["id"].as_str().unwrap_or_default());
    f.wait_status(cid, "failed", Duration::from_secs(30)).await?;
    f.wait_screen(did, "Proceed?").await?;
    f.app.post(&format!("/api/runs/{did}/input"), json!({"data": "y\r"})).await?;
    f.wait_status(did, "succeeded", Duration::from_secs(30)).await?;
    for run in [&clean, &dirty] {
        let task = run["task_id"].as_str().unwrap_or_default();
        let r = f.app.patch(&format!("/api/tasks/{task}"), json!({"status": "done"})).await?;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
    }
    let clean_path = std::path::PathBuf::from(clean["worktree_path"].as_str().unwrap_or_default());
    wait_until("the clean worktree to go", Duration::from_secs(15), || async { (!clean_path.exists()).then_some(()) })
        .await?;
    assert!(std::path::Path::new(dirty["worktree_path"].as_str().unwrap_or_default()).is_dir(), "dirty one kept");
    let repo = f.repos.path().join("agents");
    let branch = clean["branch"].as_str().unwrap_or_default();
    let out = std::process::Command::new("git").arg("-C").arg(&repo).args(["branch", "--list", branch]).output()?;
    assert!(String::from_utf8_lossy(&out.stdout).contains(branch), "the branch stays");
    // A follow-up on the removed worktree is refused with a clear error.
    let r = f.app.post(&format!("/api/runs/{cid}/follow-up"), json!({"prompt": "again"})).await?;
    assert_eq!(r.code(), "worktree_removed", "{r:?}");
    assert!(f.app.stop().await);
    Ok(())
}

/// The run table under load: twelve runs started at once under a limit of three, each stopped at a different
/// moment (queued, starting, live) while others start, a task deleted in the middle. Every run ends exactly once,
/// as stopped, nothing keeps a slot, no process is left.
#[tokio::test]
async fn concurrent_starts_stops_and_deletes_leave_no_run_or_process_behind() -> anyhow::Result<()> {
    let f = std::sync::Arc::new(Fixture::start("[runs]\nmax_concurrent = 3\nmax_per_project = 3\n").await?);
    let starts: Vec<_> = (0..12)
        .map(|i| {
            let f = f.clone();
            tokio::spawn(async move {
                let run = f.run("linger", &format!("load {i}")).await?;
                let id = run["id"].as_str().unwrap_or_default().to_string();
                // Stops land at every stage: at once (queued or starting), or once it may be live.
                tokio::time::sleep(Duration::from_millis(40 * (i % 6))).await;
                let r = f.app.post(&format!("/api/runs/{id}/stop"), json!({})).await?;
                anyhow::ensure!(r.status == StatusCode::OK || r.code() == "run_not_active", "stopping {id}: {r:?}");
                Ok::<_, anyhow::Error>((id, run["task_id"].as_str().unwrap_or_default().to_string()))
            })
        })
        .collect();
    // Meanwhile a task of its own, with a run, is deleted while the others start and stop.
    let doomed = f.run("linger", "deleted with its task").await?;
    let doomed_task = doomed["task_id"].as_str().unwrap_or_default().to_string();
    let r = f.app.delete(&format!("/api/tasks/{doomed_task}")).await?;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    let mut ids = Vec::new();
    for s in starts {
        ids.push(s.await??.0);
    }
    for id in &ids {
        let run = f.get_run(id).await?;
        assert_eq!(run["status"], "stopped", "{run}");
        assert!(marked_processes(id).is_empty(), "processes of {id} are left");
    }
    assert!(marked_processes(doomed["id"].as_str().unwrap_or_default()).is_empty());
    let active = f.app.get("/api/runs").await?.body;
    assert_eq!(active.as_array().map(Vec::len), Some(0), "{active}");
    assert!(f.app.app.runs().live_ids().is_empty(), "the table still holds live runs");
    // Every slot is free again: a new run starts at once.
    let next = f.run("fail", "after").await?;
    f.wait_status(next["id"].as_str().unwrap_or_default(), "failed", Duration::from_secs(30)).await?;
    Ok(())
}
