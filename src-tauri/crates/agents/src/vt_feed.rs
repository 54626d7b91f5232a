//! Feeds output to the run's terminal emulator on a thread of its own, so emulation (≈ 30 MB/s for coloured
//! text) never slows the path from the PTY to the store and the viewers. When an agent prints faster than the
//! emulator can follow, the oldest unprocessed output is skipped — the screen is rebuilt from the newest bytes, as
//! a terminal that scrolled past them would show — but never output that asks the terminal a question: that is
//! kept, because an agent waiting for the answer would hang.

use std::collections::VecDeque;
use std::sync::mpsc::SyncSender;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use crate::terminal::Terminal;

/// Unprocessed output allowed before the oldest is skipped.
const MAX_BACKLOG: usize = 1024 * 1024;
/// What is kept when skipping: enough to redraw a screen of text.
const KEEP: usize = 32 * 1024;
/// While an agent floods, the emulator catches up at most this often (like a terminal's frame rate), so a flood
/// costs a fraction of a core instead of a whole one.
const FLOOD_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

#[derive(Default)]
struct Backlog {
    chunks: VecDeque<Vec<u8>>,
    bytes: usize,
    /// Bytes dropped just before the first queued chunk (everything older was already emulated).
    skipped: usize,
    closed: bool,
    /// The emulator thread waits for output (only then does a push need to wake it: a wake-up is a syscall).
    idle: bool,
}

/// The reader's side of the feed.
#[derive(Clone)]
pub struct VtFeed {
    state: Arc<(Mutex<Backlog>, Condvar)>,
}

/// Whether `bytes` may contain a terminal query (device attributes, cursor position, colours, size, keyboard).
/// Errs on the side of yes: anything after ESC that ends a query's way.
pub fn may_query(bytes: &[u8]) -> bool {
    memchr::memchr_iter(0x1b, bytes).any(|i| {
        let rest = &bytes[i + 1..bytes.len().min(i + 12)];
        match rest.first() {
            Some(b'[') => rest.iter().skip(1).find(|c| (0x40..=0x7e).contains(*c)).is_some_and(|f| b"cnut".contains(f)),
            Some(b']') => rest.windows(2).any(|w| w == b";?"),
            _ => false,
        }
    })
}

impl VtFeed {
    /// Starts the emulator thread; answers to queries go to `answers` (the PTY's input).
    pub fn start(terminal: Arc<Mutex<Terminal>>, answers: SyncSender<Vec<u8>>, pid: i32) -> std::io::Result<Self> {
        let feed = Self { state: Default::default() };
        let state = feed.state.clone();
        std::thread::Builder::new().name(format!("pty-vt-{pid}")).spawn(move || run(state, terminal, answers))?;
        Ok(feed)
    }

    /// Queues output for the emulator, skipping the oldest when it is too far behind.
    pub fn push(&self, data: &[u8]) {
        let (lock, cv) = &*self.state;
        let mut b = lock.lock().unwrap_or_else(PoisonError::into_inner);
        b.bytes += data.len();
        // Small reads join the last chunk: fewer allocations under a flood of short writes.
        match b.chunks.back_mut() {
            Some(last) if last.len() < 64 * 1024 => last.extend_from_slice(data),
            _ => b.chunks.push_back(data.to_vec()),
        }
        while b.bytes > MAX_BACKLOG && b.chunks.len() > 1 {
            let front_len = b.chunks.front().map_or(0, Vec::len);
            if b.bytes - front_len < KEEP || b.chunks.front().is_some_and(|c| may_query(c)) {
                // Keeping a question (or too little to redraw from): wait for the emulator instead.
                b = cv.wait(b).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            if let Some(c) = b.chunks.pop_front() {
                let keep_from = unfinished_sequence(&c).unwrap_or(c.len());
                b.bytes -= keep_from;
                b.skipped += keep_from;
                if let Some(next) = b.chunks.front_mut()
                    && keep_from < c.len()
                {
                    next.splice(0..0, c[keep_from..].iter().copied());
                }
            }
        }
        if b.idle {
            cv.notify_all();
        }
    }

    pub fn close(&self) {
        let (lock, cv) = &*self.state;
        lock.lock().unwrap_or_else(PoisonError::into_inner).closed = true;
        cv.notify_all();
    }
}

/// Where an escape sequence cut off at the end of `bytes` starts (so dropping output before it never cuts a
/// query in two).
fn unfinished_sequence(bytes: &[u8]) -> Option<usize> {
    let from = bytes.len().saturating_sub(24);
    let esc = from + bytes[from..].iter().rposition(|b| *b == 0x1b)?;
    let body = bytes.get(esc + 2..).unwrap_or_default();
    (!body.iter().any(|c| (0x40..=0x7e).contains(c) || *c == 0x07)).then_some(esc)
}

/// Where emulation resumes in a drained backlog: only the last `KEEP` bytes matter for the screen, unless a
/// chunk before them may ask a question (then everything from that chunk on is emulated). (chunk index, bytes
/// to cut from its front.)
fn tail_start(chunks: &[Vec<u8>], total: usize) -> (usize, usize) {
    let mut excess = total.saturating_sub(KEEP);
    for (i, c) in chunks.iter().enumerate() {
        if excess == 0 || may_query(c) {
            return (i, 0);
        }
        if c.len() > excess {
            // Never start inside an escape sequence: back up to its ESC.
            let cut = unfinished_sequence(&c[..excess]).unwrap_or(excess);
            return (i, cut);
        }
        excess -= c.len();
    }
    (chunks.len(), 0)
}

fn run(state: Arc<(Mutex<Backlog>, Condvar)>, terminal: Arc<Mutex<Terminal>>, answers: SyncSender<Vec<u8>>) {
    let (lock, cv) = &*state;
    loop {
        let (chunks, skip, closed) = {
            let mut b = lock.lock().unwrap_or_else(PoisonError::into_inner);
            while b.chunks.is_empty() && b.skipped == 0 && !b.closed {
                b.idle = true;
                b = cv.wait(b).unwrap_or_else(PoisonError::into_inner);
            }
            b.idle = false;
            let chunks: Vec<Vec<u8>> = b.chunks.drain(..).collect();
            b.bytes = 0;
            let skip = std::mem::take(&mut b.skipped);
            cv.notify_all();
            (chunks, skip, b.closed)
        };
        let total: usize = chunks.iter().map(Vec::len).sum();
        let flooding = skip > 0 || total > KEEP;
        let (first, cut) = tail_start(&chunks, total);
        let mut t = terminal.lock().unwrap_or_else(PoisonError::into_inner);
        let dropped: usize = chunks[..first].iter().map(Vec::len).sum::<usize>() + cut;
        t.skip((skip + dropped) as u64);
        for (i, c) in chunks.iter().enumerate().skip(first) {
            let c = if i == first { &c[cut..] } else { &c[..] };
            let reply = t.process(c);
            if !reply.is_empty() {
                let _ = answers.try_send(reply);
            }
        }
        drop(t);
        if closed {
            return;
        }
        if flooding {
            std::thread::sleep(FLOOD_PAUSE);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_recognised() {
        for q in [&b"\x1b[6n"[..], b"\x1b[c", b"\x1b[>0c", b"\x1b[?6n", b"\x1b]11;?\x07", b"\x1b[18t", b"\x1b[?u"] {
            assert!(may_query(q), "{q:?}");
        }
        for not in [&b"plain text"[..], b"\x1b[2m0123\x1b[0m\r\n", b"\x1b[H\x1b[2J", b"\x1b]0;title\x07"] {
            assert!(!may_query(not), "{not:?}");
        }
        assert_eq!(unfinished_sequence(b"text then a cut \x1b[6"), Some(16));
        assert_eq!(unfinished_sequence(b"done \x1b[0m"), None);
        assert_eq!(unfinished_sequence(b"\x1b"), Some(0));
    }

    #[test]
    fn a_flood_is_skipped_but_the_screen_and_offset_end_right() -> std::io::Result<()> {
        let terminal = Arc::new(Mutex::new(Terminal::new(40, 5)));
        let (tx, rx) = std::sync::mpsc::sync_channel(16);
        let feed = VtFeed::start(terminal.clone(), tx, 0)?;
        let mut total = 0;
        for i in 0..20_000 {
            let line = format!("line {i}\r\n");
            total += line.len() as u64;
            feed.push(line.as_bytes());
        }
        feed.push(b"\x1b[6n");
        total += 4;
        let reply = rx.recv_timeout(std::time::Duration::from_secs(10)).map_err(std::io::Error::other)?;
        assert!(reply.starts_with(b"\x1b[") && reply.ends_with(b"R"));
        feed.close();
        let t = terminal.lock().unwrap_or_else(PoisonError::into_inner);
        assert_eq!(t.offset(), total);
        assert_eq!(t.last_lines(1), vec!["line 19999".to_string()]);
        Ok(())
    }
}
