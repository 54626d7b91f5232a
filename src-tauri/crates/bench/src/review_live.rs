//! Review as a user meets it: a write in the worktree reaching `/api/events` as `run_files` (and the re-listing the
//! Changes view then asks for), and, through Debian chromium driven by `tests/e2e/bench/review.mjs`, the first file
//! of the change painted and the server's memory while the whole list is scrolled.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::process::Server;
use crate::stats::median;

/// Medians of write → `run_files` event, and of write → event → the change listed again (what the view shows).
pub async fn live(s: &Server, run: &str, wt: &Path, rounds: usize) -> Result<(f64, f64)> {
    let ws_url = format!("{}/api/events", s.url.replacen("http://", "ws://", 1));
    let mut req = ws_url.into_client_request()?;
    req.headers_mut().insert("Authorization", format!("Bearer {}", s.token).parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let (mut event, mut listed) = (Vec::new(), Vec::new());
    std::fs::create_dir_all(wt.join("live"))?;
    for i in 0..rounds {
        // Apart from the previous write, so each round is a watcher batch of its own.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        while let Ok(Some(_)) = tokio::time::timeout(Duration::from_millis(10), ws.next()).await {}
        let t = Instant::now();
        std::fs::write(wt.join(format!("live/n{i}.txt")), format!("written live, round {i}\n"))?;
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(10), ws.next()).await?.context("socket closed")??;
            if msg.to_text().is_ok_and(|t| t.contains("\"run_files\"") && t.contains(run)) {
                break;
            }
        }
        event.push(t.elapsed().as_secs_f64() * 1000.0);
        let res = s.client.get(format!("{}/api/runs/{run}/diff", s.url)).bearer_auth(&s.token).send().await?;
        let body = res.bytes().await?;
        anyhow::ensure!(
            String::from_utf8_lossy(&body).contains(&format!("live/n{i}.txt")),
            "the listing after the event lacks the file just written"
        );
        listed.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((median(&event), median(&listed)))
}

/// An agent writing many files at once: `files` new files in `dirs` new folders as fast as they go, then the time
/// from the last write until a listing asked for after a `run_files` event shows them all (what the Changes view
/// does). The watcher's batches must not queue up behind one git recount each.
pub async fn burst(s: &Server, run: &str, wt: &Path, (files, dirs): (usize, usize)) -> Result<f64> {
    let ws_url = format!("{}/api/events", s.url.replacen("http://", "ws://", 1));
    let mut req = ws_url.into_client_request()?;
    req.headers_mut().insert("Authorization", format!("Bearer {}", s.token).parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    for d in 0..dirs {
        let dir = wt.join(format!("burst/d{d:03}"));
        std::fs::create_dir_all(&dir)?;
        for i in 0..files / dirs {
            std::fs::write(dir.join(format!("f{i:04}.ts")), format!("export const v = {};\n", d * 10_000 + i))?;
        }
    }
    let t = Instant::now();
    let deadline = Duration::from_secs(180);
    loop {
        let left = deadline.checked_sub(t.elapsed()).context("the burst was never listed whole")?;
        let msg = tokio::time::timeout(left, ws.next()).await?.context("socket closed")??;
        if !msg.to_text().is_ok_and(|t| t.contains("\"run_files\"") && t.contains(run)) {
            continue;
        }
        let res = s.client.get(format!("{}/api/runs/{run}/diff", s.url)).bearer_auth(&s.token).send().await?;
        let body = String::from_utf8_lossy(&res.bytes().await?).into_owned();
        if body.matches("\"burst/").count() >= files {
            return Ok(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
}

pub struct BrowserFigures {
    pub paint_ms: f64,
    /// Fastest and slowest round.
    pub paint_range: (f64, f64),
    pub rss_growth_mb: f64,
    pub rss_peak_growth_mb: f64,
    pub opened: u64,
}

/// The checkout this bench was built in (`<root>/target/release/viban-bench`), else the working directory.
fn repo_root() -> PathBuf {
    let exe = std::env::current_exe().ok();
    let from_exe = exe.as_deref().and_then(|e| e.ancestors().find(|d| d.ends_with("target"))).and_then(Path::parent);
    from_exe.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."))
}

/// Why the browser part cannot run here, if it cannot.
fn missing(script: &Path) -> Option<String> {
    let chromium = std::env::var_os("VIBAN_CHROMIUM").map(PathBuf::from).unwrap_or_else(|| "/usr/bin/chromium".into());
    if !chromium.is_file() {
        return Some(format!("no chromium at {} (set VIBAN_CHROMIUM)", chromium.display()));
    }
    let node = std::process::Command::new("node").arg("--version").output();
    if !node.is_ok_and(|o| o.status.success()) {
        return Some("no node on PATH".into());
    }
    let e2e = script.parent().and_then(Path::parent).map(|d| d.join("node_modules/playwright-core"));
    if !e2e.is_some_and(|d| d.is_dir()) {
        return Some("tests/e2e/node_modules lacks playwright-core (npm ci in tests/e2e)".into());
    }
    None
}

/// Runs the browser script once (`rounds` paints, then one scroll of the whole list); None (reason printed) when
/// chromium, node or playwright-core is missing.
pub async fn browser(s: &Server, title: &str, rounds: usize) -> Result<Option<BrowserFigures>> {
    let script = repo_root().join("tests/e2e/bench/review.mjs");
    if let Some(why) = missing(&script) {
        println!("review in the browser: not measured ({why})");
        return Ok(None);
    }
    let link: serde_json::Value = s
        .client
        .post(format!("{}/api/auth/codes", s.url))
        .bearer_auth(&s.token)
        .json(&serde_json::json!({}))
        .send()
        .await?
        .json()
        .await?;
    let link = link["url"].as_str().context("POST /api/auth/codes gave no url")?;
    let input = serde_json::json!({"url": s.url, "link": link, "title": title, "pid": s.pid(), "rounds": rounds});
    let child = tokio::process::Command::new("node")
        .arg(&script)
        .arg(input.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("starting node")?;
    let out = tokio::time::timeout(Duration::from_secs(600), child.wait_with_output()).await??;
    if !out.status.success() {
        bail!("{} failed: {}", script.display(), out.status);
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().rev().find(|l| l.starts_with('{')).context("the browser script printed no figures")?;
    let v: serde_json::Value = serde_json::from_str(line)?;
    let paint: Vec<f64> = v["paint_ms"].as_array().into_iter().flatten().filter_map(|x| x.as_f64()).collect();
    let kib = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    if let Some(errors) = v["errors"].as_array().filter(|e| !e.is_empty()) {
        let first = errors[0].as_str().unwrap_or_default();
        println!("review in the browser: the page reported {} problem(s), the first: {first:.200}", errors.len());
    }
    Ok(Some(BrowserFigures {
        paint_ms: median(&paint),
        paint_range: (paint.iter().copied().fold(f64::INFINITY, f64::min), paint.iter().copied().fold(0.0, f64::max)),
        rss_growth_mb: (kib("rss_after_kib") - kib("rss_before_kib")) / 1024.0,
        rss_peak_growth_mb: (kib("rss_peak_kib") - kib("rss_before_kib")) / 1024.0,
        opened: v["opened"].as_u64().unwrap_or(0),
    }))
}
