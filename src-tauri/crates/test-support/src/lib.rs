//! Fixtures for viban's tests. Every fixture gets its own temp home (`VIBAN_HOME`-style), so no test touches the
//! user's data, and waits poll against deadlines instead of sleeping.

mod app;
pub mod external_pg;
pub mod kube_standin;
pub mod podman;
mod process;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

pub use app::{Reply, TestApp};
pub use process::{ServerProcess, server_bin};

/// Polls `check` until it returns `Some`, or fails after `deadline` naming `what`.
pub async fn wait_until<T, F, Fut>(what: &str, deadline: Duration, mut check: F) -> anyhow::Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let until = Instant::now() + deadline;
    let mut pause = Duration::from_millis(5);
    loop {
        if let Some(v) = check().await {
            return Ok(v);
        }
        if Instant::now() > until {
            anyhow::bail!("timed out after {deadline:?} waiting for {what}");
        }
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// A git repository with one commit, made in `parent/name`.
pub fn git_repo(parent: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let dir = parent.join(name);
    std::fs::create_dir_all(&dir)?;
    let git = |args: &[&str]| -> anyhow::Result<()> {
        let out = Command::new("git")
            .args([
                "-c",
                "user.name=viban-test",
                "-c",
                "user.email=test@viban.invalid",
                "-c",
                "init.defaultBranch=main",
            ])
            .args(args)
            .current_dir(&dir)
            .output()?;
        anyhow::ensure!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        Ok(())
    };
    git(&["init", "-q"])?;
    std::fs::write(dir.join("README.md"), "# test repo\n")?;
    git(&["add", "."])?;
    git(&["commit", "-q", "-m", "initial"])?;
    Ok(dir)
}

/// As root, PostgreSQL runs as an unprivileged account that must pass through every parent of its data dir, else
/// viban keeps the cluster in /var/lib/viban, outside the test's temp dir. So a test's private temp dirs (0700)
/// between the system temp dir and `home` get search permission (no listing); the home itself viban opens.
pub fn open_temp_parents(home: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    if !viban_runtime::pg::running_as_root() {
        return Ok(());
    }
    let tmp = std::env::temp_dir();
    let home = std::path::absolute(home)?;
    let Some(parent) = home.parent() else { return Ok(()) };
    let Ok(below) = parent.strip_prefix(&tmp) else { return Ok(()) };
    let mut dir = tmp;
    for part in below.components() {
        dir.push(part);
        let Ok(meta) = std::fs::symlink_metadata(&dir) else { break };
        let mode = meta.permissions().mode();
        if meta.is_dir() && mode & 0o011 != 0o011 {
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(mode | 0o011))?;
        }
    }
    Ok(())
}

/// Pids of processes whose working directory is `dir` (postgres chdirs into its data dir).
pub fn processes_in(dir: &Path) -> Vec<i32> {
    let Ok(dir) = std::fs::canonicalize(dir) else { return Vec::new() };
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == dir))
        .collect()
}

/// Whether `pid` runs: a zombie (dead, waiting for a parent that may be a slow-reaping init) counts as gone.
pub fn pid_alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

/// The postmaster pid recorded in a home's cluster, if it runs.
pub fn postmaster_pid(home: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(home.join("pg/data/postmaster.pid")).ok()?;
    text.lines().next()?.trim().parse().ok()
}
