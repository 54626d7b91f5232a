//! `viban-server mcp`: viban's MCP server over stdio, for clients that start a command. It finds the running viban
//! through `server.json` and relays each JSON-RPC message to its Streamable HTTP endpoint (`/api/mcp`) with the
//! token, writing the answers (a JSON body, or the events of an SSE stream) back as lines — one set of tools, served
//! by the running app, whichever transport a client speaks.

use std::sync::Arc;

use reqwest::header::{ACCEPT, CONTENT_TYPE};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;
use viban_core::AppPaths;

use crate::ServerFile;

#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error(
        "viban is not running for {0} (no server.json there): start the desktop app or `viban-server serve`, then \
         connect again"
    )]
    NotRunning(String),
    #[error("reading stdin or writing stdout failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Where the bridge sends and what it remembers between messages.
struct Link {
    client: reqwest::Client,
    url: String,
    token: String,
    session: Mutex<Option<String>>,
    out: Mutex<tokio::io::Stdout>,
}

/// Relays stdin to the running viban until stdin closes; then ends the session.
pub async fn bridge(paths: &AppPaths) -> Result<(), BridgeError> {
    let file = ServerFile::read(&paths.server_json())
        .map_err(|_| BridgeError::NotRunning(paths.data_dir.display().to_string()))?;
    let token = std::env::var("VIBAN_MCP_TOKEN").ok().filter(|t| !t.is_empty()).unwrap_or(file.token);
    let link = Arc::new(Link {
        client: reqwest::Client::new(),
        url: format!("{}/api/mcp", file.url.trim_end_matches('/')),
        token,
        session: Mutex::new(None),
        out: Mutex::new(tokio::io::stdout()),
    });
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut first = true;
    let mut pending = Vec::new();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        if first {
            // The session id comes with the answer to `initialize`: everything after waits for it.
            first = false;
            link.relay(line).await?;
        } else {
            let link = link.clone();
            pending.push(tokio::spawn(async move { link.relay(line).await }));
        }
        pending.retain(|t| !t.is_finished());
    }
    for t in pending {
        let _ = t.await;
    }
    if let Some(session) = link.session.lock().await.clone() {
        let _ = link.client.delete(&link.url).bearer_auth(&link.token).header("mcp-session-id", session).send().await;
    }
    Ok(())
}

impl Link {
    /// One message to the server; its answers (none for a notification) to stdout.
    async fn relay(&self, line: String) -> Result<(), BridgeError> {
        let id = serde_json::from_str::<Value>(&line).ok().and_then(|v| v.get("id").cloned());
        let mut req = self
            .client
            .post(&self.url)
            .bearer_auth(&self.token)
            .header(ACCEPT, "application/json, text/event-stream")
            .header(CONTENT_TYPE, "application/json")
            .body(line);
        if let Some(s) = self.session.lock().await.clone() {
            req = req.header("mcp-session-id", s);
        }
        let res = match req.send().await {
            Ok(r) => r,
            Err(e) => return self.fail(id, &format!("viban at {} did not answer: {e}", self.url)).await,
        };
        if let Some(s) = res.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()) {
            *self.session.lock().await = Some(s.to_string());
        }
        let status = res.status();
        if !status.is_success() {
            let body = res.text().await.unwrap_or_default();
            return self.fail(id, &format!("viban refused the message ({status}): {body}")).await;
        }
        let sse = res
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| t.starts_with("text/event-stream"));
        if !sse {
            let body = res.bytes().await.unwrap_or_default();
            if !body.iter().all(u8::is_ascii_whitespace) {
                self.write(&body).await?;
            }
            return Ok(());
        }
        let (mut events, mut res) = (SseLines::default(), res);
        while let Ok(Some(chunk)) = res.chunk().await {
            for data in events.push(&chunk) {
                self.write(data.as_bytes()).await?;
            }
        }
        Ok(())
    }

    /// A JSON-RPC error for a request the server could not answer (a notification gets none).
    async fn fail(&self, id: Option<Value>, message: &str) -> Result<(), BridgeError> {
        tracing::warn!(%message, "an MCP message could not be relayed");
        match id {
            Some(id) => {
                let err = json!({"jsonrpc": "2.0", "id": id, "error": {"code": -32603, "message": message}});
                self.write(err.to_string().as_bytes()).await
            }
            None => Ok(()),
        }
    }

    async fn write(&self, message: &[u8]) -> Result<(), BridgeError> {
        let mut out = self.out.lock().await;
        let trimmed = message.strip_suffix(b"\n").unwrap_or(message);
        out.write_all(trimmed).await?;
        out.write_all(b"\n").await?;
        out.flush().await?;
        Ok(())
    }
}

/// Server-sent events as they arrive: the `data` of each complete event (empty ones, like a priming event, skipped).
#[derive(Default)]
struct SseLines {
    partial: Vec<u8>,
    data: Vec<String>,
}

impl SseLines {
    fn push(&mut self, chunk: &[u8]) -> Vec<String> {
        self.partial.extend_from_slice(chunk);
        let mut done = Vec::new();
        while let Some(end) = self.partial.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']).to_string();
            if line.is_empty() {
                let data = std::mem::take(&mut self.data).join("\n");
                if !data.trim().is_empty() {
                    done.push(data);
                }
            } else if let Some(d) = line.strip_prefix("data:") {
                self.data.push(d.strip_prefix(' ').unwrap_or(d).to_string());
            }
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::SseLines;

    #[test]
    fn events_split_across_chunks_come_out_whole_and_empty_ones_are_skipped() {
        let mut sse = SseLines::default();
        assert!(sse.push(b"id: 0\nretry: 3000\ndata:\n\ndata: {\"a\"").is_empty());
        assert_eq!(sse.push(b":1}\r\n\r\ndata: x\ndata: y\n\n"), vec!["{\"a\":1}".to_string(), "x\ny".to_string()]);
    }
}
