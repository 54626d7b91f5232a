//! The change feed: one `PgListener` on `viban_changes`, fanned out on a broadcast channel. Notifications sent
//! while the listener reconnects are lost by PostgreSQL's design, so subscribers are told to resync then.

use std::time::Duration;

use serde::Deserialize;
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;
use viban_core::{ChangeEvent, ChangeOp, ChangeTable};

use crate::Db;

pub const CHANNEL: &str = "viban_changes";

#[derive(Deserialize)]
struct Payload {
    table: ChangeTable,
    op: ChangeOp,
    id: Uuid,
    project_id: Option<Uuid>,
}

/// Handle to the running feed; subscribe for `ChangeEvent`s.
#[derive(Clone)]
pub struct ChangeFeed {
    tx: broadcast::Sender<ChangeEvent>,
}

impl ChangeFeed {
    /// Starts listening in the background until `cancel` fires, and returns once the first `LISTEN` is in
    /// place (or after `ready_within`), so no change made after start is missed.
    pub async fn start(db: Db, cancel: CancellationToken, ready_within: Duration) -> Self {
        let (tx, _) = broadcast::channel(4096);
        let feed = Self { tx: tx.clone() };
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel();
        tokio::spawn(async move {
            tokio::select! {
                () = listen_forever(db, tx, ready_tx) => {},
                () = cancel.cancelled() => {},
            }
        });
        if tokio::time::timeout(ready_within, ready_rx).await.is_err() {
            tracing::warn!("change feed not listening yet; clients will resync when it is");
        }
        feed
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ChangeEvent> {
        self.tx.subscribe()
    }

    /// Publishes an event in-process (used to announce a resync after the database came back).
    pub fn publish(&self, event: ChangeEvent) {
        let _ = self.tx.send(event);
    }
}

async fn listen_forever(db: Db, tx: broadcast::Sender<ChangeEvent>, ready: tokio::sync::oneshot::Sender<()>) {
    let mut backoff = Duration::from_millis(50);
    let mut ready = Some(ready);
    loop {
        match listen_once(&db, &tx, &mut ready).await {
            Ok(()) => backoff = Duration::from_millis(50),
            Err(e) => {
                tracing::debug!(error = %e, "change feed listener failed; retrying");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(2));
            }
        }
        // Whatever happened, notifications may have been missed.
        let _ = tx.send(ChangeEvent::Resync);
    }
}

/// Runs until the connection drops; Ok if it had been up (so the retry starts fast), Err if it never came up.
async fn listen_once(
    db: &Db,
    tx: &broadcast::Sender<ChangeEvent>,
    ready: &mut Option<tokio::sync::oneshot::Sender<()>>,
) -> Result<(), sqlx::Error> {
    let mut listener = PgListener::connect_with(db.pool()).await?;
    listener.ignore_pool_close_event(true);
    listener.listen(CHANNEL).await?;
    tracing::debug!("change feed listening");
    if let Some(r) = ready.take() {
        let _ = r.send(());
    }
    let _ = tx.send(ChangeEvent::Resync);
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) => match serde_json::from_str::<Payload>(n.payload()) {
                Ok(p) => {
                    let _ =
                        tx.send(ChangeEvent::Change { table: p.table, op: p.op, id: p.id, project_id: p.project_id });
                }
                Err(e) => {
                    tracing::warn!(error = %e, payload = n.payload(), "unreadable change notification")
                }
            },
            // The connection was lost; PgListener would reconnect, but we rebuild it to announce a resync.
            Ok(None) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}
