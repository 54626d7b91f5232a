//! The project's setup script is shown live: its output reaches the run's screen and its WebSocket viewers while
//! it runs (the run is `starting`, shown as "Preparing…"), a stop during setup leaves no process of its group
//! behind, and a failing script still fails the run with its message and the agent is never started.

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use viban_test_support::{pid_alive, wait_until};

use super::{Fixture, split_frame};

async fn set_setup(f: &Fixture, script: &str) -> anyhow::Result<()> {
    let r = f.app.patch(&format!("/api/projects/{}", f.project), json!({ "setup_script": script })).await?;
    anyhow::ensure!(r.status.is_success(), "setting the setup script: {r:?}");
    Ok(())
}

/// Reads a viewer until `needle` has arrived (as a screen or as output); everything read, as text.
async fn read_until(ws: &mut super::Socket, needle: &str) -> anyhow::Result<String> {
    let mut seen = String::new();
    let read = async {
        while let Some(msg) = ws.next().await {
            match msg? {
                Message::Binary(b) => seen.push_str(&String::from_utf8_lossy(split_frame(&b)?.1)),
                Message::Text(t) => {
                    let v: Value = serde_json::from_str(&t)?;
                    seen.push_str(v["data"].as_str().unwrap_or_default());
                }
                _ => {}
            }
            if seen.contains(needle) {
                return Ok(());
            }
        }
        anyhow::bail!("the viewer closed before {needle:?}")
    };
    tokio::time::timeout(Duration::from_secs(20), read).await??;
    Ok(seen)
}

#[tokio::test]
async fn setup_output_is_shown_while_the_script_runs() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    set_setup(&f, "echo setup-first-line\nsleep 2\necho setup-second-line >&2").await?;
    let run = f.run("env", "go").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    // A viewer attached before the first byte, and one attached mid-setup, both see the first line live.
    let mut early = f.viewer(&id, None).await?;
    let screen = f.wait_screen(&id, "setup-first-line").await?;
    assert!(!screen.contains("setup-second-line"), "the script had already ended: {screen}");
    let now = f.get_run(&id).await?;
    assert_eq!(now["status"], "starting", "preparing while the setup script runs: {now}");
    assert!(now["output_bytes"].as_i64().unwrap_or(0) > 0, "stored bytes count while preparing: {now}");
    let mut late = f.viewer(&id, None).await?;
    let seen = read_until(&mut late, "setup-first-line").await?;
    assert!(!seen.contains("setup-second-line"), "{seen}");
    read_until(&mut early, "setup-first-line").await?;
    assert_eq!(f.get_run(&id).await?["status"], "starting");
    // Both viewers go on to the rest of the script (stderr too) and the agent's output, on the same stream.
    read_until(&mut late, "setup-second-line").await?;
    read_until(&mut early, "env: VIBAN_RUN_ID").await?;
    f.wait_status(&id, "succeeded", Duration::from_secs(30)).await?;
    let (bytes, exit) = f.transcript(&id).await?;
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(exit["status"], "succeeded");
    assert!(text.contains("setup-first-line\r\nsetup-second-line\r\n"), "bare newlines become CRLF: {text:?}");
    assert!(text.find("setup-second-line") < text.find("env: VIBAN_RUN_ID"), "{text:?}");
    assert!(f.app.stop().await);
    Ok(())
}

#[tokio::test]
async fn stopping_during_setup_stops_the_scripts_whole_group() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let pids = f.repos.path().join("setup-pids");
    // The sleeper drops the run's marker: only its process group can find it.
    let script = format!(
        "env -u VIBAN_RUN_ID sleep 600 &\necho $! > {p}\necho $$ >> {p}\necho setup-waiting\nwait",
        p = pids.display()
    );
    set_setup(&f, &script).await?;
    let run = f.run("env", "go").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    f.wait_screen(&id, "setup-waiting").await?;
    let pids: Vec<i32> =
        std::fs::read_to_string(&pids)?.lines().filter_map(|l| l.trim().parse().ok()).collect::<Vec<_>>();
    assert_eq!(pids.len(), 2, "{pids:?}");
    assert!(pids.iter().all(|p| pid_alive(*p)), "the script and its child run: {pids:?}");
    let stopped = f.app.post(&format!("/api/runs/{id}/stop"), json!({})).await?;
    assert_eq!(stopped.body["status"], "stopped", "{stopped:?}");
    wait_until("the setup script's group to be gone", Duration::from_secs(5), || async {
        pids.iter().all(|p| !pid_alive(*p)).then_some(())
    })
    .await?;
    let (bytes, _) = f.transcript(&id).await?;
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("setup-waiting") && !text.contains("env: VIBAN_RUN_ID"), "the agent never ran: {text:?}");
    assert!(f.app.stop().await);
    Ok(())
}

#[tokio::test]
async fn a_failing_setup_script_fails_the_run_and_the_agent_never_starts() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    set_setup(&f, "echo installing\necho broken dependency >&2\nexit 3").await?;
    let run = f.run("env", "go").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    let failed = f.wait_status(&id, "failed", Duration::from_secs(30)).await?;
    let error = failed["error"].as_str().unwrap_or_default();
    assert!(error.contains("setup script failed") && error.contains("agent was not started"), "{failed}");
    let (bytes, exit) = f.transcript(&id).await?;
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(exit["status"], "failed");
    assert!(text.contains("installing\r\nbroken dependency\r\n"), "{text:?}");
    assert!(!text.contains("env: VIBAN_RUN_ID"), "the agent ran: {text:?}");
    assert!(f.app.stop().await);
    Ok(())
}
