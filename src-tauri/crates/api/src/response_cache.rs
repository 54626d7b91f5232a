//! Encoded JSON responses for the hot reads (the project list and each board), kept until something they
//! show changes. A board of 10,000 tasks costs tens of milliseconds to query and encode; from here it is a
//! reference-counted copy of bytes. One request computes a missing entry while the others wait for it.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use viban_core::{ChangeEvent, ChangeTable};
use viban_db::ChangeFeed;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CacheKey {
    Projects,
    Board(Uuid),
}

/// Bodies above this size are also kept gzipped: a 10,000-task board is 3.7 MB of JSON, 0.35 MB gzipped.
const GZIP_FROM_BYTES: usize = 32 * 1024;

/// A JSON body, and its gzip form when it is large enough to be worth it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encoded {
    pub json: Bytes,
    pub gzip: Option<Bytes>,
}

impl Encoded {
    /// Compresses off the async threads (≈20 ms for 3.7 MB at level 1).
    async fn from_json(json: Bytes) -> Self {
        if json.len() < GZIP_FROM_BYTES {
            return Self { json, gzip: None };
        }
        let src = json.clone();
        let gzip = tokio::task::spawn_blocking(move || {
            use std::io::Write;
            let mut enc = flate2::write::GzEncoder::new(Vec::with_capacity(src.len() / 8), flate2::Compression::fast());
            enc.write_all(&src).and_then(|()| enc.finish()).ok().map(Bytes::from)
        })
        .await
        .ok()
        .flatten();
        Self { json, gzip }
    }

    /// The gzip body when the client takes it, else plain JSON.
    pub fn into_response(self, headers: &axum::http::HeaderMap) -> axum::response::Response {
        use axum::http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, VARY};
        use axum::response::IntoResponse;
        let accepts_gzip = headers
            .get_all(ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|e| e.trim().starts_with("gzip")));
        match self.gzip {
            Some(gz) if accepts_gzip => {
                ([(CONTENT_TYPE, "application/json"), (CONTENT_ENCODING, "gzip"), (VARY, "accept-encoding")], gz)
                    .into_response()
            }
            _ => ([(CONTENT_TYPE, "application/json"), (VARY, "accept-encoding")], self.json).into_response(),
        }
    }
}

#[derive(Default)]
struct Entry {
    /// Bumped by every invalidation; a body computed under an older generation is discarded.
    generation: u64,
    body: Option<Encoded>,
    /// Held while one request computes the body (single flight).
    flight: Arc<tokio::sync::Mutex<()>>,
}

#[derive(Default)]
pub struct ResponseCache {
    entries: Mutex<HashMap<CacheKey, Entry>>,
}

impl ResponseCache {
    fn lock(&self) -> MutexGuard<'_, HashMap<CacheKey, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached body, else the generation it must be computed under and the flight lock.
    fn lookup(&self, key: CacheKey) -> Result<Encoded, (u64, Arc<tokio::sync::Mutex<()>>)> {
        let mut entries = self.lock();
        let e = entries.entry(key).or_default();
        e.body.clone().ok_or_else(|| (e.generation, e.flight.clone()))
    }

    fn store(&self, key: CacheKey, generation: u64, body: Encoded) {
        let mut entries = self.lock();
        let e = entries.entry(key).or_default();
        if e.generation == generation {
            e.body = Some(body);
        }
    }

    /// The cached body, or `compute`'s, which is kept unless something changed meanwhile.
    pub async fn get_or_compute<E, F, Fut>(&self, key: CacheKey, compute: F) -> Result<Encoded, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Bytes, E>>,
    {
        let flight = match self.lookup(key) {
            Ok(body) => return Ok(body),
            Err((_, flight)) => flight,
        };
        let _computing = flight.lock().await;
        // Someone else may have filled it while we waited.
        let generation = match self.lookup(key) {
            Ok(body) => return Ok(body),
            Err((generation, _)) => generation,
        };
        let body = Encoded::from_json(compute().await?).await;
        self.store(key, generation, body.clone());
        Ok(body)
    }

    pub fn invalidate(&self, key: CacheKey) {
        let mut entries = self.lock();
        let e = entries.entry(key).or_default();
        e.generation += 1;
        e.body = None;
    }

    pub fn invalidate_all(&self) {
        for e in self.lock().values_mut() {
            e.generation += 1;
            e.body = None;
        }
    }

    /// What a change to a row makes stale.
    pub fn invalidate_for(&self, table: ChangeTable, project: Option<Uuid>) {
        if matches!(table, ChangeTable::Run | ChangeTable::Comment) {
            // Runs and comments are not part of any cached response.
            return;
        }
        if table == ChangeTable::Project {
            self.invalidate(CacheKey::Projects);
        }
        match project {
            Some(p) => self.invalidate(CacheKey::Board(p)),
            None => self.invalidate_all(),
        }
    }
}

/// Writes through this API invalidate at once; this catches everyone else's (and lost notifications).
pub fn follow_feed(cache: Arc<ResponseCache>, feed: ChangeFeed, cancel: CancellationToken) {
    use tokio::sync::broadcast::error::RecvError;
    let mut rx = feed.subscribe();
    tokio::spawn(async move {
        loop {
            let event = tokio::select! {
                e = rx.recv() => e,
                () = cancel.cancelled() => return,
            };
            match event {
                Ok(ChangeEvent::Change { table, project_id, .. }) => cache.invalidate_for(table, project_id),
                Ok(
                    ChangeEvent::Hello { .. }
                    | ChangeEvent::Status { .. }
                    | ChangeEvent::RunActivity(_)
                    | ChangeEvent::RunFiles(_),
                ) => {}
                Ok(ChangeEvent::Resync) | Err(RecvError::Lagged(_)) => cache.invalidate_all(),
                Err(RecvError::Closed) => return,
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(s: &'static str) -> Result<Bytes, ()> {
        Ok(Bytes::from_static(s.as_bytes()))
    }

    fn encoded(s: &'static str) -> Result<Encoded, ()> {
        Ok(Encoded { json: Bytes::from_static(s.as_bytes()), gzip: None })
    }

    #[tokio::test]
    async fn a_body_computed_across_an_invalidation_is_not_kept() {
        let cache = ResponseCache::default();
        let key = CacheKey::Board(Uuid::now_v7());
        // A write lands while the board is being computed: that body is served once, not kept.
        let first = cache
            .get_or_compute(key, || async {
                cache.invalidate(key);
                body("stale")
            })
            .await;
        assert_eq!(first, encoded("stale"));
        let second = cache.get_or_compute(key, || async { body("fresh") }).await;
        assert_eq!(second, encoded("fresh"));
        let third = cache.get_or_compute(key, || async { body("not called") }).await;
        assert_eq!(third, encoded("fresh"));
    }

    #[tokio::test]
    async fn concurrent_misses_compute_once() {
        let cache = Arc::new(ResponseCache::default());
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (cache, calls) = (cache.clone(), calls.clone());
                tokio::spawn(async move {
                    cache
                        .get_or_compute(CacheKey::Projects, || async {
                            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            tokio::task::yield_now().await;
                            body("[]")
                        })
                        .await
                })
            })
            .collect();
        for t in tasks {
            assert_eq!(t.await.ok(), Some(encoded("[]")));
        }
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn large_bodies_are_also_kept_gzipped() {
        use std::io::Read;
        let json = Bytes::from(format!("[{}0]", "1,".repeat(40_000)));
        let e = Encoded::from_json(json.clone()).await;
        let gz = e.gzip.clone().unwrap_or_default();
        assert!(!gz.is_empty() && gz.len() < json.len() / 10);
        let mut back = Vec::new();
        flate2::read::GzDecoder::new(&gz[..]).read_to_end(&mut back).unwrap_or_default();
        assert_eq!(back, json);
        let mut headers = axum::http::HeaderMap::new();
        assert!(e.clone().into_response(&headers).headers().get("content-encoding").is_none());
        headers.insert("accept-encoding", axum::http::HeaderValue::from_static("br, gzip;q=0.8"));
        assert_eq!(e.into_response(&headers).headers()["content-encoding"], "gzip");
    }

    #[test]
    fn a_project_change_makes_the_list_and_its_board_stale() {
        let cache = ResponseCache::default();
        let p = Uuid::now_v7();
        let empty = Encoded { json: Bytes::new(), gzip: None };
        cache.store(CacheKey::Projects, 0, empty.clone());
        cache.store(CacheKey::Board(p), 0, empty);
        cache.invalidate_for(ChangeTable::Task, Some(p));
        assert!(cache.lookup(CacheKey::Projects).is_ok(), "a task change leaves the project list");
        assert!(cache.lookup(CacheKey::Board(p)).is_err());
        cache.invalidate_for(ChangeTable::Project, Some(p));
        assert!(cache.lookup(CacheKey::Projects).is_err());
    }
}
