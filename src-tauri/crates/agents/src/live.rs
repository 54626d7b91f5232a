//! A running agent as viewers see it: its terminal, its transcript (transcript.rs) and the task that moves the
//! PTY's output into the transcript.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use uuid::Uuid;

use crate::pipe::OutputPipe;
use crate::pty::PtyControl;
use crate::terminal::{ScreenText, Terminal};
use crate::transcript::{ReadError, Transcript, TranscriptReader};

/// The ids a run is known by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunIds {
    pub run: Uuid,
    pub task: Uuid,
    pub project: Uuid,
}

/// How a viewer starts.
#[derive(Debug, Clone)]
pub enum AttachStart {
    /// The current screen, valid at `offset`; the stream continues there.
    Screen { offset: u64, cols: u16, rows: u16, data: String },
    /// Output from this offset.
    From(u64),
}

/// A viewer's subscription: where to start and the output from there (following the run while it is live).
#[derive(Debug)]
pub struct Attachment {
    pub start: AttachStart,
    pub reader: TranscriptReader,
    /// Whether storing is paused, and why, while the run is live.
    pub store: Option<tokio::sync::watch::Receiver<Option<String>>>,
}

pub struct LiveRun {
    pub id: Uuid,
    pub task_id: Uuid,
    pub project_id: Uuid,
    /// The process group being run: the setup script's while it prepares, then the agent's (0: none yet).
    pgid: AtomicI32,
    /// Input and resize, once the agent's PTY exists (None while the setup script runs).
    control: OnceLock<PtyControl>,
    /// Where the agent runs (set before it starts, so a stop reaches a pending container or Job).
    runtime: OnceLock<Arc<dyn crate::runtimes::Runtime>>,
    pub terminal: Arc<Mutex<Terminal>>,
    /// A shell the user opened, not an agent: no card activity, no "waiting" notification.
    pub shell: AtomicBool,
    /// Every byte of output goes through it.
    pub transcript: Arc<Transcript>,
    /// An automation script stopped by its timeout (seconds; 0: not timed out): it fails, not "stopped".
    pub timed_out_after: AtomicU32,
}

impl std::fmt::Debug for LiveRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveRun").field("id", &self.id).field("pgid", &self.pgid()).finish_non_exhaustive()
    }
}

impl LiveRun {
    /// A run from the moment it leaves the queue: viewers can attach while its setup script runs.
    pub fn new(ids: RunIds, terminal: Arc<Mutex<Terminal>>, transcript: Arc<Transcript>) -> Self {
        Self {
            id: ids.run,
            task_id: ids.task,
            project_id: ids.project,
            pgid: AtomicI32::new(0),
            control: OnceLock::new(),
            runtime: OnceLock::new(),
            terminal,
            shell: AtomicBool::new(false),
            transcript,
            timed_out_after: AtomicU32::new(0),
        }
    }

    /// The process group to signal to stop the run, if one runs.
    pub fn pgid(&self) -> Option<i32> {
        Some(self.pgid.load(Ordering::SeqCst)).filter(|&p| p > 0)
    }

    /// The setup script's process group (None once it ended).
    pub(crate) fn set_pgid(&self, pgid: Option<i32>) {
        self.pgid.store(pgid.unwrap_or(0), Ordering::SeqCst);
    }

    /// The agent's PTY started: input and resize go to it, stops to its group.
    pub(crate) fn set_agent(&self, pgid: i32, control: PtyControl) {
        self.set_pgid(Some(pgid));
        let _ = self.control.set(control);
    }

    pub(crate) fn set_runtime(&self, runtime: Arc<dyn crate::runtimes::Runtime>) {
        let _ = self.runtime.set(runtime);
    }

    pub(crate) fn runtime(&self) -> Option<Arc<dyn crate::runtimes::Runtime>> {
        self.runtime.get().cloned()
    }

    /// The agent's PTY (None while the setup script runs).
    pub fn control(&self) -> Option<&PtyControl> {
        self.control.get()
    }

    /// Whether the agent has not started yet (the setup script may be running).
    pub fn preparing(&self) -> bool {
        self.control.get().is_none()
    }

    pub fn resize(&self, cols: u16, rows: u16) {
        match self.control.get() {
            Some(c) => c.resize(cols, rows),
            None => self.terminal.lock().unwrap_or_else(PoisonError::into_inner).resize(cols, rows),
        }
    }

    pub fn stored_bytes(&self) -> u64 {
        self.transcript.end()
    }

    pub fn idle(&self) -> Duration {
        self.transcript.idle()
    }

    pub fn screen(&self) -> ScreenText {
        self.terminal.lock().unwrap_or_else(PoisonError::into_inner).text()
    }

    pub fn last_lines(&self, n: usize) -> Vec<String> {
        self.terminal.lock().unwrap_or_else(PoisonError::into_inner).last_lines(n)
    }

    /// A viewer from `from`, or (None) from the current screen. Subscribes first, then takes the screen: every
    /// byte after the screen's offset reaches the viewer.
    pub fn attach(&self, from: Option<u64>) -> Result<Attachment, ReadError> {
        let emulated = self.terminal.lock().unwrap_or_else(PoisonError::into_inner).offset();
        let Some(from) = from else {
            let mut reader = self.transcript.follow(0, u64::MAX)?;
            let t = self.terminal.lock().unwrap_or_else(PoisonError::into_inner);
            let (cols, rows) = t.size();
            let start = AttachStart::Screen { offset: t.offset(), cols, rows, data: t.redraw() };
            reader.start_at(t.offset());
            return Ok(Attachment { start, reader, store: Some(self.transcript.store_state()) });
        };
        let reader = self.transcript.follow(from, emulated)?;
        Ok(Attachment { start: AttachStart::From(from), reader, store: Some(self.transcript.store_state()) })
    }

    /// No more output: viewers read what is stored and end.
    pub fn close(&self) {
        self.transcript.close();
    }
}

/// While an agent floods, writes to the store start at most this often: under a flood the store takes a few
/// large batches instead of thousands of small ones (each a round trip and a commit, and wake-ups all along the
/// path to the viewers). Output after a quiet spell — a keystroke's echo — is written at once.
const MIN_GAP: Duration = Duration::from_millis(2);
/// A batch at least this big means the agent is flooding (a keystroke's echo is a few bytes).
const FLOODING: usize = 16 * 1024;

/// Moves output from the PTY reader into the transcript. Ends when the reader ends (or, while writes keep
/// failing, when viban shuts down). Returns the stored end offset.
pub async fn store_output(live: Arc<LiveRun>, output: Arc<OutputPipe>) -> u64 {
    let mut flooding_since: Option<Instant> = None;
    while let Some(batch) = {
        if let Some(last) = flooding_since {
            output.fill_until(last + MIN_GAP).await;
        }
        output.next().await
    } {
        flooding_since = (batch.data.len() >= FLOODING).then(Instant::now);
        if live.transcript.write(batch.offset, batch.at, Bytes::from(batch.data)).await.is_err() {
            output.close();
            break;
        }
    }
    live.stored_bytes()
}
