//! `viban-server deploy NEW` and `viban-server rollback`: two binaries side by side, a symlink naming the one
//! that runs, a restart through a configurable command (`systemctl restart viban-server` by default), and the
//! health check that decides. Layout under `--dir` (default `/opt/viban`): `releases/<version>-<secs>/viban-server`,
//! `current` and `previous` symlinks to release folders; the unit runs `current/viban-server`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use viban_core::AppPaths;

use crate::ServerFile;

#[derive(Debug, Clone)]
pub struct DeployOptions {
    pub dir: PathBuf,
    /// Run with `sh -c` after each switch.
    pub restart: String,
    /// Where the restarted server answers `/api/health`.
    pub health_url: String,
    pub deadline: Duration,
    /// The server's home: when given, the process serving must also be the binary just switched to.
    pub home: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    #[error("{0}")]
    Refused(String),
    #[error("{why}; rolled back to {previous}, which is serving again")]
    RolledBack { why: String, previous: String },
    #[error("{why}; rolling back to {previous} failed too: {again}")]
    RollbackFailed { why: String, previous: String, again: String },
    #[error("could not {what}: {source}")]
    Io { what: String, source: std::io::Error },
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> DeployError {
    let what = what.into();
    move |source| DeployError::Io { what, source }
}

/// `viban-server --version` of `bin`: the version, or why it cannot be the server.
fn version_of(bin: &Path) -> Result<String, DeployError> {
    let out = std::process::Command::new(bin).arg("--version").output().map_err(|e| {
        DeployError::Refused(if e.raw_os_error() == Some(nix::errno::Errno::ENOEXEC as i32) {
            format!(
                "{} is not a program for this machine (exec format error: built for another architecture?)",
                bin.display()
            )
        } else {
            format!("{} cannot be run: {e}", bin.display())
        })
    })?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.trim().strip_prefix("viban-server ") {
        Some(v) if out.status.success() && !v.is_empty() => Ok(v.to_string()),
        _ => Err(DeployError::Refused(format!("{} does not answer --version as viban-server does", bin.display()))),
    }
}

/// Points `dir/name` at `target` atomically (a new symlink renamed over the old one).
fn point(dir: &Path, name: &str, target: &Path) -> Result<(), DeployError> {
    let tmp = dir.join(format!(".{name}.new"));
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).map_err(io(format!("link {}", tmp.display())))?;
    std::fs::rename(&tmp, dir.join(name)).map_err(io(format!("switch {name}")))
}

fn restart(cmd: &str) -> Result<(), String> {
    let out = std::process::Command::new("sh").arg("-c").arg(cmd).output().map_err(|e| format!("`{cmd}`: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!("`{cmd}` failed: {}", String::from_utf8_lossy(&out.stderr).trim()))
    }
}

/// Healthy with `version`, and (with a home) served by `bin` itself.
async fn wait_healthy(opts: &DeployOptions, version: &str, bin: &Path) -> Result<(), String> {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().map_err(|e| e.to_string())?;
    let url = format!("{}/api/health", opts.health_url.trim_end_matches('/'));
    let (t0, mut last) = (Instant::now(), String::from("no answer"));
    while t0.elapsed() < opts.deadline {
        match client.get(&url).send().await {
            Ok(r) if r.status().is_success() => {
                let body: serde_json::Value = r.json().await.unwrap_or_default();
                let (v, db) = (body["version"].as_str().unwrap_or(""), body["database"].as_str().unwrap_or(""));
                if v == version && db == "ready" && serves(opts.home.as_deref(), bin) {
                    return Ok(());
                }
                last = format!("version {v:?}, database {db:?}");
            }
            Ok(r) => last = format!("HTTP {}", r.status()),
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Err(format!("{version} was not healthy within {} s ({last})", opts.deadline.as_secs()))
}

/// Whether the process in `home`'s server.json runs `bin` (true without a home to ask).
fn serves(home: Option<&Path>, bin: &Path) -> bool {
    let Some(home) = home else { return true };
    let Ok(paths) = AppPaths::resolve(Some(home)) else { return false };
    let Ok(file) = ServerFile::read(&paths.server_json()) else { return false };
    let exe = std::fs::read_link(format!("/proc/{}/exe", file.pid));
    matches!((exe, std::fs::canonicalize(bin)), (Ok(a), Ok(b)) if a == b)
}

/// Installs `new` beside the current binary, switches to it, restarts, and keeps it if it gets healthy in time;
/// otherwise switches back and restarts the previous one. The line to print on success.
pub async fn deploy(new: &Path, opts: &DeployOptions) -> Result<String, DeployError> {
    let version = version_of(new)?;
    let secs = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    // A release folder of its own, never the running one's: two deploys of one version can fall in one second
    // (copying over the running binary fails with "text file busy").
    let releases = opts.dir.join("releases");
    std::fs::create_dir_all(&releases).map_err(io(format!("create {}", releases.display())))?;
    let release = (0..100)
        .map(|n| releases.join(if n == 0 { format!("{version}-{secs}") } else { format!("{version}-{secs}-{n}") }))
        .find(|p| std::fs::create_dir(p).is_ok())
        .ok_or_else(|| DeployError::Refused(format!("no free release folder in {}", releases.display())))?;
    let bin = release.join("viban-server");
    std::fs::copy(new, &bin).map_err(io(format!("copy {} to {}", new.display(), bin.display())))?;
    std::fs::set_permissions(&bin, std::os::unix::fs::PermissionsExt::from_mode(0o755))
        .map_err(io("make it executable"))?;
    let old = std::fs::read_link(opts.dir.join("current")).ok();
    point(&opts.dir, "current", &release)?;
    let healthy = match restart(&opts.restart) {
        Ok(()) => wait_healthy(opts, &version, &bin).await,
        Err(e) => Err(e),
    };
    let why = match healthy {
        Ok(()) => {
            if let Some(old) = &old {
                point(&opts.dir, "previous", old)?;
            }
            prune(&opts.dir);
            return Ok(format!("{version} is serving from {}", release.display()));
        }
        Err(why) => why,
    };
    let Some(old) = old else {
        return Err(DeployError::Refused(format!("{why}; there is no previous version to go back to")));
    };
    back_to(&old, why, opts).await
}

async fn back_to(old: &Path, why: String, opts: &DeployOptions) -> Result<String, DeployError> {
    let old_bin = old.join("viban-server");
    let previous = version_of(&old_bin).unwrap_or_else(|_| old.display().to_string());
    point(&opts.dir, "current", old)?;
    let again = match restart(&opts.restart) {
        Ok(()) => wait_healthy(opts, &previous, &old_bin).await,
        Err(e) => Err(e),
    };
    Err(match again {
        Ok(()) => DeployError::RolledBack { why, previous },
        Err(again) => DeployError::RollbackFailed { why, previous, again },
    })
}

/// Swaps `current` and `previous` by hand and restarts; the line to print.
pub async fn rollback(opts: &DeployOptions) -> Result<String, DeployError> {
    let previous = std::fs::read_link(opts.dir.join("previous"))
        .map_err(|_| DeployError::Refused(format!("{} has no previous version", opts.dir.display())))?;
    let current = std::fs::read_link(opts.dir.join("current")).ok();
    let bin = previous.join("viban-server");
    let version = version_of(&bin)?;
    point(&opts.dir, "current", &previous)?;
    if let Some(c) = &current {
        point(&opts.dir, "previous", c)?;
    }
    restart(&opts.restart).map_err(DeployError::Refused)?;
    wait_healthy(opts, &version, &bin).await.map_err(DeployError::Refused)?;
    Ok(format!("{version} is serving again from {}", previous.display()))
}

/// Removes releases other than `current` and `previous`.
fn prune(dir: &Path) {
    let keep: Vec<PathBuf> =
        ["current", "previous"].iter().filter_map(|n| std::fs::read_link(dir.join(n)).ok()).collect();
    let Ok(entries) = std::fs::read_dir(dir.join("releases")) else { return };
    for e in entries.flatten() {
        if !keep.iter().any(|k| k == &e.path()) {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}
