//! Load generators: concurrent clients on loopback, bounded in count and time.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::process::Server;
use crate::stats::Samples;

/// A project on a fresh (empty) git repository; returns its id.
pub async fn project(s: &Server) -> Result<String> {
    let repo = tempfile::Builder::new().prefix("viban-bench-repo-").tempdir()?.keep();
    let out = std::process::Command::new("git").args(["init", "-q"]).arg(&repo).output()?;
    anyhow::ensure!(out.status.success(), "git init failed");
    let r = s
        .client
        .post(format!("{}/api/projects", s.url))
        .bearer_auth(&s.token)
        .json(&json!({"name": "bench", "repo_path": repo}))
        .send()
        .await?;
    let v: Value = r.json().await?;
    v["id"].as_str().map(str::to_string).context("no project id")
}

/// Creates `n` tasks with `clients` concurrent clients; returns tasks per second.
pub async fn create_tasks(s: &Server, project: &str, n: usize, clients: usize) -> Result<f64> {
    let next = Arc::new(AtomicUsize::new(0));
    let url = format!("{}/api/projects/{project}/tasks", s.url);
    let t0 = Instant::now();
    let workers = (0..clients).map(|_| {
        let (next, url, client, token) = (next.clone(), url.clone(), s.client.clone(), s.token.clone());
        tokio::spawn(async move {
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    return Ok::<(), anyhow::Error>(());
                }
                let body =
                    json!({"title": format!("task {i}"), "description": "Some **markdown** describing the work."});
                let r = client.post(&url).bearer_auth(&token).json(&body).send().await?;
                if !r.status().is_success() {
                    bail!("create task: {}", r.status());
                }
            }
        })
    });
    for w in futures_util::future::join_all(workers).await {
        w??;
    }
    Ok(n as f64 / t0.elapsed().as_secs_f64())
}

/// `per_client` sequential GETs from each of `clients` concurrent clients; latencies in ms to the last byte.
/// With `gzip`, asks for it as browsers do (the body is not inflated here: that is the client's work).
pub async fn latencies(s: &Server, path: &str, clients: usize, per_client: usize, gzip: bool) -> Result<Samples> {
    let url = format!("{}{path}", s.url);
    let encoding = if gzip { "gzip, deflate, br, zstd" } else { "identity" };
    let workers = (0..clients).map(|_| {
        let (url, client, token) = (url.clone(), s.client.clone(), s.token.clone());
        tokio::spawn(async move {
            let mut out = Vec::with_capacity(per_client);
            for _ in 0..per_client {
                let t = Instant::now();
                let r = client.get(&url).bearer_auth(&token).header("accept-encoding", encoding).send().await?;
                let ok = r.status().is_success();
                let _ = r.bytes().await?;
                if !ok {
                    bail!("GET {url} failed");
                }
                out.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            Ok::<_, anyhow::Error>(out)
        })
    });
    let mut all = Vec::new();
    for w in futures_util::future::join_all(workers).await {
        all.extend(w??);
    }
    Ok(Samples(all))
}

/// Requests per second from `clients` concurrent clients for `window`.
pub async fn throughput(s: &Server, path: &str, clients: usize, window: Duration) -> Result<f64> {
    let url = format!("{}{path}", s.url);
    let until = Instant::now() + window;
    let t0 = Instant::now();
    let workers = (0..clients).map(|_| {
        let (url, client, token) = (url.clone(), s.client.clone(), s.token.clone());
        tokio::spawn(async move {
            let mut n = 0_u64;
            while Instant::now() < until {
                let r = client.get(&url).bearer_auth(&token).send().await?;
                let _ = r.bytes().await?;
                n += 1;
            }
            Ok::<_, anyhow::Error>(n)
        })
    });
    let mut total = 0;
    for w in futures_util::future::join_all(workers).await {
        total += w??;
    }
    Ok(total as f64 / t0.elapsed().as_secs_f64())
}

/// A single GET right after a change made the cached board stale (query + encode + gzip); ms.
pub async fn cold_board(s: &Server, project: &str, samples: usize) -> Result<Samples> {
    let board = format!("{}/api/projects/{project}/board", s.url);
    let v: Value = s.client.get(&board).bearer_auth(&s.token).send().await?.json().await?;
    let id = v["columns"][0]["tasks"][0]["id"].as_str().context("no task")?.to_string();
    let mut out = Vec::with_capacity(samples);
    for i in 0..samples {
        let r = s
            .client
            .patch(format!("{}/api/tasks/{id}", s.url))
            .bearer_auth(&s.token)
            .json(&json!({"title": format!("cold {i}")}))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "patch failed");
        let t = Instant::now();
        let r = s.client.get(&board).bearer_auth(&s.token).header("accept-encoding", "gzip").send().await?;
        let _ = r.bytes().await?;
        out.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Samples(out))
}

/// From sending a PATCH to a subscriber seeing its `change` frame; ms.
pub async fn change_latency(s: &Server, project: &str, samples: usize) -> Result<Samples> {
    let task: Value = s
        .client
        .post(format!("{}/api/projects/{project}/tasks", s.url))
        .bearer_auth(&s.token)
        .json(&json!({"title": "feed"}))
        .send()
        .await?
        .json()
        .await?;
    let id = task["id"].as_str().context("no task id")?.to_string();
    let ws_url = format!("{}/api/events", s.url.replacen("http://", "ws://", 1));
    let mut req = ws_url.into_client_request()?;
    req.headers_mut().insert("Authorization", format!("Bearer {}", s.token).parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    let _hello = ws.next().await;
    let mut out = Vec::with_capacity(samples);
    for i in 0..samples {
        let t = Instant::now();
        let r = s
            .client
            .patch(format!("{}/api/tasks/{id}", s.url))
            .bearer_auth(&s.token)
            .json(&json!({"title": format!("feed {i}")}))
            .send()
            .await?;
        anyhow::ensure!(r.status().is_success(), "patch failed");
        loop {
            let msg = tokio::time::timeout(Duration::from_secs(5), ws.next()).await?.context("socket closed")??;
            if msg.to_text().is_ok_and(|t| t.contains(&id)) {
                break;
            }
        }
        out.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    Ok(Samples(out))
}
