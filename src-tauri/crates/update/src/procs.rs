//! Processes the guard waits for or stops: liveness (zombies count as gone), lookup by executable, the stop ladder.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Alive and not a zombie (an exited child that nobody reaped yet is gone for our purposes).
pub fn pid_alive(pid: u32) -> bool {
    let Ok(raw) = i32::try_from(pid) else { return false };
    if raw <= 0 {
        return false;
    }
    let exists = matches!(kill(Pid::from_raw(raw), None), Ok(()) | Err(Errno::EPERM));
    let zombie = std::fs::read_to_string(format!("/proc/{raw}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(false);
    exists && !zombie
}

/// Live processes of this user whose executable is `exe` — also after a package upgrade replaced the file (the
/// kernel then shows `<exe> (deleted)`). Never this process.
pub fn processes_with_exe(exe: &Path) -> Vec<u32> {
    let mut wanted: Vec<PathBuf> = vec![exe.to_path_buf()];
    if let Ok(real) = std::fs::canonicalize(exe)
        && real != exe
    {
        wanted.push(real);
    }
    let me = std::process::id();
    let uid = nix::unistd::geteuid().as_raw();
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    let mut found = Vec::new();
    for entry in entries.flatten() {
        let Some(pid) = entry.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else { continue };
        if pid == me || entry.metadata().map(|m| m.uid()).ok() != Some(uid) {
            continue;
        }
        let Ok(target) = std::fs::read_link(entry.path().join("exe")) else { continue };
        if wanted.iter().any(|w| same_exe(&target, w)) && pid_alive(pid) {
            found.push(pid);
        }
    }
    found
}

fn same_exe(target: &Path, wanted: &Path) -> bool {
    if target == wanted {
        return true;
    }
    let target = target.to_string_lossy();
    target.strip_suffix(" (deleted)").is_some_and(|t| Path::new(t) == wanted)
}

fn signal(pid: u32, sig: Signal) {
    if let Ok(raw) = i32::try_from(pid)
        && raw > 0
        && let Err(e) = kill(Pid::from_raw(raw), sig)
        && e != Errno::ESRCH
    {
        tracing::warn!(pid, ?sig, "could not signal: {e}");
    }
}

/// SIGTERM to each, then SIGKILL to those still alive after `grace`; returns the pids that were still alive
/// 2 s after SIGKILL (normally none).
pub(crate) async fn terminate_all(pids: &[u32], grace: Duration) -> Vec<u32> {
    let mut alive: Vec<u32> = pids.iter().copied().filter(|p| pid_alive(*p)).collect();
    if alive.is_empty() {
        return alive;
    }
    tracing::info!(?alive, "stopping the new version: SIGTERM");
    for pid in &alive {
        signal(*pid, Signal::SIGTERM);
    }
    alive = wait_gone(alive, grace).await;
    if !alive.is_empty() {
        tracing::warn!(?alive, "still running {} s after SIGTERM: SIGKILL", grace.as_secs());
        for pid in &alive {
            signal(*pid, Signal::SIGKILL);
        }
        alive = wait_gone(alive, Duration::from_secs(2)).await;
    }
    alive
}

async fn wait_gone(mut pids: Vec<u32>, within: Duration) -> Vec<u32> {
    let until = Instant::now() + within;
    loop {
        pids.retain(|p| pid_alive(*p));
        if pids.is_empty() || Instant::now() >= until {
            return pids;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deleted_executables_still_match() {
        assert!(same_exe(Path::new("/usr/bin/viban"), Path::new("/usr/bin/viban")));
        assert!(same_exe(Path::new("/usr/bin/viban (deleted)"), Path::new("/usr/bin/viban")));
        assert!(!same_exe(Path::new("/usr/bin/viban-server"), Path::new("/usr/bin/viban")));
    }

    #[test]
    fn impossible_pids_are_not_alive() {
        assert!(!pid_alive(0));
        assert!(!pid_alive(u32::MAX));
        assert!(pid_alive(std::process::id()));
    }
}
