//! Viewers: the current screen on attach, then live output; a viewer that reconnects gets exactly what it
//! missed; typing through the socket reaches the agent.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;

use super::{Fixture, split_frame};

/// Reads frames until `bytes` reach `at_least`, checking contiguity; returns the next offset.
async fn read_until(ws: &mut super::Socket, mut next: u64, at_least: u64, out: &mut Vec<u8>) -> anyhow::Result<u64> {
    while next < at_least {
        let msg = tokio::time::timeout(Duration::from_secs(30), ws.next()).await?;
        match msg.ok_or_else(|| anyhow::anyhow!("socket closed"))?? {
            Message::Binary(b) => {
                let (off, data) = split_frame(&b)?;
                anyhow::ensure!(off == next, "gap or duplicate: frame at {off}, expected {next}");
                out.extend_from_slice(data);
                next += data.len() as u64;
            }
            Message::Text(t) => {
                let v: Value = serde_json::from_str(&t)?;
                anyhow::ensure!(v["type"] != "error", "error frame: {v}");
                if v["type"] == "exit" {
                    break;
                }
            }
            _ => {}
        }
    }
    Ok(next)
}

#[tokio::test]
async fn a_reconnecting_viewer_gets_exactly_the_bytes_it_missed() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let bin = super::fake_agent().display().to_string();
    let extra = format!("[agents.big]\ncommand = {bin:?}\nargs = [\"--flood\", \"4\", \"--linger-ms\", \"300\"]\n");
    let text = format!("{}\n{extra}", super::profiles(""));
    f.app.call(reqwest::Method::PUT, "/api/agents/config", Some(serde_json::json!({"text": text}))).await?;
    let run = f.run("big", "x").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();

    let mut seen = Vec::new();
    let mut ws = f.viewer(&id, Some(0)).await?;
    let next = read_until(&mut ws, 0, 300_000, &mut seen).await?;
    drop(ws);
    // Away while the rest is printed; then back, from where we were.
    f.wait_status(&id, "succeeded", Duration::from_secs(60)).await?;
    let mut ws = f.viewer(&id, Some(next)).await?;
    let end = read_until(&mut ws, next, u64::MAX, &mut seen).await?;
    let (stored, _) = f.transcript(&id).await?;
    assert_eq!(end, stored.len() as u64);
    assert!(stored.len() > 4 * 1024 * 1024);
    assert!(seen == stored, "what the viewer saw differs from the transcript");
    assert!(f.app.stop().await);
    Ok(())
}

#[tokio::test]
async fn a_late_viewer_gets_the_current_screen_first() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let run = f.run("ask", "draw").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    f.wait_screen(&id, "Proceed?").await?;
    let mut ws = f.viewer(&id, None).await?;
    let first =
        tokio::time::timeout(Duration::from_secs(10), ws.next()).await?.ok_or_else(|| anyhow::anyhow!("closed"))??;
    let Message::Text(t) = first else { anyhow::bail!("first frame is not the screen: {first:?}") };
    let v: Value = serde_json::from_str(&t)?;
    assert_eq!(v["type"], "screen");
    assert!(v["data"].as_str().is_some_and(|d| d.contains("Proceed?")), "{v}");
    let offset = v["offset"].as_u64().unwrap_or(0);
    assert!(offset > 0);
    ws.send(Message::Binary(b"ok\r".to_vec().into())).await?;
    let mut tail = Vec::new();
    read_until(&mut ws, offset, u64::MAX, &mut tail).await?;
    assert!(String::from_utf8_lossy(&tail).contains("you said: ok"));
    assert!(f.app.stop().await);
    Ok(())
}
