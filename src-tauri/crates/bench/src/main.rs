//! `viban-bench`: measures the release `viban-server` as a user meets it (a separate process on loopback) and
//! writes a Markdown report. Medians of repeated runs; this machine is shared and noisy, so read ratios.

mod agents;
mod containers;
mod desktop;
mod load;
mod mcp;
mod process;
mod review;
mod review_live;
mod stats;

use std::fmt::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;
use clap::Parser;

use crate::process::Server;
use crate::stats::{Samples, median};

#[derive(Parser)]
struct Args {
    /// Where to write the Markdown report.
    #[arg(long)]
    out: PathBuf,
    /// Fewer repetitions.
    #[arg(long)]
    quick: bool,
    /// Only the agent benchmarks (PTY streaming, stalled viewer, echo, 32 agents).
    #[arg(long)]
    agents_only: bool,
    /// Only the desktop benchmarks (launch, idle memory next to the WebKitGTK floor, idle CPU).
    #[arg(long)]
    desktop_only: bool,
    /// Only the container runtime against the local one (podman; issue 14).
    #[arg(long)]
    containers_only: bool,
    /// Only the review benchmarks (diff stats and one file of a 5,000-file, 20 MB change).
    #[arg(long)]
    review_only: bool,
    /// Only the MCP server and task flow (tool round trips on 10,000 tasks, auto-start latency; issue 15).
    #[arg(long)]
    mcp_only: bool,
}

#[tokio::main]
async fn main() -> Result<()> {
    let args = Args::parse();
    let runs = if args.quick { 3 } else { 5 };
    let mut report = String::from("# viban benchmarks\n\n");
    let _ = writeln!(
        report,
        "Release build of viban-server on {} cores, {}; medians of {runs} runs unless said. The load generator \
         runs on the same cores.\n",
        cores(),
        postgres_version()
    );
    if !args.review_only {
        let _ = writeln!(report, "| what | result | target |\n|---|---|---|");
    }
    let mut row = |what: &str, result: String, target: &str| {
        println!("{what}: {result} (target {target})");
        let _ = writeln!(report, "| {what} | {result} | {target} |");
    };

    // Review (issue 9) first, on a quiet disk; its rows go in a section of their own at the end.
    let mut review_rows = Vec::new();
    if args.desktop_only {
        for (what, result, target) in desktop_rows(&args, runs).await? {
            row(&what, result, &target);
        }
    }
    if !args.agents_only && !args.desktop_only && !args.containers_only && !args.mcp_only {
        for (what, result, target) in review::measure(runs).await? {
            println!("{what}: {result} (target {target})");
            review_rows.push(format!("| {what} | {result} | {target} |"));
        }
    }
    let only_review = args.review_only || args.desktop_only || args.containers_only || args.mcp_only;

    if !args.agents_only && !only_review {
        for (what, result, target) in server_rows(&args, runs).await? {
            row(&what, result, &target);
        }
        for (what, result, target) in desktop_rows(&args, runs).await? {
            row(&what, result, &target);
        }
    }

    if args.containers_only || (!only_review && !args.agents_only) {
        for (what, result, target) in containers::measure(args.quick, runs).await? {
            row(&what, result, target);
        }
    }

    if args.mcp_only || (!only_review && !args.agents_only) {
        for (what, result, target) in mcp::measure(args.quick, runs).await? {
            row(&what, result, target);
        }
    }

    // Agents last: they write about a gigabyte, and the disk's writeback would slow what is measured after them.
    if !only_review {
        for (what, result, target) in agents::measure(args.quick, runs).await? {
            row(&what, result, target);
        }
    }

    if !review_rows.is_empty() {
        let _ = writeln!(
            report,
            "\n## Review (issue 9)\n\nA run whose worktree holds 5,000 new files of 100 lines (20 MB; 1,000 committed, \
             4,000 untracked), through the API and in Debian chromium (headless, same cores).\n\n| what | result | \
             target |\n|---|---|---|\n{}",
            review_rows.join("\n")
        );
    }
    if let Some(dir) = args.out.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(&args.out, report)?;
    println!("wrote {}", args.out.display());
    Ok(())
}

/// A row of the report: what, result, target.
type Row = (String, String, String);

/// Start times, API load, change latency and idle cost of viban-server.
async fn server_rows(args: &Args, runs: usize) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut row = |what: &str, result: String, target: &str| rows.push((what.to_string(), result, target.to_string()));
    // Start times: cold (empty home, initdb included) and warm (same home again).
    let mut cold = Vec::new();
    let mut warm = Vec::new();
    for _ in 0..runs {
        let home = tempfile::tempdir()?;
        let (s, t) = Server::start(home.path()).await?;
        cold.push(t);
        s.stop().await?;
        for _ in 0..1 {
            let (s, t) = Server::start(home.path()).await?;
            warm.push(t);
            s.stop().await?;
        }
    }
    row("cold start → /api/health 200", format!("{:.0} ms", median(&cold) * 1000.0), "≤ 1500 ms");
    row("warm start → /api/health 200", format!("{:.0} ms", median(&warm) * 1000.0), "≤ 350 ms");

    let home = tempfile::tempdir()?;
    let (server, _) = Server::start(home.path()).await?;
    let project = load::project(&server).await?;

    let creation = load::create_tasks(&server, &project, 10_000, 16).await?;
    row("task creation (16 clients, 10,000 tasks)", format!("{creation:.0} tasks/s"), "≥ 1,000/s");

    // Let the change feed drain the burst above, then read the board as clients do between changes.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let path = format!("/api/projects/{project}/board");
    load::latencies(&server, &path, 1, 1, true).await?;
    let board: Samples = load::latencies(&server, &path, 16, 40, true).await?;
    let result = format!("p50 {:.1} ms, p99 {:.1} ms", board.p(50.0), board.p(99.0));
    row("board GET, 10,000 tasks, 16 clients, gzip (as browsers ask)", result, "p99 ≤ 25 ms");
    let board: Samples = load::latencies(&server, &path, 16, 40, false).await?;
    let result = format!("p50 {:.1} ms, p99 {:.1} ms", board.p(50.0), board.p(99.0));
    row("board GET, 10,000 tasks, 16 clients, uncompressed (3.7 MB)", result, "—");
    let cold = load::cold_board(&server, &project, if args.quick { 5 } else { 15 }).await?;
    row("board GET right after a change (query + encode + gzip)", format!("median {:.1} ms", cold.p(50.0)), "—");

    let rps =
        load::throughput(&server, "/api/projects", 16, Duration::from_secs(if args.quick { 2 } else { 4 })).await?;
    row("small list GET /api/projects, 16 clients", format!("{rps:.0} req/s"), "≥ 10,000 req/s");

    let feed = load::change_latency(&server, &project, if args.quick { 100 } else { 300 }).await?;
    row(
        "API change → WebSocket subscriber",
        format!("p50 {:.1} ms, p99 {:.1} ms", feed.p(50.0), feed.p(99.0)),
        "p99 ≤ 20 ms",
    );

    // Idle: let the pool and PostgreSQL settle, then measure memory (PSS) and CPU over a quiet window.
    tokio::time::sleep(Duration::from_secs(if args.quick { 3 } else { 10 })).await;
    let (pss, procs) = server.pss_kib();
    row(
        "idle memory, viban-server + PostgreSQL (PSS)",
        format!("{:.1} MB over {procs} processes", pss as f64 / 1024.0),
        "≤ 90 MB",
    );
    let window = Duration::from_secs(if args.quick { 5 } else { 20 });
    let cpu = server.cpu_percent(window).await;
    row(&format!("idle CPU over {}s", window.as_secs()), format!("{cpu:.2} %"), "0");
    server.stop().await?;

    // The empty-board case too: memory right after a warm start with no data.
    let home = tempfile::tempdir()?;
    let (s, _) = Server::start(home.path()).await?;
    s.stop().await?;
    let (s, _) = Server::start(home.path()).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (pss, _) = s.pss_kib();
    row("memory after a warm start, empty (PSS)", format!("{:.1} MB", pss as f64 / 1024.0), "—");
    s.stop().await?;
    Ok(rows)
}

/// The desktop app, when this run has a display and the binary (cargo xtask bench provides both).
async fn desktop_rows(args: &Args, runs: usize) -> Result<Vec<Row>> {
    let mut rows = Vec::new();
    let mut row = |what: &str, result: String, target: &str| rows.push((what.to_string(), result, target.to_string()));
    // The desktop app, when this run has a display and the binary (cargo xtask bench provides both).
    match (std::env::var_os("VIBAN_DESKTOP_BIN"), std::env::var_os("DISPLAY")) {
        (Some(bin), Some(_)) => {
            let setup = async |url: &str, token: &str| -> Result<()> {
                let client = reqwest::Client::new();
                let repo = tempfile::Builder::new().prefix("viban-bench-repo-").tempdir()?.keep();
                std::process::Command::new("git").args(["init", "-q"]).arg(&repo).output()?;
                let p: serde_json::Value = client
                    .post(format!("{url}/api/projects"))
                    .bearer_auth(token)
                    .json(&serde_json::json!({"name": "bench", "repo_path": repo}))
                    .send()
                    .await?
                    .json()
                    .await?;
                let id = p["id"].as_str().unwrap_or_default();
                for i in 0..200 {
                    client
                        .post(format!("{url}/api/projects/{id}/tasks"))
                        .bearer_auth(token)
                        .json(&serde_json::json!({"title": format!("task {i}")}))
                        .send()
                        .await?;
                }
                Ok(())
            };
            let idle = Duration::from_secs(if args.quick { 10 } else { 60 });
            let d = desktop::measure(std::path::Path::new(&bin), setup, runs, idle).await?;
            row(
                "desktop launch → board served to the window (warm, 200 tasks)",
                format!("{:.0} ms", d.painted_ms),
                "≤ 1000 ms",
            );
            let secs = d.idle_secs;
            row("desktop memory 10 s after the board is served (PSS)", d.launched.describe(), "—");
            let idle_row = format!("desktop idle memory after {secs} s more: app + webview + PostgreSQL (PSS)");
            row(&idle_row, d.idle.describe(), "≤ 250 MB");
            match std::env::var_os("VIBAN_FLOOR_BIN") {
                Some(floor_bin) => {
                    let floor_bin = std::path::Path::new(&floor_bin);
                    let (launched, at_rest) = desktop::floor(floor_bin, Duration::from_secs(12), idle).await?;
                    row(
                        "the WebKitGTK floor: a minimal Tauri window on a 272-byte page (PSS), 12 s after launch",
                        launched.describe(),
                        "—",
                    );
                    row(&format!("… and after {secs} s more"), at_rest.describe(), "—");
                    let after_launch = format!("+{:.1} MB", d.launched.mb - launched.mb);
                    row("viban's desktop above that floor, after launch", after_launch, "—");
                    let above = format!("+{:.1} MB", d.idle.mb - at_rest.mb);
                    row("viban's desktop above that floor, idle", above, "≤ +40 MB");
                }
                None => println!("desktop floor: not measured (VIBAN_FLOOR_BIN unset; `cargo xtask bench` sets it)"),
            }
            row(&format!("desktop idle CPU over {}s", d.idle_secs), format!("{:.2} %", d.cpu_percent), "≤ 1 %");
        }
        _ => println!("desktop: not measured (needs DISPLAY and VIBAN_DESKTOP_BIN; `cargo xtask bench` sets both)"),
    }
    Ok(rows)
}

/// Which PostgreSQL the server found (`VIBAN_PG_BIN`, as `cargo xtask bench` sets it, or the system's).
fn postgres_version() -> String {
    let bin = std::env::var_os("VIBAN_PG_BIN").map(|d| PathBuf::from(d).join("postgres"));
    let out = std::process::Command::new(bin.unwrap_or_else(|| PathBuf::from("postgres"))).arg("--version").output();
    out.ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "system PostgreSQL".into())
}

fn cores() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}
