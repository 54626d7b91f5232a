//! Stop is a ladder to everything the run started: the group, its grandchildren and helpers in sessions of their
//! own; nothing is left, not even a zombie of ours.

use std::time::Duration;

use serde_json::json;
use viban_test_support::wait_until;

use super::{Fixture, marked_processes};

/// Children of this test process that exited but were never reaped.
fn our_zombies() -> Vec<i32> {
    let me = std::process::id().to_string();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| {
                let rest = s.rsplit_once(')').map(|(_, r)| r.trim_start().to_string()).unwrap_or_default();
                let mut f = rest.split_whitespace();
                f.next() == Some("Z") && f.next() == Some(me.as_str())
            })
        })
        .collect()
}

#[tokio::test]
async fn stop_takes_down_an_agent_that_ignores_sigterm_its_grandchild_and_its_daemon() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let run = f.run("stubborn", "work").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    f.wait_screen(&id, "started daemon").await?;
    // The agent, its grandchild (same group) and the daemon (its own session, reparented to init).
    let before = wait_until("three marked processes", Duration::from_secs(10), || async {
        let p = marked_processes(&id);
        (p.len() >= 3).then_some(p)
    })
    .await?;
    let stopped = f.app.post(&format!("/api/runs/{id}/stop"), json!({})).await?;
    assert_eq!(stopped.body["status"], "stopped", "{stopped:?}");
    assert!(marked_processes(&id).is_empty(), "left running: {:?} (were {before:?})", marked_processes(&id));
    // Orphaned grandchildren are reaped by viban's reaper as they die: give a loaded machine a moment.
    wait_until("every child reaped", Duration::from_secs(5), || async { our_zombies().is_empty().then_some(()) })
        .await
        .map_err(|e| anyhow::anyhow!("{e}: unreaped children {:?}", our_zombies()))?;
    let again = f.app.post(&format!("/api/runs/{id}/stop"), json!({})).await?;
    assert_eq!(again.code(), "run_not_active");

    // Quitting the app stops what still runs.
    let other = f.run("stubborn", "more work").await?;
    let oid = other["id"].as_str().unwrap_or_default().to_string();
    f.wait_screen(&oid, "started daemon").await?;
    assert!(f.app.stop().await);
    assert!(marked_processes(&oid).is_empty(), "quit left {:?}", marked_processes(&oid));
    Ok(())
}

#[tokio::test]
async fn leftovers_of_an_agent_that_exits_by_itself_are_stopped_too() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let bin = super::fake_agent().display().to_string();
    let extra =
        format!("[agents.leaver]\ncommand = {bin:?}\nargs = [\"--grandchild\", \"--daemon\", \"{{prompt}}\"]\n");
    let text = format!("{}\n{extra}", super::profiles(""));
    f.app.call(reqwest::Method::PUT, "/api/agents/config", Some(json!({"text": text}))).await?;
    let run = f.run("leaver", "go").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    f.wait_status(&id, "succeeded", Duration::from_secs(30)).await?;
    assert!(marked_processes(&id).is_empty(), "left behind: {:?}", marked_processes(&id));
    assert!(f.app.stop().await);
    Ok(())
}
