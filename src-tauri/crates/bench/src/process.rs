use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// A release `viban-server` on a home of its own.
pub struct Server {
    child: tokio::process::Child,
    pub url: String,
    pub token: String,
    pub home: PathBuf,
    pub client: reqwest::Client,
}

fn bin() -> PathBuf {
    std::env::var_os("VIBAN_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/release/viban-server"))
}

impl Server {
    /// Starts and returns the seconds from spawn to the first `/api/health` 200.
    pub async fn start(home: &Path) -> Result<(Self, f64)> {
        let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
        let t0 = Instant::now();
        let mut child = tokio::process::Command::new(bin())
            .args(["serve", "--home"])
            .arg(home)
            .env("VIBAN_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .context("spawning viban-server")?;
        let file = home.join("server.json");
        loop {
            if t0.elapsed() > Duration::from_secs(60) {
                let _ = child.start_kill();
                bail!("viban-server did not become healthy within 60 s");
            }
            if let Ok(Some(st)) = child.try_wait() {
                bail!("viban-server exited during start: {st}");
            }
            if let Ok(bytes) = std::fs::read(&file)
                && let Ok(v) = serde_json::from_slice::<serde_json::Value>(&bytes)
            {
                let url = v["url"].as_str().unwrap_or_default().to_string();
                if let Ok(r) = client.get(format!("{url}/api/health")).send().await
                    && r.status().is_success()
                {
                    let secs = t0.elapsed().as_secs_f64();
                    let token = v["token"].as_str().unwrap_or_default().to_string();
                    return Ok((Self { child, url, token, home: home.to_path_buf(), client }, secs));
                }
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    pub async fn stop(mut self) -> Result<()> {
        if let Some(pid) = self.child.id() {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
        }
        tokio::time::timeout(Duration::from_secs(15), self.child.wait()).await??;
        Ok(())
    }

    /// viban-server plus every process working in its cluster (postgres chdirs into its data dir).
    fn pids(&self) -> Vec<u32> {
        let data = std::fs::canonicalize(self.home.join("pg/data")).unwrap_or_default();
        let mut pids: Vec<u32> = self.child.id().into_iter().collect();
        if let Ok(entries) = std::fs::read_dir("/proc") {
            for e in entries.flatten() {
                if let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok())
                    && std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|c| c == data)
                {
                    pids.push(pid);
                }
            }
        }
        pids
    }

    /// Proportional set size in KiB (shared pages counted once across processes), and the process count.
    pub fn pss_kib(&self) -> (u64, usize) {
        let pids = self.pids();
        let total = pids
            .iter()
            .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).ok())
            .filter_map(|t| t.lines().find(|l| l.starts_with("Pss:"))?.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum();
        (total, pids.len())
    }

    fn cpu_ticks(&self) -> u64 {
        self.pids()
            .iter()
            .filter_map(|p| std::fs::read_to_string(format!("/proc/{p}/stat")).ok())
            .filter_map(|s| {
                let after = s.rsplit_once(')')?.1;
                let f: Vec<&str> = after.split_whitespace().collect();
                Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
            })
            .sum()
    }

    /// CPU used by all of them over `window`, as a percentage of one core.
    pub async fn cpu_percent(&self, window: Duration) -> f64 {
        let before = self.cpu_ticks();
        tokio::time::sleep(window).await;
        let ticks = self.cpu_ticks().saturating_sub(before);
        // USER_HZ is 100 on Linux.
        ticks as f64 / 100.0 / window.as_secs_f64() * 100.0
    }
}

/// A process's proportional set size in KiB (0 if it is gone).
pub fn pss_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup"))
        .ok()
        .and_then(|t| t.lines().find(|l| l.starts_with("Pss:"))?.split_whitespace().nth(1)?.parse::<u64>().ok())
        .unwrap_or(0)
}

/// User + system CPU ticks (USER_HZ) a process has used (0 if it is gone).
pub fn ticks_of(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1.to_string();
            let f: Vec<&str> = after.split_whitespace().collect();
            Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
        })
        .unwrap_or(0)
}

impl Drop for Server {
    /// A benchmark that fails half-way must not leave a server (and its PostgreSQL) running.
    fn drop(&mut self) {
        if let (Some(pid), Ok(None)) = (self.child.id(), self.child.try_wait()) {
            let _ = kill(Pid::from_raw(pid as i32), Signal::SIGTERM);
            for _ in 0..200 {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.start_kill();
        }
    }
}
