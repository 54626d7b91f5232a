//! One agent process in a PTY. Three plain threads do the blocking work portable-pty needs: a reader (output →
//! emulator → bounded channel), a writer (keystrokes and query answers → PTY) and a waiter (`wait()`, since
//! grandchildren can keep the PTY open long after the agent exited).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex, PoisonError};

use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use tokio::sync::oneshot;

use crate::pipe::OutputPipe;
use crate::terminal::Terminal;
use crate::vt_feed::VtFeed;

/// Output read at once at most.
const READ_BUF: usize = 64 * 1024;
/// Keystroke writes waiting for the agent to read them.
const INPUT_QUEUE: usize = 256;

#[derive(Debug, thiserror::Error)]
pub enum SpawnError {
    #[error("the working directory {0} does not exist or is not a directory")]
    BadCwd(PathBuf),
    #[error("could not open a PTY: {0}")]
    Pty(String),
    #[error("could not start {program}: {message}")]
    Spawn { program: String, message: String },
}

/// What to run.
#[derive(Debug, Clone)]
pub struct SpawnSpec {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub cols: u16,
    pub rows: u16,
}

/// How the agent process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub code: Option<i32>,
    pub signal: Option<String>,
    /// Why the runtime ended it, in words, when the exit code alone does not say (a remote pod's failure).
    pub reason: Option<String>,
}

/// Input could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("the agent is not reading its input")]
    Backlog,
    #[error("the agent's terminal is closed")]
    Closed,
}

/// A live PTY process. Dropping it closes the PTY (the agent sees a hangup).
pub struct PtyProcess {
    pub pid: i32,
    pub terminal: Arc<Mutex<Terminal>>,
    pub output: Arc<OutputPipe>,
    pub exit: oneshot::Receiver<Exit>,
    input: SyncSender<Vec<u8>>,
    master: Mutex<Box<dyn MasterPty + Send>>,
}

impl std::fmt::Debug for PtyProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PtyProcess").field("pid", &self.pid).finish_non_exhaustive()
    }
}

/// Where a resize goes: the local PTY, or a remote terminal (a pod's TTY) through its session.
#[derive(Clone)]
enum Resizer {
    Pty(Arc<Mutex<Box<dyn MasterPty + Send>>>),
    Remote(tokio::sync::mpsc::UnboundedSender<(u16, u16)>),
}

/// The handle kept after the receivers were taken: input and resize.
#[derive(Clone)]
pub struct PtyControl {
    input: SyncSender<Vec<u8>>,
    resizer: Resizer,
    terminal: Arc<Mutex<Terminal>>,
}

impl std::fmt::Debug for PtyControl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PtyControl")
    }
}

impl PtyControl {
    pub fn write(&self, bytes: Vec<u8>) -> Result<(), InputError> {
        self.input.try_send(bytes).map_err(|e| match e {
            TrySendError::Full(_) => InputError::Backlog,
            TrySendError::Disconnected(_) => InputError::Closed,
        })
    }

    pub fn terminal(&self) -> Arc<Mutex<Terminal>> {
        self.terminal.clone()
    }

    /// A terminal that is not a local PTY: input and resizes go to the session that relays them.
    pub(crate) fn remote(
        input: SyncSender<Vec<u8>>,
        resize: tokio::sync::mpsc::UnboundedSender<(u16, u16)>,
        terminal: Arc<Mutex<Terminal>>,
    ) -> Self {
        Self { input, resizer: Resizer::Remote(resize), terminal }
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        match &self.resizer {
            Resizer::Pty(master) => {
                let size = PtySize { rows, cols, pixel_width: 0, pixel_height: 0 };
                if let Err(e) = master.lock().unwrap_or_else(PoisonError::into_inner).resize(size) {
                    tracing::warn!(error = %e, "resizing the PTY failed");
                }
            }
            Resizer::Remote(tx) => {
                let _ = tx.send((cols, rows));
            }
        }
        self.terminal.lock().unwrap_or_else(PoisonError::into_inner).resize(cols, rows);
    }
}

impl PtyProcess {
    /// Splits off the control handle (the process keeps its receivers).
    pub fn control(self) -> (PtyControl, Arc<OutputPipe>, oneshot::Receiver<Exit>, i32) {
        let control =
            PtyControl { input: self.input, resizer: Resizer::Pty(Arc::new(self.master)), terminal: self.terminal };
        (control, self.output, self.exit, self.pid)
    }
}

fn check_cwd(cwd: &Path) -> Result<(), SpawnError> {
    // portable-pty silently falls back to $HOME for a bad cwd: an agent must never run anywhere but its worktree.
    if cwd.is_dir() { Ok(()) } else { Err(SpawnError::BadCwd(cwd.to_path_buf())) }
}

/// Starts `spec` in a new PTY (the child is a session leader: its pid is its process group).
pub fn spawn(spec: &SpawnSpec, terminal: Arc<Mutex<Terminal>>) -> Result<PtyProcess, SpawnError> {
    check_cwd(&spec.cwd)?;
    let program = spec.argv.first().cloned().unwrap_or_default();
    let pair = open(spec)?;
    let mut cmd = CommandBuilder::from_argv(spec.argv.iter().map(Into::into).collect());
    cmd.cwd(&spec.cwd);
    cmd.env("TERM", "xterm-256color");
    cmd.env("COLORTERM", "truecolor");
    // viban's own settings and secrets stay here; the run's marker and the profile's env are set just below.
    for k in crate::env::withheld() {
        cmd.env_remove(k);
    }
    for (k, v) in &spec.env {
        cmd.env(k, v);
    }
    let mut child = pair
        .slave
        .spawn_command(cmd)
        .map_err(|e| SpawnError::Spawn { program: program.clone(), message: e.to_string() })?;
    // The slave must go, or the reader never sees EOF.
    drop(pair.slave);
    let pid = child.process_id().map(|p| p as i32).unwrap_or(-1);
    start_io(pair.master, pid, terminal, move || match child.wait() {
        Ok(status) => Exit {
            code: status.signal().is_none().then(|| status.exit_code() as i32),
            signal: status.signal().map(str::to_string),
            reason: None,
        },
        Err(e) => {
            tracing::warn!(pid, error = %e, "waiting for the agent failed");
            Exit { code: None, signal: None, reason: None }
        }
    })
}

/// Starts `spec` with the PTY's slave as its fd 3 (and its stdout and stderr), not as its controlling terminal:
/// for a container engine that hands fd 3 to the container, whose process makes it its own terminal — the agent
/// then writes to viban's PTY directly instead of through the engine's TTY relay. The child leads a new process
/// group (its pid), in viban's session.
pub fn spawn_console(spec: &SpawnSpec, terminal: Arc<Mutex<Terminal>>) -> Result<PtyProcess, SpawnError> {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::process::{CommandExt, ExitStatusExt};
    check_cwd(&spec.cwd)?;
    let program = spec.argv.first().cloned().unwrap_or_default();
    let pair = open(spec)?;
    let name = pair.master.tty_name().ok_or_else(|| SpawnError::Pty("the PTY has no name".into()))?;
    // O_NOCTTY: opening it must never make it viban's own terminal.
    let slave = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(nix::libc::O_NOCTTY)
        .open(&name)
        .map_err(|e| SpawnError::Pty(format!("{}: {e}", name.display())))?;
    drop(pair.slave);
    let clone = |f: &std::fs::File| f.try_clone().map_err(|e| SpawnError::Pty(e.to_string()));
    let mut cmd = std::process::Command::new("/bin/sh");
    // fd 0 (the slave) becomes fd 3, stdin /dev/null: the engine reads nothing of the terminal itself.
    cmd.args(["-c", "exec \"$@\" 3<&0 </dev/null", "viban-console"]).args(&spec.argv);
    cmd.current_dir(&spec.cwd).stdin(clone(&slave)?).stdout(clone(&slave)?).stderr(slave).process_group(0);
    cmd.env("TERM", "xterm-256color").env("COLORTERM", "truecolor");
    for k in crate::env::withheld() {
        cmd.env_remove(k);
    }
    cmd.envs(spec.env.iter().map(|(k, v)| (k, v)));
    let mut child = cmd.spawn().map_err(|e| SpawnError::Spawn { program, message: e.to_string() })?;
    // The parent's copies of the slave go with `cmd`, or the reader never sees EOF.
    drop(cmd);
    let pid = child.id() as i32;
    start_io(pair.master, pid, terminal, move || match child.wait() {
        Ok(status) => {
            Exit { code: status.code(), signal: status.signal().map(|s| format!("signal {s}")), reason: None }
        }
        Err(e) => {
            tracing::warn!(pid, error = %e, "waiting for the agent failed");
            Exit { code: None, signal: None, reason: None }
        }
    })
}

fn open(spec: &SpawnSpec) -> Result<portable_pty::PtyPair, SpawnError> {
    native_pty_system()
        .openpty(PtySize { rows: spec.rows, cols: spec.cols, pixel_width: 0, pixel_height: 0 })
        .map_err(|e| SpawnError::Pty(e.to_string()))
}

/// The reader, writer and waiter threads around a started child's PTY.
fn start_io(
    master: Box<dyn MasterPty + Send>,
    pid: i32,
    terminal: Arc<Mutex<Terminal>>,
    wait: impl FnOnce() -> Exit + Send + 'static,
) -> Result<PtyProcess, SpawnError> {
    let reader = master.try_clone_reader().map_err(|e| SpawnError::Pty(e.to_string()))?;
    let writer = master.take_writer().map_err(|e| SpawnError::Pty(e.to_string()))?;
    let (input_tx, input_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(INPUT_QUEUE);
    let (exit_tx, exit_rx) = oneshot::channel();
    std::thread::Builder::new()
        .name(format!("pty-write-{pid}"))
        .spawn(move || write_loop(writer, input_rx))
        .map_err(|e| SpawnError::Pty(e.to_string()))?;
    let start_offset = terminal.lock().unwrap_or_else(PoisonError::into_inner).offset();
    let output = Arc::new(OutputPipe::new(start_offset));
    let feed = VtFeed::start(terminal.clone(), input_tx.clone(), pid).map_err(|e| SpawnError::Pty(e.to_string()))?;
    let out = output.clone();
    std::thread::Builder::new()
        .name(format!("pty-read-{pid}"))
        .spawn(move || read_loop(reader, feed, &out))
        .map_err(|e| SpawnError::Pty(e.to_string()))?;
    std::thread::Builder::new()
        .name(format!("pty-wait-{pid}"))
        .spawn(move || {
            let _ = exit_tx.send(wait());
        })
        .map_err(|e| SpawnError::Pty(e.to_string()))?;
    Ok(PtyProcess { pid, terminal, output, exit: exit_rx, input: input_tx, master: Mutex::new(master) })
}

fn write_loop(mut writer: Box<dyn Write + Send>, input: std::sync::mpsc::Receiver<Vec<u8>>) {
    while let Ok(bytes) = input.recv() {
        if writer.write_all(&bytes).and_then(|()| writer.flush()).is_err() {
            break;
        }
    }
}

pub(crate) fn read_loop(mut reader: Box<dyn Read + Send>, feed: VtFeed, out: &OutputPipe) {
    let mut buf = vec![0u8; READ_BUF];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            // EIO once every slave is closed: that is the end of output.
            Err(_) => break,
        };
        feed.push(&buf[..n]);
        if !out.push(&buf[..n]) {
            break;
        }
    }
    feed.close();
    out.close();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_cwd_is_refused_not_replaced_by_home() {
        let spec = SpawnSpec {
            argv: vec!["true".into()],
            cwd: "/nonexistent/viban-test".into(),
            env: vec![],
            cols: 80,
            rows: 24,
        };
        assert!(matches!(spawn(&spec, Arc::new(Mutex::new(Terminal::new(80, 24)))), Err(SpawnError::BadCwd(_))));
    }

    #[tokio::test]
    async fn output_offsets_are_contiguous_and_exit_is_reported() -> anyhow::Result<()> {
        let spec = SpawnSpec {
            argv: vec!["sh".into(), "-c".into(), "printf 'a%.0s' $(seq 1 5000); exit 3".into()],
            cwd: std::env::temp_dir(),
            env: vec![],
            cols: 80,
            rows: 24,
        };
        let (_control, output, exit, _pid) = spawn(&spec, Arc::new(Mutex::new(Terminal::new(80, 24))))?.control();
        let mut next = 0;
        while let Some(c) = output.next().await {
            assert_eq!(c.offset, next);
            next += c.data.len() as u64;
        }
        assert_eq!(next, 5000);
        assert_eq!(exit.await?, Exit { code: Some(3), signal: None, reason: None });
        Ok(())
    }
}
