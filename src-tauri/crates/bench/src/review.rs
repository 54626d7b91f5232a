//! Review: the diff endpoints on a 5,000-file change of about 20 MB (stats, one file of it), through the API of a
//! real server, as the Changes view calls them; then the browser and live figures (`review_live`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::agents::{project, run_json, start_run, write_profiles};
use crate::process::Server;
use crate::stats::median;

const FILES: usize = 5000;
/// Lines per file; 100 lines of 40 bytes: 4 KB a file, 20 MB of change in all.
const LINES: usize = 100;

/// Fills the worktree with the change and commits part of it (tracked changes need a numstat; the rest is
/// untracked and counted by viban).
fn make_change(wt: &std::path::Path) -> Result<()> {
    for i in 0..FILES {
        let dir = wt.join(format!("gen/d{:02}", i % 50));
        std::fs::create_dir_all(&dir)?;
        let text: String = (0..LINES).map(|l| format!("file {i:05} line {l:03} of the generated change.\n")).collect();
        std::fs::write(dir.join(format!("f{i:05}.txt")), text)?;
    }
    let git = |args: &[&str]| std::process::Command::new("git").arg("-C").arg(wt).args(args).output();
    git(&["add", "gen/d0*"])?;
    git(&["-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "half"])?;
    Ok(())
}

async fn timed_get(s: &Server, path: &str) -> Result<(f64, usize)> {
    let t = Instant::now();
    let res = s.client.get(format!("{}{path}", s.url)).bearer_auth(&s.token).send().await?;
    anyhow::ensure!(res.status().is_success(), "{path}: {}", res.status());
    let len = res.bytes().await?.len();
    Ok((t.elapsed().as_secs_f64() * 1000.0, len))
}

/// Files and folders of the burst an agent writes at once.
const BURST: (usize, usize) = (2_000, 40);

pub async fn measure(runs: usize) -> Result<Vec<(String, String, &'static str)>> {
    let home = tempfile::tempdir()?;
    write_profiles(home.path(), 1, Path::new("/dev/null"))?;
    let (s, _) = Server::start(home.path()).await?;
    let project = project(&s).await?;
    // `echo` waits for input: the run and its worktree stay while we measure.
    let id = start_run(&s, &project, "echo").await?;
    let mut wt = PathBuf::new();
    for _ in 0..100 {
        let run = run_json(&s, &id).await?;
        if run["status"] == "running" {
            wt = PathBuf::from(run["worktree_path"].as_str().context("worktree_path")?);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    anyhow::ensure!(wt.is_dir(), "the run never started");
    make_change(&wt)?;
    let (_, warm) = timed_get(&s, &format!("/api/runs/{id}/diff")).await?;
    let mut stats = Vec::new();
    for _ in 0..runs {
        stats.push(timed_get(&s, &format!("/api/runs/{id}/diff")).await?.0);
    }
    let mut one = Vec::new();
    for i in 0..runs {
        let path = format!("gen/d{:02}/f{:05}.txt", (i * 7) % 50, (i * 7) % 50 + 50 * i);
        one.push(timed_get(&s, &format!("/api/runs/{id}/diff/file?path={path}")).await?.0);
    }
    let (patch_ms, patch_len) = timed_get(&s, &format!("/api/runs/{id}/diff?format=patch")).await?;
    let browser = crate::review_live::browser(&s, "bench echo", runs).await?;
    let (event, relisted) = crate::review_live::live(&s, &id, &wt, runs).await?;
    let burst = crate::review_live::burst(&s, &id, &wt, BURST).await?;
    s.stop().await?;
    let mut rows = vec![
        (
            format!("diff stats of a {FILES}-file change (JSON {:.1} MB)", warm as f64 / 1e6),
            format!("{:.0} ms", median(&stats)),
            "≤ 300 ms",
        ),
        ("one file of that diff (/diff/file)".into(), format!("{:.0} ms", median(&one)), "—"),
        (format!("whole patch of it, streamed ({:.1} MB)", patch_len as f64 / 1e6), format!("{patch_ms:.0} ms"), "—"),
    ];
    if let Some(b) = browser {
        rows.push((
            "first file of that change painted in chromium (click on the card → first diff line)".into(),
            format!("{:.0} ms (rounds {:.0}–{:.0} ms)", b.paint_ms, b.paint_range.0, b.paint_range.1),
            "≤ 1000 ms",
        ));
        rows.push((
            format!("server RSS growth while chromium scrolls the whole list, opening {} files", b.opened),
            format!("{:.1} MB (peak +{:.1} MB; one pass)", b.rss_growth_mb, b.rss_peak_growth_mb),
            "≤ 30 MB",
        ));
    }
    rows.push((
        "live: a write in the worktree → `run_files` on /api/events (→ change listed again)".into(),
        format!("{event:.0} ms (→ {relisted:.0} ms)"),
        "≤ 1000 ms",
    ));
    rows.push((
        format!(
            "burst: {} files in {} new folders → all listed after a `run_files` (from the last write)",
            BURST.0, BURST.1
        ),
        format!("{burst:.0} ms (one pass)"),
        "—",
    ));
    // The cores are shared: how busy they were says how to read the figures above.
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load = load.split(' ').next().unwrap_or("?").to_string();
    rows.push(("1-minute load average when it ended (other work on the same cores)".into(), load, "—"));
    Ok(rows)
}
