//! `--mcp`: the fake agent as an MCP client of the server its run was given (`VIBAN_MCP_URL`, `VIBAN_MCP_TOKEN`):
//! it reads its own task, creates a subtask of it, and with `--mcp-other PROJECT` tries a project that is not its
//! own. Each answer is printed, so the test reads the outcome in the run's transcript.

use std::io::Write;

use serde_json::{Value, json};

struct Session {
    http: reqwest::Client,
    url: String,
    token: String,
    id: Option<String>,
    next: u64,
}

impl Session {
    async fn send(&mut self, method: &str, params: Value, notify: bool) -> Result<Value, String> {
        let mut msg = json!({"jsonrpc": "2.0", "method": method, "params": params});
        if !notify {
            self.next += 1;
            msg["id"] = json!(self.next);
        }
        let mut req = self
            .http
            .post(&self.url)
            .bearer_auth(&self.token)
            .header("accept", "application/json, text/event-stream")
            .header("content-type", "application/json")
            .body(msg.to_string());
        if let Some(id) = &self.id {
            req = req.header("mcp-session-id", id);
        }
        let res = req.send().await.map_err(|e| e.to_string())?;
        if let Some(id) = res.headers().get("mcp-session-id").and_then(|v| v.to_str().ok()) {
            self.id = Some(id.to_string());
        }
        let status = res.status();
        let text = res.text().await.map_err(|e| e.to_string())?;
        if !status.is_success() {
            return Err(format!("HTTP {status}: {text}"));
        }
        if notify {
            return Ok(Value::Null);
        }
        // A JSON body, or the `data:` of an SSE stream.
        let body = text.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim).find(|d| !d.is_empty());
        serde_json::from_str(body.unwrap_or(&text)).map_err(|e| format!("{e}: {text}"))
    }

    /// A tool's structured answer, or its error content.
    async fn call(&mut self, tool: &str, args: Value) -> Result<Value, Value> {
        let reply = self.send("tools/call", json!({"name": tool, "arguments": args}), false).await;
        let reply = reply.map_err(Value::String)?;
        let result = &reply["result"];
        let content = result["structuredContent"].clone();
        if result["isError"] == json!(true) { Err(content) } else { Ok(content) }
    }
}

pub fn run(out: &mut impl Write, other: Option<&str>) -> std::io::Result<()> {
    let (Ok(url), Ok(token)) = (std::env::var("VIBAN_MCP_URL"), std::env::var("VIBAN_MCP_TOKEN")) else {
        writeln!(out, "mcp: no server was configured for this run")?;
        return Ok(());
    };
    let task = std::env::var("VIBAN_TASK_ID").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let lines = rt.block_on(async {
        let mut s = Session { http: reqwest::Client::new(), url, token, id: None, next: 0 };
        let init = json!({"protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "fake-agent", "version": "1"}});
        if let Err(e) = s.send("initialize", init, false).await {
            return vec![format!("mcp: initialize failed: {e}")];
        }
        let _ = s.send("notifications/initialized", json!({}), true).await;
        let mut lines = Vec::new();
        let me = s.call("get_task", json!({"task_id": task})).await;
        let project = me.as_ref().ok().and_then(|v| v["task"]["project_id"].as_str()).unwrap_or_default().to_string();
        match &me {
            Ok(v) => lines.push(format!("mcp task: {}", v["task"]["title"].as_str().unwrap_or_default())),
            Err(e) => lines.push(format!("mcp task failed: {e}")),
        }
        let sub = json!({"project_id": project, "title": "Subtask from the agent", "parent_task_id": task});
        match s.call("create_task", sub).await {
            Ok(v) => lines.push(format!("mcp subtask: {}", v["task"]["id"].as_str().unwrap_or_default())),
            Err(e) => lines.push(format!("mcp subtask failed: {e}")),
        }
        if let Some(other) = other {
            match s.call("list_tasks", json!({"project_id": other})).await {
                Ok(v) => lines.push(format!("mcp other project: visible ({} tasks)", v["total"])),
                Err(e) => lines.push(format!("mcp other project: {}", e["code"].as_str().unwrap_or("error"))),
            }
        }
        lines
    });
    for l in lines {
        writeln!(out, "{l}")?;
    }
    Ok(())
}
