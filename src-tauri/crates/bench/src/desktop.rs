//! The desktop app as a user meets it: launch to board data in the window, and what it costs at rest.
//! Needs a display (`cargo xtask bench` starts Xvfb) and the `viban` binary in `VIBAN_DESKTOP_BIN`.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::stats::median;

/// The PSS of a process tree at one moment.
pub struct Pss {
    pub mb: f64,
    pub processes: usize,
    /// PSS by process name (MB, how many), largest first.
    pub by_name: Vec<(String, f64, usize)>,
}

impl Pss {
    fn of_tree(root: u32) -> Self {
        let pids = descendants(root);
        let kib: u64 = pids.iter().map(|p| crate::process::pss_of(*p)).sum();
        Self { mb: kib as f64 / 1024.0, processes: pids.len(), by_name: by_name(&pids) }
    }

    pub fn describe(&self) -> String {
        format!("{:.1} MB over {} processes: {}", self.mb, self.processes, describe(&self.by_name))
    }
}

pub struct DesktopFigures {
    pub painted_ms: f64,
    /// 10 s after the board was served.
    pub launched: Pss,
    /// After the idle window that follows (what an app left alone holds).
    pub idle: Pss,
    pub cpu_percent: f64,
    pub idle_secs: u64,
}

fn spawn(bin: &Path, home: &Path) -> Result<tokio::process::Child> {
    tokio::process::Command::new(bin)
        .env("VIBAN_HOME", home)
        .env("VIBAN_LOG", "debug")
        .env("NO_AT_BRIDGE", "1")
        .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .context("spawning viban")
}

/// Seconds from spawn until the window's UI has received its board (the API logs the request it served).
async fn launch_to_board(child: &mut tokio::process::Child, t0: Instant) -> Result<f64> {
    let stderr = child.stderr.take().context("no stderr")?;
    let mut lines = BufReader::new(stderr).lines();
    let found = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            if line.contains("/board") && line.contains("200") {
                return Ok::<_, anyhow::Error>(t0.elapsed().as_secs_f64());
            }
        }
        bail!("viban exited before the board was served")
    })
    .await??;
    // Keep draining so the app never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(found)
}

async fn stop(mut child: tokio::process::Child) -> Result<()> {
    if let Some(pid) = child.id() {
        let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
    }
    tokio::time::timeout(Duration::from_secs(30), child.wait()).await??;
    Ok(())
}

fn descendants(pid: u32) -> Vec<u32> {
    let mut out = vec![pid];
    let mut i = 0;
    while i < out.len() {
        let p = out[i];
        let kids = std::process::Command::new("pgrep").args(["-P", &p.to_string()]).output();
        if let Ok(o) = kids {
            out.extend(String::from_utf8_lossy(&o.stdout).lines().filter_map(|l| l.trim().parse::<u32>().ok()));
        }
        i += 1;
    }
    out
}

pub async fn measure(
    bin: &Path,
    server_setup: impl AsyncFnOnce(&str, &str) -> Result<()>,
    runs: usize,
    idle: Duration,
) -> Result<DesktopFigures> {
    let home = tempfile::tempdir()?;
    // First launch: make the cluster and a project with tasks, so later launches are warm and show a board.
    let mut child = spawn(bin, home.path())?;
    let file = home.path().join("server.json");
    let t0 = Instant::now();
    let info = loop {
        if t0.elapsed() > Duration::from_secs(60) {
            bail!("viban did not write server.json");
        }
        if let Ok(b) = std::fs::read(&file)
            && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&b)
        {
            break v;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let stderr = child.stderr.take();
    tokio::spawn(async move {
        if let Some(s) = stderr {
            let mut l = BufReader::new(s).lines();
            while let Ok(Some(_)) = l.next_line().await {}
        }
    });
    server_setup(info["url"].as_str().unwrap_or_default(), info["token"].as_str().unwrap_or_default()).await?;
    stop(child).await?;

    let mut painted = Vec::new();
    for _ in 0..runs {
        let t0 = Instant::now();
        let mut child = spawn(bin, home.path())?;
        painted.push(launch_to_board(&mut child, t0).await? * 1000.0);
        stop(child).await?;
    }

    let mut child = spawn(bin, home.path())?;
    launch_to_board(&mut child, Instant::now()).await?;
    tokio::time::sleep(Duration::from_secs(10)).await;
    let pid = child.id().context("no pid")?;
    let launched = Pss::of_tree(pid);
    let before: u64 = descendants(pid).iter().map(|p| crate::process::ticks_of(*p)).sum();
    tokio::time::sleep(idle).await;
    let after: u64 = descendants(pid).iter().map(|p| crate::process::ticks_of(*p)).sum();
    let at_rest = Pss::of_tree(pid);
    stop(child).await?;
    Ok(DesktopFigures {
        painted_ms: median(&painted),
        launched,
        idle: at_rest,
        cpu_percent: after.saturating_sub(before) as f64 / 100.0 / idle.as_secs_f64() * 100.0,
        idle_secs: idle.as_secs(),
    })
}

/// PSS grouped by process name (`/proc/<pid>/comm`): (name, MB, count), largest first.
fn by_name(pids: &[u32]) -> Vec<(String, f64, usize)> {
    let mut groups: std::collections::BTreeMap<String, (u64, usize)> = Default::default();
    for p in pids {
        let name = std::fs::read_to_string(format!("/proc/{p}/comm")).unwrap_or_default().trim().to_string();
        let e = groups.entry(name).or_default();
        e.0 += crate::process::pss_of(*p);
        e.1 += 1;
    }
    let mut out: Vec<_> = groups.into_iter().map(|(n, (kib, c))| (n, kib as f64 / 1024.0, c)).collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1));
    out
}

/// "name 12.3 MB (×2), …"
fn describe(groups: &[(String, f64, usize)]) -> String {
    let parts: Vec<String> = groups
        .iter()
        .map(|(n, mb, c)| if *c > 1 { format!("{n} {mb:.1} MB (×{c})") } else { format!("{n} {mb:.1} MB") })
        .collect();
    parts.join(", ")
}

/// The minimal Tauri window (`src-tauri/examples/webkit-floor.rs`), measured as viban is: `settle` after launch,
/// and again after `idle` more.
pub async fn floor(bin: &Path, settle: Duration, idle: Duration) -> Result<(Pss, Pss)> {
    let home = tempfile::tempdir()?;
    let mut child = spawn(bin, home.path())?;
    let stderr = child.stderr.take();
    tokio::spawn(async move {
        if let Some(s) = stderr {
            let mut l = BufReader::new(s).lines();
            while let Ok(Some(_)) = l.next_line().await {}
        }
    });
    let pid = child.id().context("no pid")?;
    // As long as viban is given after its board is served: the web process is up and has painted.
    tokio::time::sleep(settle).await;
    if let Ok(Some(st)) = child.try_wait() {
        bail!("the webkit floor exited: {st}");
    }
    let launched = Pss::of_tree(pid);
    tokio::time::sleep(idle).await;
    let at_rest = Pss::of_tree(pid);
    stop(child).await?;
    Ok((launched, at_rest))
}
