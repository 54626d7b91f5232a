//! `/api/events`: the change feed over a WebSocket. A client that falls behind is told to resync instead of
//! being buffered without bound.

use axum::extract::State;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use tokio::sync::broadcast::error::RecvError;
use viban_core::ChangeEvent;

use crate::ApiState;

/// Upgrades to the change-feed WebSocket (same token and Origin rules as the rest of the API).
#[utoipa::path(get, path = "/api/events", tag = "events",
    responses((status = 101, description = "WebSocket of ChangeEvent JSON frames", body = ChangeEvent)))]
pub async fn upgrade(State(state): State<ApiState>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| serve(socket, state))
}

fn frame(event: &ChangeEvent) -> Option<Message> {
    serde_json::to_string(event).ok().map(|s| Message::Text(s.into()))
}

fn status_event(state: &ApiState) -> ChangeEvent {
    ChangeEvent::Status { database: state.status.borrow().database.word().to_string() }
}

async fn serve(mut socket: WebSocket, state: ApiState) {
    let mut rx = state.feed.subscribe();
    let mut status = state.status.clone();
    for first in [ChangeEvent::Hello { version: state.version.to_string() }, status_event(&state)] {
        if let Some(m) = frame(&first)
            && socket.send(m).await.is_err()
        {
            return;
        }
    }
    loop {
        tokio::select! {
            changed = status.changed() => {
                if changed.is_err() {
                    break;
                }
                let Some(m) = frame(&status_event(&state)) else { continue };
                if socket.send(m).await.is_err() {
                    break;
                }
            }
            event = rx.recv() => {
                let event = match event {
                    Ok(e) => e,
                    Err(RecvError::Lagged(_)) => ChangeEvent::Resync,
                    Err(RecvError::Closed) => break,
                };
                let Some(m) = frame(&event) else { continue };
                if socket.send(m).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            () = state.shutdown.cancelled() => {
                let _ = socket.send(Message::Close(None)).await;
                break;
            }
        }
    }
}
