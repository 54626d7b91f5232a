//! Running the server: clearing what a crashed instance left, spawning `postgres`, waiting until it is ready,
//! and stopping it (fast shutdown, then immediate, then kill) under deadlines.

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::{EmbeddedPostgres, PgError};

/// Settings for a desktop-sized server: little shared memory, few connections, loopback only (`listen_addresses`
/// is set apart: 127.0.0.1, or nothing for the socket only).
const SETTINGS: &[(&str, &str)] = &[
    ("unix_socket_permissions", "0700"),
    ("shared_buffers", "16MB"),
    ("max_connections", "24"),
    ("jit", "off"),
    ("huge_pages", "off"),
    ("max_wal_senders", "0"),
    ("max_worker_processes", "2"),
    ("max_parallel_workers", "0"),
    ("max_parallel_workers_per_gather", "0"),
    // No logical replication: without workers the launcher process is not started at all (≈ 1.3 MB at rest).
    ("max_logical_replication_workers", "0"),
    ("logging_collector", "off"),
    ("log_min_messages", "warning"),
    ("log_line_prefix", "%m [%p] "),
];

const READY_DEADLINE: Duration = Duration::from_secs(90);
const LOG_ROTATE_BYTES: u64 = 10 * 1024 * 1024;

/// The running server, our child. Dropping it does not stop it: call `stop`.
#[derive(Debug)]
pub struct PgProcess {
    child: tokio::process::Child,
    pid: i32,
}

/// Alive and not a zombie: a killed postmaster whose parent died stays a zombie until init reaps it, and must
/// count as gone.
pub(super) fn pid_alive(pid: i32) -> bool {
    let exists = matches!(kill(Pid::from_raw(pid), None), Ok(()) | Err(Errno::EPERM));
    let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rsplit_once(')').map(|(_, rest)| rest.trim_start().starts_with('Z')))
        .unwrap_or(false);
    exists && !zombie
}

/// Whether `pid` is a postmaster serving `data` (postgres chdirs into its data dir).
pub(super) fn serves(pid: i32, data: &Path) -> bool {
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd"));
    let data = std::fs::canonicalize(data);
    matches!((cwd, data), (Ok(c), Ok(d)) if c == d)
}

/// Every process whose working directory is `data`.
fn processes_in(data: &Path) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else { return Vec::new() };
    entries
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| pid != std::process::id() as i32 && serves(pid, data))
        .collect()
}

async fn wait_gone(pid: i32, within: Duration) -> bool {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if !pid_alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    !pid_alive(pid)
}

/// The last `lines` lines written to `path` after byte `offset` (what this start of postgres said).
fn tail_since(path: &Path, offset: u64, lines: usize) -> String {
    let bytes = std::fs::read(path).unwrap_or_default();
    let start = usize::try_from(offset).unwrap_or(0).min(bytes.len());
    let text = String::from_utf8_lossy(&bytes[start..]);
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

impl EmbeddedPostgres {
    /// A server a crashed viban left running is stopped; a stale `postmaster.pid` is removed.
    pub async fn clear_leftovers(&self) -> Result<(), PgError> {
        let pidfile = self.data_dir.join("postmaster.pid");
        let Ok(text) = std::fs::read_to_string(&pidfile) else {
            return Ok(());
        };
        let pid = text.lines().next().and_then(|l| l.trim().parse::<i32>().ok()).unwrap_or(0);
        if pid > 0 && pid_alive(pid) && serves(pid, &self.data_dir) {
            tracing::warn!(pid, "stopping a PostgreSQL left running by an earlier viban");
            let _ = kill(Pid::from_raw(pid), Signal::SIGINT);
            if !wait_gone(pid, Duration::from_secs(10)).await {
                let _ = kill(Pid::from_raw(pid), Signal::SIGQUIT);
                if !wait_gone(pid, Duration::from_secs(5)).await {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                    wait_gone(pid, Duration::from_secs(5)).await;
                }
            }
        }
        if pidfile.exists() {
            tracing::info!(pid, "removing stale postmaster.pid");
            std::fs::remove_file(&pidfile)
                .map_err(|e| PgError::Io(format!("could not remove stale {}: {e}", pidfile.display())))?;
        }
        self.reap_strays().await;
        self.remove_stale_sockets();
        Ok(())
    }

    /// The socket dir is ours alone and no server of ours runs now: a socket or its lock file left by a killed
    /// server (whose pid may still show as a zombie) would make the next start fail.
    fn remove_stale_sockets(&self) {
        let Ok(entries) = std::fs::read_dir(&self.socket_dir) else { return };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(".s.PGSQL.") {
                tracing::info!(file = %e.path().display(), "removing a stale PostgreSQL socket file");
                let _ = std::fs::remove_file(e.path());
            }
        }
    }

    /// Backends or helpers of a killed postmaster still attached to its shared memory block would make the next
    /// start fail ("pre-existing shared memory block is still in use"). We hold the data-dir lock, so every
    /// process working in our data dir is a leftover.
    async fn reap_strays(&self) {
        let strays = processes_in(&self.data_dir);
        if strays.is_empty() {
            return;
        }
        for pid in &strays {
            let cmd = std::fs::read_to_string(format!("/proc/{pid}/cmdline")).unwrap_or_default().replace('\0', " ");
            tracing::warn!(pid, cmd = cmd.trim(), "stopping a leftover PostgreSQL process");
            let _ = kill(Pid::from_raw(*pid), Signal::SIGQUIT);
        }
        for pid in strays {
            if !wait_gone(pid, Duration::from_secs(2)).await {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                wait_gone(pid, Duration::from_secs(2)).await;
            }
        }
    }

    /// Starts the server and waits until it accepts connections. Picks a new port once if ours was taken.
    pub async fn start(&mut self) -> Result<PgProcess, PgError> {
        self.clear_leftovers().await?;
        match self.spawn_and_wait().await {
            Err(PgError::PortInUse(port)) => {
                tracing::warn!(port, "PostgreSQL port taken; choosing another");
                self.repick_port()?;
                self.spawn_and_wait().await
            }
            other => other,
        }
    }

    fn open_log(&self) -> Result<std::fs::File, PgError> {
        if std::fs::metadata(&self.log_file).map(|m| m.len() > LOG_ROTATE_BYTES).unwrap_or(false) {
            let _ = std::fs::rename(&self.log_file, self.log_file.with_extension("log.1"));
        }
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_file)
            .map_err(|e| PgError::Io(format!("could not open {}: {e}", self.log_file.display())))
    }

    async fn spawn_and_wait(&self) -> Result<PgProcess, PgError> {
        let log = self.open_log()?;
        let log2 = log.try_clone().map_err(|e| PgError::Io(e.to_string()))?;
        let log_start = std::fs::metadata(&self.log_file).map(|m| m.len()).unwrap_or(0);
        let mut cmd = self.command("postgres");
        cmd.arg("-D").arg(&self.data_dir).arg("-p").arg(self.port.to_string()).arg("-k").arg(&self.socket_dir);
        let listen = if self.listen_tcp { "127.0.0.1" } else { "" };
        cmd.arg("-c").arg(format!("listen_addresses={listen}"));
        for (k, v) in SETTINGS {
            cmd.arg("-c").arg(format!("{k}={v}"));
        }
        // Own process group: a Ctrl-C in viban's terminal must not reach postgres before our ordered shutdown.
        cmd.process_group(0).stdout(Stdio::from(log)).stderr(Stdio::from(log2));
        let mut child = cmd.spawn().map_err(|e| PgError::Start(format!("could not run postgres: {e}")))?;
        let pid = child.id().and_then(|p| i32::try_from(p).ok()).unwrap_or(0);
        let pidfile = self.data_dir.join("postmaster.pid");
        let until = Instant::now() + READY_DEADLINE;
        let mut pause = Duration::from_millis(2);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let log_tail = self.log_since(log_start);
                if log_tail.contains("Address already in use") || log_tail.contains("could not bind") {
                    return Err(PgError::PortInUse(self.port));
                }
                return Err(PgError::Start(format!("postgres exited ({status}); its log says:\n{log_tail}")));
            }
            // Line 8 of postmaster.pid is the postmaster's status; "ready" once it accepts connections.
            if let Ok(text) = std::fs::read_to_string(&pidfile)
                && text.lines().nth(7).map(str::trim) == Some("ready")
            {
                return Ok(PgProcess { child, pid });
            }
            if Instant::now() > until {
                let mut p = PgProcess { child, pid };
                p.stop(Duration::from_secs(5)).await;
                return Err(PgError::Start(format!(
                    "not ready after {}s; see {}",
                    READY_DEADLINE.as_secs(),
                    self.log_file.display()
                )));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(Duration::from_millis(25));
        }
    }

    fn log_since(&self, offset: u64) -> String {
        tail_since(&self.log_file, offset, 40)
    }
}

impl PgProcess {
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Waits for the server to exit (it should not, unless stopped or killed).
    pub async fn wait(&mut self) -> std::io::Result<ExitStatus> {
        self.child.wait().await
    }

    /// Fast shutdown (SIGINT), then immediate (SIGQUIT), then SIGKILL, each under a share of `timeout`.
    pub async fn stop(&mut self, timeout: Duration) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = Pid::from_raw(self.pid);
        for (signal, share) in [(Signal::SIGINT, 6), (Signal::SIGQUIT, 3), (Signal::SIGKILL, 1)] {
            let _ = kill(pid, signal);
            let wait = timeout * share / 10;
            if let Ok(Ok(status)) = tokio::time::timeout(wait, self.child.wait()).await {
                tracing::debug!(%status, ?signal, "PostgreSQL stopped");
                return;
            }
            tracing::warn!(?signal, "PostgreSQL did not stop in time; escalating");
        }
    }
}
