//! A running agent as viewers see it: its terminal, the stored-output broadcast and the store task that puts
//! every byte into PostgreSQL before anyone is shown it.

use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;
use viban_db::{Db, DbError};

use crate::pipe::OutputPipe;
use crate::pty::PtyControl;
use crate::terminal::{ScreenText, Terminal};

/// Stored chunks kept for live viewers; a viewer further behind catches up from the store. Bounds memory per
/// run at about CHUNK_RING × pipe::MAX_PENDING whatever the agent prints and however slow the viewers are.
const CHUNK_RING: usize = 16;

/// Output that is stored: offsets count the run's output bytes from 0.
#[derive(Debug, Clone)]
pub struct StoredChunk {
    pub offset: u64,
    pub data: Bytes,
}

impl StoredChunk {
    pub fn end(&self) -> u64 {
        self.offset + self.data.len() as u64
    }
}

/// How a viewer starts.
#[derive(Debug, Clone)]
pub enum AttachStart {
    /// The current screen, valid at `offset`; the stream continues there.
    Screen { offset: u64, cols: u16, rows: u16, data: String },
    /// Output from this offset.
    From(u64),
}

/// A viewer's subscription: where to start and the live stream (None for a finished run).
#[derive(Debug)]
pub struct Attachment {
    pub start: AttachStart,
    pub live: Option<broadcast::Receiver<StoredChunk>>,
}

pub struct LiveRun {
    pub id: Uuid,
    pub task_id: Uuid,
    pub project_id: Uuid,
    /// The process group being run: the setup script's while it prepares, then the agent's (0: none yet).
    pgid: AtomicI32,
    /// Input and resize, once the agent's PTY exists (None while the setup script runs).
    control: OnceLock<PtyControl>,
    pub terminal: Arc<Mutex<Terminal>>,
    pub started: Instant,
    pub stop_requested: AtomicBool,
    /// A shell the user opened, not an agent: no card activity, no "waiting" notification.
    pub shell: AtomicBool,
    /// Milliseconds after `started` of the last output.
    last_output_ms: AtomicU64,
    /// End offset of what is stored.
    stored: watch::Sender<u64>,
    /// None once the run finished: receivers then see `Closed` after the last chunk.
    chunks: Mutex<Option<broadcast::Sender<StoredChunk>>>,
}

impl std::fmt::Debug for LiveRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveRun").field("id", &self.id).field("pgid", &self.pgid()).finish_non_exhaustive()
    }
}

impl LiveRun {
    /// A run from the moment it leaves the queue: viewers can attach while its setup script runs.
    pub fn new(ids: (Uuid, Uuid, Uuid), terminal: Arc<Mutex<Terminal>>, started: Instant) -> Self {
        let (tx, _) = broadcast::channel(CHUNK_RING);
        Self {
            id: ids.0,
            task_id: ids.1,
            project_id: ids.2,
            pgid: AtomicI32::new(0),
            control: OnceLock::new(),
            terminal,
            started,
            stop_requested: AtomicBool::new(false),
            shell: AtomicBool::new(false),
            last_output_ms: AtomicU64::new(0),
            stored: watch::channel(0).0,
            chunks: Mutex::new(Some(tx)),
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
        *self.stored.borrow()
    }

    pub fn idle(&self) -> Duration {
        self.started.elapsed().saturating_sub(Duration::from_millis(self.last_output_ms.load(Ordering::Relaxed)))
    }

    pub fn screen(&self) -> ScreenText {
        self.terminal.lock().unwrap_or_else(PoisonError::into_inner).text()
    }

    pub fn last_lines(&self, n: usize) -> Vec<String> {
        self.terminal.lock().unwrap_or_else(PoisonError::into_inner).last_lines(n)
    }

    /// Subscribes first, then takes the screen: every byte after the screen's offset reaches the subscriber.
    pub fn attach(&self, from: Option<u64>) -> Attachment {
        let live = self.chunks.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(|tx| tx.subscribe());
        let start = match from {
            Some(f) => AttachStart::From(f),
            None => {
                let t = self.terminal.lock().unwrap_or_else(PoisonError::into_inner);
                let (cols, rows) = t.size();
                AttachStart::Screen { offset: t.offset(), cols, rows, data: t.redraw() }
            }
        };
        Attachment { start, live }
    }

    /// No more output: viewers drain what they have and see the stream end.
    pub fn close(&self) {
        self.chunks.lock().unwrap_or_else(PoisonError::into_inner).take();
    }

    pub(crate) fn publish(&self, chunk: StoredChunk) {
        let end = chunk.end();
        self.last_output_ms.store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
        self.stored.send_replace(end);
        if let Some(tx) = self.chunks.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            let _ = tx.send(chunk);
        }
    }
}

/// What the store task reports while it cannot write.
pub trait StoreTrouble: Send + Sync {
    /// Writing failed (e.g. the disk is full); output is paused (the agent blocks) and retried.
    fn paused(&self, run: Uuid, error: &DbError);
    fn resumed(&self, run: Uuid);
}

/// Moves output from the PTY reader into the store, then to viewers. Ends when the reader ends (or, while
/// writes keep failing, when `give_up` is cancelled). Returns the stored end offset.
pub async fn store_output(
    db: Db,
    live: Arc<LiveRun>,
    output: Arc<OutputPipe>,
    trouble: Arc<dyn StoreTrouble>,
    give_up: tokio_util::sync::CancellationToken,
) -> u64 {
    let mut end = live.stored_bytes();
    while let Some(batch) = output.next().await {
        let (offset, at, data) = (batch.offset, batch.at, batch.data);
        let at_ms = at.saturating_duration_since(live.started).as_millis() as i64;
        let mut failing = false;
        let mut backoff = Duration::from_millis(100);
        loop {
            match db.append_chunk(live.id, offset as i64, at_ms, &data).await {
                Ok(()) => break,
                Err(DbError::Conflict(_)) => break, // already stored (a retried write that did commit)
                Err(e) => {
                    if !failing {
                        trouble.paused(live.id, &e);
                        failing = true;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = give_up.cancelled() => {
                            tracing::error!(run = %live.id, bytes = data.len(), "output could not be stored before shutdown");
                            output.close();
                            return end;
                        }
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
            }
        }
        if failing {
            trouble.resumed(live.id);
        }
        let chunk = StoredChunk { offset, data: Bytes::from(data) };
        end = chunk.end();
        live.publish(chunk);
    }
    end
}
