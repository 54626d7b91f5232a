//! Agent runs under load: PTY output through the store to a WebSocket client against the raw PTY read rate, a
//! stalled viewer, keystroke echo latency, and 32 agents streaming at once while the board is read.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::process::Server;
use crate::stats::{Samples, median};

type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub fn fake_agent() -> PathBuf {
    std::env::var_os("VIBAN_FAKE_AGENT")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release/fake-agent"))
}

/// A file of `mib` MiB of coloured lines of varied length (the bulk producer is `cat` of it).
pub fn coloured_file(dir: &Path, mib: u64) -> Result<PathBuf> {
    use std::io::Write;
    let path = dir.join("coloured.txt");
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path)?);
    let (mut written, mut i) = (0u64, 0u64);
    while written < mib * 1024 * 1024 {
        let line = format!("\x1b[3{}m{:>6} \x1b[1m{}\x1b[0m\n", i % 8, i, "viban-bench-".repeat((i % 9 + 1) as usize));
        out.write_all(line.as_bytes())?;
        written += line.len() as u64;
        i += 1;
    }
    out.flush()?;
    Ok(path)
}

/// The profiles the benchmarks run, written before the server starts.
pub fn write_profiles(home: &Path, flood_mib: u64, bulk_file: &Path) -> Result<()> {
    let bin = fake_agent().display().to_string();
    let p = |id: &str, args: &str| format!("[agents.{id}]\ncommand = {bin:?}\nargs = [{args}]\n");
    let text = [
        "[runs]\nmax_concurrent = 40\nmax_per_project = 40\n".to_string(),
        format!("[agents.bulk]\ncommand = \"cat\"\nargs = [{:?}]\n", bulk_file.display().to_string()),
        p("flood", &format!("\"--flood\", \"{flood_mib}\"")),
        p("paced", "\"--flood\", \"100\", \"--rate\", \"8\""),
        p("echo", "\"--echo\""),
        p("burst", "\"--flood\", \"8\""),
    ]
    .join("\n");
    std::fs::create_dir_all(home.join("config"))?;
    std::fs::write(home.join("config/agents.toml"), text)?;
    Ok(())
}

/// A project on a repository with one commit (worktrees need a base).
pub async fn project(s: &Server) -> Result<String> {
    let repo = tempfile::Builder::new().prefix("viban-bench-agents-").tempdir()?.keep();
    let git = |args: &[&str]| std::process::Command::new("git").arg("-C").arg(&repo).args(args).output();
    git(&["init", "-q", "-b", "main"])?;
    std::fs::write(repo.join("README.md"), "bench\n")?;
    git(&["add", "."])?;
    git(&["-c", "user.name=bench", "-c", "user.email=bench@localhost", "commit", "-q", "-m", "init"])?;
    let p: Value = s
        .client
        .post(format!("{}/api/projects", s.url))
        .bearer_auth(&s.token)
        .json(&json!({"name": "agents", "repo_path": repo}))
        .send()
        .await?
        .json()
        .await?;
    p["id"].as_str().map(str::to_string).context("creating the project")
}

pub(crate) async fn start_run(s: &Server, project: &str, agent: &str) -> Result<String> {
    let task: Value = s
        .client
        .post(format!("{}/api/projects/{project}/tasks", s.url))
        .bearer_auth(&s.token)
        .json(&json!({"title": format!("bench {agent}")}))
        .send()
        .await?
        .json()
        .await?;
    let task = task["id"].as_str().context("task")?;
    let run: Value = s
        .client
        .post(format!("{}/api/tasks/{task}/runs", s.url))
        .bearer_auth(&s.token)
        .json(&json!({"agent": agent, "prompt": "bench"}))
        .send()
        .await?
        .json()
        .await?;
    run["id"].as_str().map(str::to_string).with_context(|| format!("starting {agent}: {run}"))
}

pub(crate) async fn run_json(s: &Server, id: &str) -> Result<Value> {
    Ok(s.client.get(format!("{}/api/runs/{id}", s.url)).bearer_auth(&s.token).send().await?.json().await?)
}

pub async fn viewer(s: &Server, id: &str, from: Option<u64>) -> Result<Socket> {
    let base = s.url.replacen("http://", "ws://", 1);
    let q = from.map(|f| format!("?from={f}")).unwrap_or_default();
    let mut req = format!("{base}/api/runs/{id}/pty{q}").into_client_request()?;
    req.headers_mut().insert("Authorization", format!("Bearer {}", s.token).parse()?);
    Ok(tokio_tungstenite::connect_async(req).await?.0)
}

/// Output bytes of a binary frame (after the 8-byte offset).
fn payload(b: &[u8]) -> &[u8] {
    b.get(8..).unwrap_or_default()
}

/// The raw rate: the same producer in a bare PTY, read to EOF by one thread, nothing else. MB/s, first to last
/// byte.
pub fn raw_pty_rate(argv: &[String]) -> Result<f64> {
    use portable_pty::{CommandBuilder, PtySize, native_pty_system};
    let pair = native_pty_system()
        .openpty(PtySize { rows: 32, cols: 120, pixel_width: 0, pixel_height: 0 })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let cmd = CommandBuilder::from_argv(argv.iter().map(Into::into).collect());
    let mut child = pair.slave.spawn_command(cmd).map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut buf = vec![0u8; 64 * 1024];
    let (mut total, mut first) = (0usize, None);
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                first.get_or_insert_with(Instant::now);
                total += n;
            }
        }
    }
    let secs = first.map(|f| f.elapsed().as_secs_f64()).unwrap_or(f64::NAN);
    let _ = child.wait();
    Ok(total as f64 / 1e6 / secs)
}

/// Resident set size of a process in KiB.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|t| t.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Peak RSS growth of `pid` (MB) while `work` runs.
async fn peak_growth<T>(pid: u32, work: impl std::future::Future<Output = T>) -> (T, f64) {
    let base = rss_kib(pid);
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let sampler = tokio::spawn(async move {
        let mut peak = 0;
        while !s2.load(std::sync::atomic::Ordering::Relaxed) {
            peak = peak.max(rss_kib(pid));
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        peak
    });
    let out = work.await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let peak = sampler.await.unwrap_or(0);
    (out, peak.saturating_sub(base) as f64 / 1024.0)
}

/// Reads a run's socket to its exit frame: (bytes, seconds from first to last output byte).
async fn drain(ws: &mut Socket) -> Result<(u64, f64)> {
    let (mut bytes, mut first, mut last) = (0u64, None, Instant::now());
    while let Some(msg) = ws.next().await {
        match msg? {
            Message::Binary(b) => {
                first.get_or_insert_with(Instant::now);
                bytes += payload(&b).len() as u64;
                last = Instant::now();
            }
            Message::Text(t) if t.contains("\"exit\"") => break,
            _ => {}
        }
    }
    Ok((bytes, first.map(|f| (last - f).as_secs_f64()).unwrap_or(f64::NAN)))
}

/// PTY → store → WebSocket for one producer (a profile): (MB/s, bytes, RSS growth MB).
pub async fn stream_rate(s: &Server, project: &str, agent: &str) -> Result<(f64, u64, f64)> {
    let id = start_run(s, project, agent).await?;
    let mut ws = viewer(s, &id, Some(0)).await?;
    let (res, growth) = peak_growth(s.pid(), drain(&mut ws)).await;
    let (bytes, secs) = res?;
    let stored = run_json(s, &id).await?["output_bytes"].as_u64().unwrap_or(0);
    anyhow::ensure!(stored == bytes, "the viewer got {bytes} bytes, the store has {stored}");
    Ok((bytes as f64 / 1e6 / secs, bytes, growth))
}

/// A viewer that stops reading for `stall`: (agent MB/s during the stall, RSS growth MB, catch-up s, bytes).
pub async fn stalled_viewer(s: &Server, project: &str, stall: Duration) -> Result<(f64, f64, f64, u64)> {
    let id = start_run(s, project, "paced").await?;
    let mut ws = viewer(s, &id, Some(0)).await?;
    let mut seen = 0u64;
    while seen < 1_000_000 {
        if let Some(Message::Binary(b)) = ws.next().await.transpose()? {
            seen += payload(&b).len() as u64;
        }
    }
    let before = run_json(s, &id).await?["output_bytes"].as_u64().unwrap_or(0);
    let ((), growth) = peak_growth(s.pid(), tokio::time::sleep(stall)).await;
    let after = run_json(s, &id).await?["output_bytes"].as_u64().unwrap_or(0);
    let agent_rate = (after.saturating_sub(before)) as f64 / 1e6 / stall.as_secs_f64();
    let t = Instant::now();
    let (rest, _) = drain(&mut ws).await?;
    let catch_up = t.elapsed().as_secs_f64();
    let total = run_json(s, &id).await?["output_bytes"].as_u64().unwrap_or(0);
    anyhow::ensure!(seen + rest == total, "viewer got {} of {total} bytes", seen + rest);
    Ok((agent_rate, growth, catch_up, total))
}

/// Keystroke → agent echo → WebSocket, `n` times.
pub async fn echo_latency(s: &Server, project: &str, n: usize) -> Result<Samples> {
    let id = start_run(s, project, "echo").await?;
    let mut ws = viewer(s, &id, None).await?;
    let mut text = String::new();
    while !text.contains("echo ready") {
        match ws.next().await.context("closed")?? {
            Message::Binary(b) => text.push_str(&String::from_utf8_lossy(payload(&b))),
            Message::Text(t) => text.push_str(&t),
            _ => {}
        }
    }
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let key = b'0' + (i % 10) as u8;
        let t = Instant::now();
        ws.send(Message::Binary(vec![key].into())).await?;
        loop {
            if let Message::Binary(b) = ws.next().await.context("closed")??
                && payload(&b).contains(&key)
            {
                break;
            }
        }
        samples.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    ws.send(Message::Binary(b"q".to_vec().into())).await?;
    Ok(Samples(samples))
}

/// Flood lines in output (fake-agent prints 64-character lines; the PTY turns each `\n` into `\r\n`).
fn flood_lines(bytes: &[u8]) -> usize {
    let line = format!("\x1b[2m{}\x1b[0m\r", "0123456789abcdef".repeat(4));
    bytes.split(|b| *b == b'\n').filter(|l| *l == line.as_bytes()).count()
}

pub const MANY_AGENTS_TARGET: &str = "no byte lost, API p99 ≤ 50 ms";

/// The result column for `many_agents`.
pub fn many_agents_result(board: &Samples, all: bool) -> String {
    format!(
        "{}; board GET meanwhile p50 {:.1} ms, p99 {:.1} ms ({} requests)",
        if all { "no byte lost" } else { "BYTES LOST" },
        board.p(50.0),
        board.p(99.0),
        board.0.len()
    )
}

/// `n` runs of `agent` (printing 8 MiB each) at once while the board is read: (board latencies, every line arrived).
pub async fn many_agents(s: &Server, project: &str, n: usize, agent: &str) -> Result<(Samples, bool)> {
    let expected = (8usize * 1024 * 1024).div_ceil(73);
    let mut ids = Vec::new();
    for _ in 0..n {
        ids.push(start_run(s, project, agent).await?);
    }
    let done = std::sync::atomic::AtomicBool::new(false);
    let board = format!("{}/api/projects/{project}/board", s.url);
    let reader = async {
        let mut samples = Vec::new();
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            let t = Instant::now();
            let r = s.client.get(&board).bearer_auth(&s.token).header("accept-encoding", "gzip").send().await?;
            r.bytes().await?;
            samples.push(t.elapsed().as_secs_f64() * 1000.0);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        Ok::<Samples, anyhow::Error>(Samples(samples))
    };
    // The agents print with nobody watching; afterwards every byte is read back from the store.
    let agents = async {
        loop {
            let mut finished = 0;
            for id in &ids {
                finished += usize::from(!matches!(
                    run_json(s, id).await?["status"].as_str(),
                    Some("queued" | "starting" | "running")
                ));
            }
            if finished == ids.len() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut all = true;
        for id in &ids {
            let mut ws = viewer(s, id, Some(0)).await?;
            let mut bytes = Vec::new();
            while let Some(msg) = ws.next().await {
                match msg? {
                    Message::Binary(b) => bytes.extend_from_slice(payload(&b)),
                    Message::Text(t) if t.contains("\"exit\"") => break,
                    _ => {}
                }
            }
            let stored = run_json(s, id).await?;
            let ok = flood_lines(&bytes) == expected
                && stored["status"] == "succeeded"
                && stored["output_bytes"].as_u64() == Some(bytes.len() as u64);
            if !ok {
                println!(
                    "run {id}: {} of {expected} lines, {} bytes read, stored {} ({}, {})",
                    flood_lines(&bytes),
                    bytes.len(),
                    stored["output_bytes"],
                    stored["status"],
                    stored["error"]
                );
            }
            all &= ok;
        }
        Ok::<bool, anyhow::Error>(all)
    };
    let (latencies, all) = tokio::join!(reader, agents);
    Ok((latencies?, all?))
}

/// Every agent benchmark, as report rows (what, result, target).
pub async fn measure(quick: bool, runs: usize) -> Result<Vec<(String, String, &'static str)>> {
    let mut rows = Vec::new();
    // PTY output through the store to a viewer, a stalled viewer, keystroke echo, 32 at once.
    let flood_mib = if quick { 30 } else { 100 };
    let home = tempfile::tempdir()?;
    let bulk = coloured_file(home.path(), flood_mib)?;
    write_profiles(home.path(), flood_mib, &bulk)?;
    let (s, _) = Server::start(home.path()).await?;
    let project = project(&s).await?;
    let mut growths = Vec::new();
    let producers = [
        (
            "bulk",
            format!("`cat` of {flood_mib} MiB of coloured lines"),
            vec!["cat".to_string(), bulk.display().to_string()],
        ),
        (
            "flood",
            format!("fake agent printing {flood_mib} MiB a line at a time"),
            vec![fake_agent().display().to_string(), "--flood".into(), flood_mib.to_string()],
        ),
    ];
    for (agent, what, argv) in producers {
        // Raw and ours alternate, and each round's ratio is taken within the round: the shared cores drift.
        let (mut raw, mut ours, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..runs {
            let (r, (o, _, growth)) = if round % 2 == 0 {
                let r = raw_pty_rate(&argv)?;
                (r, stream_rate(&s, &project, agent).await?)
            } else {
                let o = stream_rate(&s, &project, agent).await?;
                (raw_pty_rate(&argv)?, o)
            };
            raw.push(r);
            ours.push(o);
            ratios.push(o / r);
            growths.push(growth);
        }
        let spread = ratios.iter().copied().fold(f64::INFINITY, f64::min)..ratios.iter().copied().fold(0.0, f64::max);
        rows.push((
            format!("PTY → store → WebSocket client, {what}"),
            format!(
                "{:.0} MB/s vs raw PTY read {:.0} MB/s: median ratio {:.2} (rounds {:.2}–{:.2})",
                median(&ours),
                median(&raw),
                median(&ratios),
                spread.start,
                spread.end
            ),
            "≥ 0.90 of raw",
        ));
    }
    let worst = growths.iter().copied().fold(0.0, f64::max);
    rows.push((
        "viban-server RSS growth while streaming it".into(),
        format!("median {:.1} MB, max {worst:.1} MB", median(&growths)),
        "≤ 50 MB",
    ));
    let (agent_rate, growth, catch_up, total) = stalled_viewer(&s, &project, Duration::from_secs(10)).await?;
    rows.push(("viewer stalled 10 s (agent paced at 8 MiB/s)".into(),
        format!(
            "agent kept printing at {agent_rate:.1} MB/s; server RSS +{growth:.1} MB; caught up {:.0} MB from the store in {catch_up:.1} s",
            total as f64 / 1e6
        ),
        "agent never blocked, +≤ 16 MB"));
    let echo = echo_latency(&s, &project, if quick { 200 } else { 500 }).await?;
    rows.push((
        "keystroke → agent echo → WebSocket".into(),
        format!("p50 {:.2} ms, p99 {:.2} ms", echo.p(50.0), echo.p(99.0)),
        "p99 ≤ 5 ms",
    ));
    let (board, all) = many_agents(&s, &project, 32, "burst").await?;
    rows.push(("32 agents printing 8 MiB each at once".into(), many_agents_result(&board, all), MANY_AGENTS_TARGET));
    s.stop().await?;
    Ok(rows)
}
