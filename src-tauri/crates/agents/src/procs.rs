//! What /proc says about processes, and the stop ladder. A run's processes are its process group (the agent is a
//! session leader, so pgid == its pid) plus anything carrying the run's marker in its environment — which finds
//! helpers that started a session of their own and left the group (Codex's background daemon does).

use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill, killpg};
use nix::unistd::Pid;

/// The environment variable every process of a run inherits; its value is the run id.
pub const MARKER_VAR: &str = "VIBAN_RUN_ID";

/// Identifies this boot: a pid and start time only mean something within one.
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id").map(|s| s.trim().to_string()).unwrap_or_default()
}

struct Stat {
    state: char,
    pgid: i32,
    start_ticks: i64,
}

fn stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces: fields resume after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // Here fields[0] is field 3 (state); pgid is field 5, starttime field 22.
    Some(Stat {
        state: fields.first()?.chars().next()?,
        pgid: fields.get(2)?.parse().ok()?,
        start_ticks: fields.get(19)?.parse().ok()?,
    })
}

/// When a process started (clock ticks after boot); None when it is gone or a zombie.
pub fn start_ticks(pid: i32) -> Option<i64> {
    stat(pid).filter(|s| s.state != 'Z').map(|s| s.start_ticks)
}

/// Alive and not a zombie (a zombie has exited; only its parent's wait is missing).
pub fn alive(pid: i32) -> bool {
    stat(pid).is_some_and(|s| s.state != 'Z')
}

fn pids() -> impl Iterator<Item = i32> {
    std::fs::read_dir("/proc").into_iter().flatten().filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
}

fn carries_marker(pid: i32, marker: &[u8]) -> bool {
    std::fs::read(format!("/proc/{pid}/environ")).is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == marker))
}

/// Live processes of the group `pgid` or carrying `VIBAN_RUN_ID=<run_id>`.
pub fn run_processes(pgid: Option<i32>, run_id: &str) -> Vec<i32> {
    let marker = format!("{MARKER_VAR}={run_id}").into_bytes();
    let me = std::process::id() as i32;
    pids()
        .filter(|&pid| pid != me)
        .filter(|&pid| match stat(pid) {
            Some(s) if s.state != 'Z' => Some(s.pgid) == pgid || carries_marker(pid, &marker),
            _ => false,
        })
        .collect()
}

/// How a stop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopOutcome {
    /// Nothing was left to stop.
    AlreadyGone,
    /// The last signal that was needed.
    StoppedBy(Signal),
    /// Processes survived SIGKILL (uninterruptible sleep): reported, not hidden.
    Survivors(usize),
}

/// Waits between the rungs of the ladder.
#[derive(Debug, Clone, Copy)]
pub struct Ladder {
    pub after_int: Duration,
    pub after_term: Duration,
    pub after_kill: Duration,
}

impl Default for Ladder {
    fn default() -> Self {
        Self {
            after_int: Duration::from_millis(1500),
            after_term: Duration::from_millis(2000),
            after_kill: Duration::from_secs(3),
        }
    }
}

fn signal_all(pgid: Option<i32>, pids: &[i32], sig: Signal) {
    if let Some(g) = pgid
        && let Err(e) = killpg(Pid::from_raw(g), sig)
        && e != Errno::ESRCH
    {
        tracing::warn!(pgid = g, ?sig, error = %e, "signalling the process group failed");
    }
    for &pid in pids {
        let _ = kill(Pid::from_raw(pid), sig);
    }
}

/// SIGINT → SIGTERM → SIGKILL to the run's group and marked processes, each rung ending early once they are
/// all gone (a container or Job is its runtime's to remove). Blocking (it polls /proc): call it from a blocking
/// thread.
pub fn stop_ladder(pgid: Option<i32>, run_id: &str, ladder: Ladder) -> StopOutcome {
    let mut left = run_processes(pgid, run_id);
    if left.is_empty() {
        return StopOutcome::AlreadyGone;
    }
    for (sig, wait) in
        [(Signal::SIGINT, ladder.after_int), (Signal::SIGTERM, ladder.after_term), (Signal::SIGKILL, ladder.after_kill)]
    {
        signal_all(pgid, &left, sig);
        let deadline = Instant::now() + wait;
        loop {
            std::thread::sleep(Duration::from_millis(20));
            left = run_processes(pgid, run_id);
            if left.is_empty() {
                tracing::info!(run = run_id, ?sig, "run's processes stopped");
                return StopOutcome::StoppedBy(sig);
            }
            if Instant::now() >= deadline {
                break;
            }
        }
        if sig != Signal::SIGKILL {
            tracing::info!(run = run_id, ?sig, left = left.len(), "processes still running; next signal");
        }
    }
    tracing::error!(run = run_id, pids = ?left, "processes survived SIGKILL");
    StopOutcome::Survivors(left.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_our_own_stat() {
        let me = std::process::id() as i32;
        assert!(alive(me));
        assert!(start_ticks(me).is_some_and(|t| t > 0));
        assert!(!boot_id().is_empty());
    }

    #[test]
    fn a_marked_process_is_found_and_stopped() -> std::io::Result<()> {
        let id = uuid_like();
        // SIGINT back to its default: a test binary started from a shell's background job inherits it ignored
        // (agents get it reset by the PTY spawn).
        let mut child = std::process::Command::new("env")
            .args(["--default-signal=INT", "sleep", "30"])
            .env(MARKER_VAR, &id)
            .spawn()?;
        let pid = child.id() as i32;
        // Until exec completes, /proc/<pid>/environ is still the forking test's own environment.
        let deadline = Instant::now() + Duration::from_secs(5);
        while run_processes(None, &id).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(run_processes(None, &id), vec![pid]);
        let reaper = std::thread::spawn(move || child.wait());
        let outcome = stop_ladder(None, &id, Ladder::default());
        assert_eq!(outcome, StopOutcome::StoppedBy(Signal::SIGINT));
        assert!(reaper.join().is_ok_and(|r| r.is_ok()));
        assert!(run_processes(None, &id).is_empty());
        Ok(())
    }

    fn uuid_like() -> String {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos());
        format!("test-{}-{}", std::process::id(), nanos.unwrap_or_default())
    }
}
