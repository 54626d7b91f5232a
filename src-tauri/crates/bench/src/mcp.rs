//! viban's MCP server and task flow (issue 15): tool call round trips over Streamable HTTP (the SDK's own client)
//! on a 10,000-task project, and auto-start latency — from the PATCH that moves the last blocker to Done to the
//! first output byte of the run it starts.

use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use futures_util::StreamExt;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::agents::{fake_agent, project, viewer};
use crate::process::Server;
use crate::stats::{Samples, median};

const TASKS: usize = 10_000;

async fn api(s: &Server, method: reqwest::Method, path: &str, body: Option<Value>) -> Result<Value> {
    let mut req = s.client.request(method, format!("{}{path}", s.url)).bearer_auth(&s.token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let res = req.send().await?;
    let status = res.status();
    let v: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("{path}: {status} {v}");
    }
    Ok(v)
}

async fn task(s: &Server, project: &str, title: &str) -> Result<String> {
    let v =
        api(s, reqwest::Method::POST, &format!("/api/projects/{project}/tasks"), Some(json!({"title": title}))).await?;
    Ok(v["id"].as_str().unwrap_or_default().to_string())
}

/// Milliseconds of each call of `tool` with `args`.
async fn timed(
    client: &rmcp::service::RunningService<rmcp::service::RoleClient, ()>,
    tool: &'static str,
    args: Value,
    n: usize,
) -> Result<Samples> {
    let args = args.as_object().cloned().unwrap_or_default();
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t0 = Instant::now();
        let r = client.call_tool(CallToolRequestParams::new(tool).with_arguments(args.clone())).await?;
        if r.is_error == Some(true) {
            bail!("{tool} failed: {:?}", r.content);
        }
        out.push(t0.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Samples(out))
}

/// From the last blocker's PATCH to Done to the first output byte of the run its dependent's auto-start starts.
async fn auto_start_latency(s: &Server, project: &str, round: usize) -> Result<f64> {
    let blocker = task(s, project, &format!("blocker {round}")).await?;
    let waiting = task(s, project, &format!("waits {round}")).await?;
    let deps = format!("/api/tasks/{waiting}/dependencies");
    api(s, reqwest::Method::POST, &deps, Some(json!({"blocker_id": blocker}))).await?;
    let auto = json!({"agent": "hello", "prompt": "go"});
    api(s, reqwest::Method::PUT, &format!("/api/tasks/{waiting}/auto-start"), Some(auto)).await?;
    let t0 = Instant::now();
    api(s, reqwest::Method::PATCH, &format!("/api/tasks/{blocker}"), Some(json!({"status": "done"}))).await?;
    let run = loop {
        let runs = api(s, reqwest::Method::GET, &format!("/api/tasks/{waiting}/runs"), None).await?;
        if let Some(id) = runs[0]["id"].as_str() {
            break id.to_string();
        }
        if t0.elapsed() > Duration::from_secs(30) {
            bail!("the auto-start did not start a run");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    };
    let mut ws = viewer(s, &run, Some(0)).await?;
    while let Some(msg) = tokio::time::timeout(Duration::from_secs(30), ws.next()).await? {
        if let Message::Binary(b) = msg?
            && b.len() > 8
        {
            return Ok(t0.elapsed().as_secs_f64() * 1000.0);
        }
    }
    bail!("the auto-started run ended without output")
}

pub async fn measure(quick: bool, runs: usize) -> Result<Vec<(String, String, &'static str)>> {
    let home = tempfile::tempdir()?;
    let profile = format!("[agents.hello]\ncommand = {:?}\nargs = [\"--\", \"{{prompt}}\"]\n", fake_agent().display());
    std::fs::create_dir_all(home.path().join("config"))?;
    std::fs::write(home.path().join("config/agents.toml"), profile)?;
    let (s, _) = Server::start(home.path()).await?;
    let project = project(&s).await?;
    let mut rows = Vec::new();

    // The big project, 16 creations in flight at a time.
    let made = Instant::now();
    let titles: Vec<String> = (0..TASKS).map(|i| format!("task {i}: something to do")).collect();
    let ids: Vec<String> = futures_util::stream::iter(titles.iter().map(|t| task(&s, &project, t)))
        .buffered(16)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    println!("made {TASKS} tasks in {:.1} s", made.elapsed().as_secs_f64());

    let config =
        StreamableHttpClientTransportConfig::with_uri(format!("{}/api/mcp", s.url)).auth_header(s.token.clone());
    let client = ().serve(StreamableHttpClientTransport::from_config(config)).await?;
    let n = if quick { 200 } else { 500 };
    let one = ids.get(TASKS / 2).cloned().unwrap_or_default();
    timed(&client, "get_task", json!({"task_id": one}), 20).await?;
    let reads = [
        ("get_task", json!({"task_id": one})),
        ("list_tasks", json!({"project_id": project, "text": "task 4242", "limit": 20})),
        ("list_projects", json!({})),
    ];
    for (tool, args) in reads {
        let t = timed(&client, tool, args, n).await?;
        rows.push((
            format!("MCP `{tool}` round trip over HTTP, {TASKS}-task project ({n} calls)"),
            format!("p50 {:.1} ms, p99 {:.1} ms", t.p(50.0), t.p(99.0)),
            "p99 ≤ 10 ms",
        ));
    }
    client.cancel().await?;

    let mut latencies = Vec::new();
    for round in 0..runs {
        latencies.push(auto_start_latency(&s, &project, round).await?);
    }
    let shown: Vec<String> = latencies.iter().map(|l| format!("{l:.0}")).collect();
    rows.push((
        "auto-start: last blocker PATCHed to Done → the dependent run's first output byte".into(),
        format!("median {:.0} ms (rounds {} ms)", median(&latencies), shown.join(", ")),
        "≤ 1 s",
    ));
    s.stop().await?;
    Ok(rows)
}
