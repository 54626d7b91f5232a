//! The last few runs' change listings, so `GET /api/runs/{id}/diff/file` does not list a 5,000-file change again
//! for every file the Changes view opens. An entry is dropped when the watcher reports files changed in its
//! worktree (`run_files`), when a landing operation may have moved HEAD, and when the change feed lags. A listing
//! computed across an invalidation of its worktree is served once, never kept.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use viban_core::ChangeEvent;
use viban_db::ChangeFeed;
use viban_git::DiffStats;

/// Runs whose listing is kept (the ones being reviewed now).
const KEEP_RUNS: usize = 8;
/// Invalidations remembered to judge listings still being computed.
const KEEP_INVALIDATIONS: usize = 64;

struct Entry {
    run: Uuid,
    worktree: String,
    target: String,
    listing: Arc<DiffStats>,
}

#[derive(Default)]
struct Inner {
    /// Most recently stored last.
    entries: VecDeque<Entry>,
    /// Bumped by every invalidation.
    seq: u64,
    /// The latest invalidations: (seq, worktree; None for all).
    dropped: VecDeque<(u64, Option<String>)>,
}

#[derive(Default)]
pub struct DiffCache {
    inner: Mutex<Inner>,
}

/// Taken before a listing is computed; `DiffCache::store` keeps the listing only if nothing invalidated its
/// worktree since.
#[derive(Debug, Clone, Copy)]
pub struct Ticket(u64);

impl DiffCache {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The kept listing of this run, if its worktree and target are still those.
    pub fn get(&self, run: Uuid, worktree: &str, target: &str) -> Option<Arc<DiffStats>> {
        let inner = self.lock();
        inner
            .entries
            .iter()
            .find(|e| e.run == run && e.worktree == worktree && e.target == target)
            .map(|e| e.listing.clone())
    }

    pub fn ticket(&self) -> Ticket {
        Ticket(self.lock().seq)
    }

    pub fn store(&self, ticket: Ticket, run: Uuid, worktree: &str, target: &str, listing: Arc<DiffStats>) {
        let mut inner = self.lock();
        let oldest_known = inner.dropped.front().map_or(inner.seq, |(s, _)| s.saturating_sub(1));
        if ticket.0 < oldest_known {
            return;
        }
        let touched = inner.dropped.iter().any(|(s, w)| *s > ticket.0 && w.as_deref().is_none_or(|w| w == worktree));
        if touched {
            return;
        }
        inner.entries.retain(|e| e.run != run);
        inner.entries.push_back(Entry { run, worktree: worktree.into(), target: target.into(), listing });
        while inner.entries.len() > KEEP_RUNS {
            inner.entries.pop_front();
        }
    }

    /// Files changed in `worktree`, or its HEAD may have moved (None: anything may have changed).
    pub fn invalidate(&self, worktree: Option<&str>) {
        let mut inner = self.lock();
        inner.seq += 1;
        let seq = inner.seq;
        inner.entries.retain(|e| worktree.is_some_and(|w| w != e.worktree));
        inner.dropped.push_back((seq, worktree.map(str::to_string)));
        while inner.dropped.len() > KEEP_INVALIDATIONS {
            inner.dropped.pop_front();
        }
    }

    /// The worktree of a kept run, to invalidate it by run id.
    pub fn worktree_of(&self, run: Uuid) -> Option<String> {
        self.lock().entries.iter().find(|e| e.run == run).map(|e| e.worktree.clone())
    }
}

/// Drops listings as the watcher reports changed files. A `run_files` event names the worktree's latest run; a
/// kept listing of an earlier run in the same worktree is found through the database.
pub fn follow_feed(cache: Arc<DiffCache>, feed: ChangeFeed, runs: viban_agents::Runs, cancel: CancellationToken) {
    use tokio::sync::broadcast::error::RecvError;
    let mut rx = feed.subscribe();
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                e = rx.recv() => e,
                () = cancel.cancelled() => return,
            };
            match event {
                Ok(ChangeEvent::RunFiles(f)) => match cache.worktree_of(f.run_id) {
                    Some(w) => cache.invalidate(Some(&w)),
                    None => match runs.get(f.run_id).await {
                        Ok(run) => cache.invalidate(Some(&run.worktree_path)),
                        Err(_) => cache.invalidate(None),
                    },
                },
                Ok(ChangeEvent::Resync) | Err(RecvError::Lagged(_)) => cache.invalidate(None),
                Ok(_) => {}
                Err(RecvError::Closed) => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing() -> Arc<DiffStats> {
        Arc::new(DiffStats { target: "main".into(), merge_base: "abc".into(), files: Vec::new() })
    }

    #[test]
    fn kept_until_its_worktree_changes_and_bounded() {
        let cache = DiffCache::default();
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let t = cache.ticket();
        cache.store(t, a, "/wt/a", "main", listing());
        cache.store(t, b, "/wt/b", "main", listing());
        assert!(cache.get(a, "/wt/a", "main").is_some());
        assert!(cache.get(a, "/wt/a", "dev").is_none());
        cache.invalidate(Some("/wt/a"));
        assert!(cache.get(a, "/wt/a", "main").is_none());
        assert!(cache.get(b, "/wt/b", "main").is_some());
        for _ in 0..KEEP_RUNS {
            cache.store(cache.ticket(), Uuid::now_v7(), "/wt/c", "main", listing());
        }
        assert!(cache.get(b, "/wt/b", "main").is_none(), "only the last {KEEP_RUNS} runs are kept");
    }

    #[test]
    fn a_listing_computed_across_an_invalidation_is_not_kept() {
        let cache = DiffCache::default();
        let run = Uuid::now_v7();
        let before = cache.ticket();
        cache.invalidate(Some("/wt/a"));
        cache.store(before, run, "/wt/a", "main", listing());
        assert!(cache.get(run, "/wt/a", "main").is_none());
        // Another worktree's change does not matter; losing track of old invalidations does.
        let t = cache.ticket();
        cache.invalidate(Some("/wt/b"));
        cache.store(t, run, "/wt/a", "main", listing());
        assert!(cache.get(run, "/wt/a", "main").is_some());
        let t = cache.ticket();
        for _ in 0..=KEEP_INVALIDATIONS {
            cache.invalidate(Some("/wt/b"));
        }
        let late = Uuid::now_v7();
        cache.store(t, late, "/wt/a", "main", listing());
        assert!(cache.get(late, "/wt/a", "main").is_none());
    }
}
