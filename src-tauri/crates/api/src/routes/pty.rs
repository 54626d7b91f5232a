//! `/api/runs/{id}/pty`: the live terminal. Output frames carry their offset, so a viewer that reconnects with
//! `?from=` gets exactly what it missed. Everything sent is already stored: a viewer that falls behind the
//! in-memory ring (or stops reading) catches up from the store, and never makes the agent wait.

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;
use viban_agents::{AttachStart, Runs, StoredChunk};

use crate::error::{ApiQuery, parse_id};
use crate::{ApiError, ApiState};

/// Chunks read from the store per query while catching up.
const CATCH_UP_BATCH: i64 = 16;

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
        `screen`, `exit`, `error`"), (status = 404, body = viban_core::ApiErrorBody)))]
pub async fn upgrade(
    State(state): State<ApiState>,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<From>,
    ws: WebSocketUpgrade,
) -> Result<Response, ApiError> {
    let id = parse_id("run", &id)?;
    state.runs.get(id).await?;
    Ok(ws.on_upgrade(move |socket| async move {
        if let Err(e) = serve(socket, state, id, q.from).await {
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

/// Sends the part of `chunk` at or after `next`; returns the new `next`.
async fn send_from(socket: &mut WebSocket, next: u64, offset: u64, data: &[u8]) -> Result<u64, axum::Error> {
    let end = offset + data.len() as u64;
    // Already sent, or beyond a gap the caller fills from the store first.
    if end <= next || offset > next {
        return Ok(next);
    }
    let skip = (next - offset) as usize;
    socket.send(output_frame(next, &data[skip..])).await?;
    Ok(end)
}

/// Sends stored output from `next` up to at least `until` (or the end of what is stored).
async fn catch_up(socket: &mut WebSocket, runs: &Runs, id: Uuid, mut next: u64, until: u64) -> Result<u64, String> {
    while next < until {
        let chunks = runs.chunks_from(id, next, CATCH_UP_BATCH).await.map_err(|e| e.to_string())?;
        let before = next;
        for c in &chunks {
            next = send_from(socket, next, c.byte_offset as u64, &c.data).await.map_err(|e| e.to_string())?;
        }
        if next == before {
            break;
        }
    }
    Ok(next)
}

async fn serve(mut socket: WebSocket, state: ApiState, id: Uuid, from: Option<u64>) -> Result<(), String> {
    let runs = state.runs.clone();
    // A queued run has no terminal yet: wait until it starts (or ends without starting).
    let mut changes = runs.active_changes();
    let attachment = loop {
        let a = runs.attach(id, from).await.map_err(|e| e.to_string())?;
        if a.live.is_some() || !runs.get(id).await.map_err(|e| e.to_string())?.status.is_active() {
            break a;
        }
        tokio::select! {
            r = changes.changed() => r.map_err(|e| e.to_string())?,
            () = state.shutdown.cancelled() => return Ok(()),
        }
    };
    let mut next = match attachment.start {
        AttachStart::Screen { offset, cols, rows, data } => {
            let m =
                json(serde_json::json!({"type": "screen", "offset": offset, "cols": cols, "rows": rows, "data": data}));
            socket.send(m).await.map_err(|e| e.to_string())?;
            offset
        }
        AttachStart::From(f) => f,
    };
    let Some(mut live) = attachment.live else {
        catch_up(&mut socket, &runs, id, next, u64::MAX).await?;
        return finish(socket, &runs, id).await;
    };
    loop {
        tokio::select! {
            chunk = live.recv() => match chunk {
                Ok(StoredChunk { offset, data }) => {
                    if offset > next {
                        next = catch_up(&mut socket, &runs, id, next, offset).await?;
                    }
                    next = send_from(&mut socket, next, offset, &data).await.map_err(|e| e.to_string())?;
                }
                // Fell behind the ring (a slow viewer): the store has everything.
                Err(RecvError::Lagged(_)) => {
                    next = catch_up(&mut socket, &runs, id, next, u64::MAX).await?;
                }
                Err(RecvError::Closed) => {
                    catch_up(&mut socket, &runs, id, next, u64::MAX).await?;
                    return finish(socket, &runs, id).await;
                }
            },
            incoming = socket.recv() => match incoming {
                Some(Ok(Message::Binary(bytes))) => {
                    if let Err(e) = runs.input(id, bytes.to_vec()) {
                        tracing::debug!(run = %id, error = %e, "input from a viewer dropped");
                    }
                }
                Some(Ok(Message::Text(text))) => match serde_json::from_str::<ClientFrame>(&text) {
                    Ok(ClientFrame::Input { data }) => { let _ = runs.input(id, data.into_bytes()); }
                    Ok(ClientFrame::Resize { cols, rows }) => { let _ = runs.resize(id, cols, rows); }
                    Err(e) => {
                        let m = json(serde_json::json!({"type": "error", "code": "bad_frame", "message": e.to_string()}));
                        let _ = socket.send(m).await;
                    }
                },
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return Ok(()),
                Some(Ok(_)) => {}
            },
            () = state.shutdown.cancelled() => {
                let _ = socket.send(Message::Close(None)).await;
                return Ok(());
            }
        }
    }
}

/// The run ended and everything was sent: say how, then close.
async fn finish(mut socket: WebSocket, runs: &Runs, id: Uuid) -> Result<(), String> {
    // The end is recorded before the output stream closes, so the status here is final.
    let run = runs.get(id).await.map_err(|e| e.to_string())?;
    let m = json(serde_json::json!({"type": "exit", "status": run.status, "exit_code": run.exit_code}));
    let _ = socket.send(m).await;
    let _ = socket.send(Message::Close(None)).await;
    Ok(())
}
