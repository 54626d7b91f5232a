//! Serialised boards, kept until something in the project changes. A board of 10,000 tasks costs tens of
//! milliseconds to query and encode; served from here it is a reference-counted copy of bytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use viban_core::{ChangeEvent, ChangeTable};
use viban_db::ChangeFeed;

#[derive(Default)]
struct Entry {
    /// Bumped by every invalidation; a body computed under an older generation is discarded.
    generation: u64,
    body: Option<Bytes>,
}

#[derive(Default)]
pub struct BoardCache {
    entries: Mutex<HashMap<Uuid, Entry>>,
}

impl BoardCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<Uuid, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached body, or the generation to pass to `store` after computing it.
    pub fn get(&self, project: Uuid) -> Result<Bytes, u64> {
        let mut entries = self.lock();
        let e = entries.entry(project).or_default();
        e.body.clone().ok_or(e.generation)
    }

    pub fn store(&self, project: Uuid, generation: u64, body: Bytes) {
        let mut entries = self.lock();
        let e = entries.entry(project).or_default();
        if e.generation == generation {
            e.body = Some(body);
        }
    }

    pub fn invalidate(&self, project: Uuid) {
        let mut entries = self.lock();
        let e = entries.entry(project).or_default();
        e.generation += 1;
        e.body = None;
    }

    pub fn invalidate_all(&self) {
        for e in self.lock().values_mut() {
            e.generation += 1;
            e.body = None;
        }
    }
}

/// Writes through this API invalidate at once; this catches everyone else's (and lost notifications).
pub fn follow_feed(cache: Arc<BoardCache>, feed: ChangeFeed, cancel: CancellationToken) {
    let mut rx = feed.subscribe();
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                e = rx.recv() => e,
                () = cancel.cancelled() => return,
            };
            match event {
                Ok(ChangeEvent::Change { table: ChangeTable::Task | ChangeTable::Project, project_id, .. }) => {
                    match project_id {
                        Some(p) => cache.invalidate(p),
                        None => cache.invalidate_all(),
                    }
                }
                Ok(ChangeEvent::Hello { .. }) => {}
                Ok(ChangeEvent::Resync) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    cache.invalidate_all()
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_computed_before_an_invalidation_is_not_kept() {
        let cache = BoardCache::default();
        let p = Uuid::now_v7();
        let generation = cache.get(p).err().unwrap_or(u64::MAX);
        cache.invalidate(p); // a write lands while the board was being computed
        cache.store(p, generation, Bytes::from_static(b"stale"));
        assert!(cache.get(p).is_err(), "stale body must not be served");
        let generation = cache.get(p).err().unwrap_or(u64::MAX);
        cache.store(p, generation, Bytes::from_static(b"fresh"));
        assert_eq!(cache.get(p).ok(), Some(Bytes::from_static(b"fresh")));
    }
}
