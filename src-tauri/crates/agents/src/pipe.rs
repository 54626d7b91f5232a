//! The hand-off from the PTY reader thread to the store task. Output read while the store is busy piles up in one
//! buffer and goes to the store as one batch: under a flood there is one wake-up and one insert per batch instead of
//! per read, and a lone keystroke echo still wakes the store at once. The buffer is bounded: when it is full the
//! reader waits, and so does the agent — memory stays flat whatever it prints.

use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Instant;

/// Output waiting for the store at most (one batch).
pub const MAX_PENDING: usize = 512 * 1024;
/// A batch this big goes to the store without waiting for `MIN_GAP`.
pub const FULL_BATCH: usize = 64 * 1024;

/// Output to store: its offset in the run's output, when its first byte was read, the bytes.
#[derive(Debug)]
pub struct Batch {
    pub offset: u64,
    pub at: Instant,
    pub data: Vec<u8>,
}

#[derive(Debug)]
struct Pending {
    data: Vec<u8>,
    offset: u64,
    at: Option<Instant>,
    closed: bool,
}

#[derive(Debug)]
pub struct OutputPipe {
    pending: Mutex<Pending>,
    space: Condvar,
    ready: tokio::sync::Notify,
}

impl OutputPipe {
    /// A pipe whose first byte is at `offset` (after output stored before the agent started).
    pub fn new(offset: u64) -> Self {
        Self {
            pending: Mutex::new(Pending { data: Vec::new(), offset, at: None, closed: false }),
            space: Condvar::new(),
            ready: tokio::sync::Notify::new(),
        }
    }

    /// The reader's side: appends, waiting while the buffer is full. False once the pipe is closed.
    pub fn push(&self, bytes: &[u8]) -> bool {
        let mut p = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        while p.data.len() >= MAX_PENDING && !p.closed {
            p = self.space.wait(p).unwrap_or_else(PoisonError::into_inner);
        }
        if p.closed {
            return false;
        }
        let (was_empty, was_small) = (p.data.is_empty(), p.data.len() < FULL_BATCH);
        if was_empty {
            p.at = Some(Instant::now());
        }
        p.data.extend_from_slice(bytes);
        let full = was_small && p.data.len() >= FULL_BATCH;
        drop(p);
        if was_empty || full {
            self.ready.notify_one();
        }
        true
    }

    /// Waits until a full batch is pending, the pipe closed, or `until`, whichever comes first.
    pub async fn fill_until(&self, until: Instant) {
        loop {
            let notified = self.ready.notified();
            {
                let p = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                if p.data.len() >= FULL_BATCH || p.closed || Instant::now() >= until {
                    return;
                }
            }
            if tokio::time::timeout_at(until.into(), notified).await.is_err() {
                return;
            }
        }
    }

    /// No more output (from the reader at EOF, or the store giving up).
    pub fn close(&self) {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner).closed = true;
        self.space.notify_all();
        self.ready.notify_one();
    }

    /// The store's side: everything pending as one batch; None once closed and drained.
    pub async fn next(&self) -> Option<Batch> {
        loop {
            let notified = self.ready.notified();
            {
                let mut p = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
                if !p.data.is_empty() {
                    let data = std::mem::replace(&mut p.data, Vec::with_capacity(64 * 1024));
                    let batch = Batch { offset: p.offset, at: p.at.take().unwrap_or_else(Instant::now), data };
                    p.offset += batch.data.len() as u64;
                    drop(p);
                    self.space.notify_all();
                    return Some(batch);
                }
                if p.closed {
                    return None;
                }
            }
            notified.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn batches_are_contiguous_and_the_end_is_seen() {
        let pipe = std::sync::Arc::new(OutputPipe::new(10));
        let p = pipe.clone();
        let writer = std::thread::spawn(move || {
            for _ in 0..10_000 {
                p.push(&[7u8; 100]);
            }
            p.close();
        });
        let mut next = 10;
        while let Some(b) = pipe.next().await {
            assert_eq!(b.offset, next);
            assert!(b.data.len() <= MAX_PENDING + 100);
            next += b.data.len() as u64;
        }
        assert_eq!(next, 10 + 1_000_000);
        assert!(writer.join().is_ok());
    }
}
