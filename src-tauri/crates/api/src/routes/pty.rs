//! `/api/runs/{id}/pty`: the live terminal. Output frames carry their offset, so a viewer that reconnects with
//! `?from=` gets exactly what it missed. Everything sent is already stored: a viewer that falls behind the
//! in-memory ring (or stops reading) catches up from the store, and never makes the agent wait.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use uuid::Uuid;
use viban_agents::{AttachStart, Attachment, Runs};

use crate::error::{ApiQuery, parse_id};
use crate::{ApiError, ApiState};

#[derive(Debug, Deserialize)]
pub struct From {
    from: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum ClientFrame {
    Input { data: String },
    Resize { cols: u16, rows: u16 },
}

/// Upgrades to the run's terminal WebSocket (see docs/api-contract.md for the frames).
#[utoipa::path(get, path = "/api/runs/{id}/pty", tag = "runs", params(("id" = String, Path), ("from" = Option<u64>, Query)),
    responses((status = 101, description = "binary frames: 8-byte big-endian offset + output; JSON text frames \
        `screen`, `exit`, `error`"), (status = 400, body = viban_core::ApiErrorBody), (status = 404, body = viban_core::ApiErrorBody)))]
pub async fn upgrade(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<From>,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let id = parse_id("run", &id)?;
    // Attached before the upgrade: an unknown run or an offset the run has not reached is refused with a status
    // the client can read, and the socket starts from this attachment.
    let first = state.runs.attach(id, q.from).await?;
    Ok(ws.on_upgrade(move |socket| async move {
        if let Err(e) = serve(socket, state, id, q.from, first).await {
            tracing::debug!(run = %id, error = %e, "terminal viewer ended");
        }
    }))
}

fn output_frame(offset: u64, data: &[u8]) -> Message {
    let mut buf = Vec::with_capacity(8 + data.len());
    buf.extend_from_slice(&offset.to_be_bytes());
    buf.extend_from_slice(data);
    Message::Binary(buf.into())
}

fn json(v: serde_json::Value) -> Message {
    Message::Text(v.to_string().into())
}

/// `first`, or — while the run is queued and has no terminal yet — a new attachment once it starts (or ends
/// without starting).
async fn attach(
    state: &ApiState,
    id: Uuid,
    from: Option<u64>,
    first: Attachment,
) -> Result<Option<Attachment>, String> {
    let runs = &state.runs;
    let mut changes = runs.active_changes();
    let mut first = Some(first);
    loop {
        let (a, was_first) = match first.take() {
            Some(a) => (a, true),
            None => (runs.attach(id, from).await.map_err(|e| e.to_string())?, false),
        };
        if a.reader.is_live() || !runs.get(id).await.map_err(|e| e.to_string())?.status.is_active() {
            return Ok(Some(a));
        }
        if was_first {
            // Taken before `changes` was subscribed: a start in between would not wake us, so look again now.
            continue;
        }
        tokio::select! {
            r = changes.changed() => r.map_err(|e| e.to_string())?,
            () = state.shutdown.cancelled() => return Ok(None),
        }
    }
}

async fn serve(
    socket: WebSocket,
    state: ApiState,
    id: Uuid,
    from: Option<u64>,
    first: Attachment,
) -> Result<(), String> {
    let (mut sink, stream) = socket.split();
    let attachment = match attach(&state, id, from, first).await {
        Ok(Some(a)) => a,
        Ok(None) => return Ok(()),
        Err(e) => {
            let m =
                json(serde_json::json!({"type": "error", "code": viban_core::ErrorCode::AttachFailed, "message": e}));
            let _ = sink.send(m).await;
            return Err(e);
        }
    };
    if let AttachStart::Screen { offset, cols, rows, data } = attachment.start {
        let m = json(serde_json::json!({"type": "screen", "offset": offset, "cols": cols, "rows": rows, "data": data}));
        sink.send(m).await.map_err(|e| e.to_string())?;
    }
    // Keys and resizes are read by a task of their own: they never wait behind output being sent.
    let (replies, mut to_send) = tokio::sync::mpsc::channel::<Message>(4);
    let input = tokio::spawn(read_input(stream, state.runs.clone(), id, replies));
    let mut reader = attachment.reader;
    // A finished run's never changes; nor does a live one's once its transcript is gone (the reader then ends the
    // stream). A sender kept here means `changed` waits instead of failing at once.
    let (idle_tx, idle_rx) = tokio::sync::watch::channel(None);
    let mut store = attachment.store.unwrap_or(idle_rx);
    let paused = store.borrow_and_update().clone();
    if let Some(why) = paused {
        let _ = sink.send(store_frame(Some(&why))).await;
    }
    let result = loop {
        tokio::select! {
            changed = store.changed() => {
                if changed.is_err() {
                    store = idle_tx.subscribe();
                    continue;
                }
                let why = store.borrow_and_update().clone();
                let _ = sink.send(store_frame(why.as_deref())).await;
            }
            piece = reader.next() => match piece {
                Ok(Some(c)) => {
                    if let Err(e) = sink.send(output_frame(c.offset, &c.data)).await {
                        break Err(e.to_string());
                    }
                }
                Ok(None) => break finish(&mut sink, &state.runs, id).await,
                Err(e) => {
                    let m = json(serde_json::json!({"type": "error", "code": viban_core::ErrorCode::Transcript, "message": e.to_string()}));
                    let _ = sink.send(m).await;
                    break Err(e.to_string());
                }
            },
            reply = to_send.recv() => match reply {
                Some(m) => { let _ = sink.send(m).await; }
                // The viewer closed its side.
                None => break Ok(()),
            },
            () = state.shutdown.cancelled() => {
                let _ = sink.send(Message::Close(None)).await;
                break Ok(());
            }
        }
    };
    input.abort();
    result
}

/// Storing output paused (with why) or resumed.
fn store_frame(paused: Option<&str>) -> Message {
    json(serde_json::json!({"type": "store", "paused": paused.is_some(), "message": paused}))
}

/// The viewer's frames: input and resizes to the run; a malformed frame is answered with an error frame.
async fn read_input(
    mut stream: SplitStream<WebSocket>,
    runs: Runs,
    id: Uuid,
    replies: tokio::sync::mpsc::Sender<Message>,
) {
    while let Some(Ok(msg)) = stream.next().await {
        match msg {
            Message::Binary(bytes) => {
                if let Err(e) = runs.input(id, bytes.to_vec()) {
                    tracing::debug!(run = %id, error = %e, "input from a viewer dropped");
                }
            }
            Message::Text(text) => match serde_json::from_str::<ClientFrame>(&text) {
                Ok(ClientFrame::Input { data }) => {
                    let _ = runs.input(id, data.into_bytes());
                }
                Ok(ClientFrame::Resize { cols, rows }) => {
                    let _ = runs.resize(id, cols, rows);
                }
                Err(e) => {
                    let m = json(
                        serde_json::json!({"type": "error", "code": viban_core::ErrorCode::BadFrame, "message": e.to_string()}),
                    );
                    let _ = replies.send(m).await;
                }
            },
            Message::Close(_) => break,
            _ => {}
        }
    }
}

/// The run ended and everything was sent: say how, then close.
async fn finish(sink: &mut SplitSink<WebSocket, Message>, runs: &Runs, id: Uuid) -> Result<(), String> {
    // The end is recorded before the output stream closes, so the status here is final.
    let run = runs.get(id).await.map_err(|e| e.to_string())?;
    let m = json(serde_json::json!({"type": "exit", "status": run.status, "exit_code": run.exit_code}));
    let _ = sink.send(m).await;
    let _ = sink.send(Message::Close(None)).await;
    Ok(())
}
