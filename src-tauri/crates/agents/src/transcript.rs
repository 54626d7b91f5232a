//! A run's transcript: the one path every byte of its output takes (agent output, the setup script's output and
//! the lines viban writes itself) and the one way anything reads it back.
//!
//! Writing: [`Transcript::write`] stores a chunk (retrying while the store fails, never dropping it), then shows
//! it to live viewers through a small ring. A byte counts as shown only after it is stored.
//!
//! Reading: [`TranscriptReader`] yields the output from an offset on, contiguously: from the store while it is
//! behind, then from the ring, back to the store whenever the ring moved past it (a slow viewer). It serves the
//! WebSocket, the `.cast` export, replay and `/screen` rebuilds, with one stop rule: a reader that follows a live
//! run ends after the last stored byte once the run closed its transcript; a snapshot ends at the end stored
//! when it was opened.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use viban_db::{Db, DbError};

/// Chunks kept for live viewers; a viewer further behind catches up from the store. Bounds memory per run at
/// about `RING` × the largest chunk, whatever the agent prints and however slow the viewers are.
const RING: usize = 16;
/// Chunks read from the store per query.
const READ_BATCH: i64 = 32;

/// Output that is stored: offsets count the run's output bytes from 0; `at_ms` is when it was read, after the
/// run started.
#[derive(Debug, Clone)]
pub struct StoredChunk {
    pub offset: u64,
    pub at_ms: i64,
    pub data: Bytes,
}

impl StoredChunk {
    pub fn end(&self) -> u64 {
        self.offset + self.data.len() as u64
    }

    /// The part at or after `from` (None when it all lies before).
    fn from(self, from: u64) -> Option<Self> {
        let end = self.end();
        if end <= from {
            return None;
        }
        let skip = from.saturating_sub(self.offset) as usize;
        Some(Self { offset: self.offset + skip as u64, at_ms: self.at_ms, data: self.data.slice(skip..) })
    }
}

/// What the transcript reports while it cannot store.
pub trait StoreTrouble: Send + Sync {
    /// Writing failed (e.g. the disk is full); output is paused (the agent blocks) and retried.
    fn paused(&self, run: Uuid, error: &DbError);
    fn resumed(&self, run: Uuid);
}

/// Why reading a transcript failed.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("offset {from} is past the end of the output ({end} bytes so far)")]
    PastEnd { from: u64, end: u64 },
    #[error("the stored output has a hole at byte {0}")]
    Missing(u64),
    #[error(transparent)]
    Store(#[from] DbError),
}

/// A write that was given up (viban is shutting down while the store keeps failing).
#[derive(Debug, thiserror::Error)]
#[error("output at byte {offset} could not be stored before shutdown")]
pub struct Abandoned {
    pub offset: u64,
}

/// The writing side of one run's transcript, shared by its producers and its live viewers.
pub struct Transcript {
    run: Uuid,
    store: Db,
    started: Instant,
    trouble: Arc<dyn StoreTrouble>,
    give_up: CancellationToken,
    /// End offset of what is stored.
    stored: watch::Sender<u64>,
    /// None once closed: receivers then see `Closed` after the last chunk.
    ring: Mutex<Option<broadcast::Sender<StoredChunk>>>,
    /// Milliseconds after `started` of the last output.
    last_output_ms: AtomicU64,
    /// Why writes are failing right now (None while they work): viewers are told.
    paused: watch::Sender<Option<String>>,
}

impl std::fmt::Debug for Transcript {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transcript").field("run", &self.run).field("stored", &self.end()).finish_non_exhaustive()
    }
}

impl Transcript {
    /// An empty transcript; writes give up only when `give_up` is cancelled (shutdown).
    pub fn new(
        run: Uuid,
        store: Db,
        started: Instant,
        trouble: Arc<dyn StoreTrouble>,
        give_up: CancellationToken,
    ) -> Self {
        Self {
            run,
            store,
            started,
            trouble,
            give_up,
            stored: watch::channel(0).0,
            ring: Mutex::new(Some(broadcast::channel(RING).0)),
            last_output_ms: AtomicU64::new(0),
            paused: watch::channel(None).0,
        }
    }

    /// Follows whether storing is paused, and why (the viewers' notice).
    pub fn store_state(&self) -> watch::Receiver<Option<String>> {
        self.paused.subscribe()
    }

    /// End offset of what is stored.
    pub fn end(&self) -> u64 {
        *self.stored.borrow()
    }

    /// Time since the last output (or since the start).
    pub fn idle(&self) -> Duration {
        self.started.elapsed().saturating_sub(Duration::from_millis(self.last_output_ms.load(Ordering::Relaxed)))
    }

    /// Stores `data` at `offset` (read at `at`), retrying while the store fails, then shows it to live viewers.
    /// Writes must come in order, each starting where the last ended.
    pub async fn write(&self, offset: u64, at: Instant, data: Bytes) -> Result<(), Abandoned> {
        let at_ms = at.saturating_duration_since(self.started).as_millis() as i64;
        let (mut failing, mut backoff) = (false, Duration::from_millis(100));
        loop {
            match self.store.append_chunk(self.run, offset as i64, at_ms, &data).await {
                // Conflict: already stored (a retried write that did commit).
                Ok(()) | Err(DbError::Conflict(_)) => break,
                Err(e) => {
                    if !failing {
                        self.trouble.paused(self.run, &e);
                        self.paused.send_replace(Some(pause_reason(&e)));
                        failing = true;
                    }
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = self.give_up.cancelled() => {
                            tracing::error!(run = %self.run, offset, bytes = data.len(), "output could not be stored before shutdown");
                            return Err(Abandoned { offset });
                        }
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(2));
                }
            }
        }
        if failing {
            self.trouble.resumed(self.run);
            self.paused.send_replace(None);
        }
        self.publish(StoredChunk { offset, at_ms, data });
        Ok(())
    }

    fn publish(&self, chunk: StoredChunk) {
        self.last_output_ms.store(self.started.elapsed().as_millis() as u64, Ordering::Relaxed);
        self.stored.send_replace(chunk.end());
        if let Some(tx) = self.ring.lock().unwrap_or_else(PoisonError::into_inner).as_ref() {
            let _ = tx.send(chunk);
        }
    }

    /// No more output: live readers read what is stored and end.
    pub fn close(&self) {
        self.ring.lock().unwrap_or_else(PoisonError::into_inner).take();
    }

    /// A reader from `from` that follows the run until its transcript closes. `limit` is the furthest offset a
    /// reader may start at (bytes read from the agent may not be stored yet).
    pub fn follow(&self, from: u64, limit: u64) -> Result<TranscriptReader, ReadError> {
        // Subscribe first: every chunk stored after `stored` is read below reaches the receiver.
        let live = self.ring.lock().unwrap_or_else(PoisonError::into_inner).as_ref().map(|tx| tx.subscribe());
        let stored = self.end();
        if from > stored.max(limit) {
            return Err(ReadError::PastEnd { from, end: stored.max(limit) });
        }
        let mut reader = TranscriptReader::new(self.store.clone(), self.run, from, stored);
        reader.live = live.map(|rx| (rx, self.stored.subscribe()));
        Ok(reader)
    }

    /// A reader of what is stored now, from `from`.
    pub fn snapshot(&self, from: u64) -> Result<TranscriptReader, ReadError> {
        TranscriptReader::snapshot(self.store.clone(), self.run, from, self.end())
    }
}

/// What a viewer is told while output cannot be stored (no internals: the log has the error).
fn pause_reason(e: &DbError) -> String {
    let why = match e {
        DbError::DiskFull(_) => "the disk is full",
        DbError::Unavailable(_) => "the database is restarting",
        _ => "the database refuses the write",
    };
    format!("output is paused: viban cannot store it ({why}); the agent waits, nothing is lost, it resumes on its own")
}

/// Output from an offset on, contiguous, each piece yielded once. See the module's documentation.
pub struct TranscriptReader {
    store: Db,
    run: Uuid,
    /// The next byte to yield.
    next: u64,
    /// Read from the store until here before anything live.
    catch_up_to: u64,
    /// Read from the store, not yet yielded.
    pending: VecDeque<StoredChunk>,
    /// A live chunk that arrived after a gap the store fills first.
    held: Option<StoredChunk>,
    /// The ring and the stored end, while the run is live.
    live: Option<(broadcast::Receiver<StoredChunk>, watch::Receiver<u64>)>,
    /// A snapshot's end: nothing at or after it is yielded.
    end: Option<u64>,
}

impl std::fmt::Debug for TranscriptReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TranscriptReader").field("run", &self.run).field("next", &self.next).finish_non_exhaustive()
    }
}

impl TranscriptReader {
    fn new(store: Db, run: Uuid, from: u64, catch_up_to: u64) -> Self {
        Self { store, run, next: from, catch_up_to, pending: VecDeque::new(), held: None, live: None, end: None }
    }

    /// What is stored from `from` to `end` (a finished run's whole transcript, or a live one's so far).
    pub fn snapshot(store: Db, run: Uuid, from: u64, end: u64) -> Result<Self, ReadError> {
        if from > end {
            return Err(ReadError::PastEnd { from, end });
        }
        Ok(Self { end: Some(end), ..Self::new(store, run, from, end) })
    }

    /// Moves a new reader to `offset` (where a screen the viewer was sent is valid).
    pub(crate) fn start_at(&mut self, offset: u64) {
        self.next = offset;
    }

    /// The next byte this reader yields.
    pub fn position(&self) -> u64 {
        self.next
    }

    /// Whether the reader follows a live run.
    pub fn is_live(&self) -> bool {
        self.live.is_some()
    }

    /// The next piece of output; None at the end.
    pub async fn next(&mut self) -> Result<Option<StoredChunk>, ReadError> {
        let Some(end) = self.end else { return self.next_piece().await };
        if self.next >= end {
            return Ok(None);
        }
        Ok(self.next_piece().await?.map(|mut c| {
            if c.end() > end {
                c.data.truncate((end - c.offset) as usize);
                self.next = end;
            }
            c
        }))
    }

    async fn next_piece(&mut self) -> Result<Option<StoredChunk>, ReadError> {
        loop {
            if let Some(c) = self.pending.pop_front() {
                if let Some(c) = c.from(self.next) {
                    self.next = c.end();
                    return Ok(Some(c));
                }
                continue;
            }
            if self.next < self.catch_up_to {
                self.fill().await?;
                continue;
            }
            if let Some(c) = self.held.take() {
                if let Some(c) = c.from(self.next) {
                    self.next = c.end();
                    return Ok(Some(c));
                }
                continue;
            }
            let Some((rx, stored)) = &mut self.live else { return Ok(None) };
            match rx.recv().await {
                Ok(c) if c.offset > self.next => {
                    // Stored before it was sent: the store has everything up to it.
                    self.catch_up_to = c.offset;
                    self.held = Some(c);
                }
                Ok(c) => {
                    if let Some(c) = c.from(self.next) {
                        self.next = c.end();
                        return Ok(Some(c));
                    }
                }
                // Fell behind the ring (a slow viewer): the store has everything.
                Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up_to = *stored.borrow(),
                // The run ended: what remains is in the store.
                Err(broadcast::error::RecvError::Closed) => {
                    self.catch_up_to = *stored.borrow();
                    self.live = None;
                }
            }
        }
    }

    /// Reads the next stored chunks from `next` into `pending`.
    async fn fill(&mut self) -> Result<(), ReadError> {
        let chunks = self.store.chunks_from(self.run, self.next as i64, READ_BATCH).await?;
        let before = self.pending.len();
        for c in chunks {
            let chunk = StoredChunk { offset: c.byte_offset as u64, at_ms: c.at_ms, data: Bytes::from(c.data) };
            if chunk.end() > self.next {
                self.pending.push_back(chunk);
            }
        }
        match self.pending.get(before) {
            Some(first) if first.offset <= self.next => Ok(()),
            _ => Err(ReadError::Missing(self.next)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::StoredChunk;
    use bytes::Bytes;

    #[test]
    fn a_chunk_is_cut_at_the_reader_position() {
        let c = StoredChunk { offset: 10, at_ms: 5, data: Bytes::from_static(b"abcdef") };
        assert!(c.clone().from(16).is_none());
        let tail = c.clone().from(13).map(|c| (c.offset, c.data));
        assert_eq!(tail, Some((13, Bytes::from_static(b"def"))));
        assert_eq!(c.from(3).map(|c| c.offset), Some(10));
    }
}
