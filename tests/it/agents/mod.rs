//! Agent runs end to end: real PTYs, real git worktrees, the real store, the `fake-agent` binary as the agent.

mod agent_env;
mod bad_input;
mod container;
mod copy_files;
mod crash;
mod dash_prompt;
mod delete_running;
mod disk_full_run;
mod kubernetes;
mod real_clis;
mod runs;
mod setup_live;
mod stop;
mod transcript;
mod viewer;

use std::path::PathBuf;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use viban_test_support::{TestApp, wait_until};

pub type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A bin of viban-test-support, built next to viban-server (`cargo xtask test` builds both first).
pub fn fake_agent() -> PathBuf {
    let bin = viban_test_support::server_bin().unwrap_or_default().with_file_name("fake-agent");
    assert!(bin.is_file(), "{} is missing: run `cargo build -p viban-test-support`", bin.display());
    bin
}

/// Profiles for the scripted agent, one per behaviour, plus `extra` TOML (e.g. a `[runs]` section).
pub fn profiles(extra: &str) -> String {
    let bin = fake_agent().display().to_string();
    let profile = |id: &str, args: &str| format!("[agents.{id}]\ncommand = {bin:?}\nargs = [{args}]\n");
    [
        extra.to_string(),
        // Like the built-ins, the prompt comes after `--`: a prompt starting with `-` stays the prompt.
        profile("ask", r#""--ask", "Proceed?", "--write", "agent-output.txt=done", "--", "{prompt}""#),
        profile(
            "stubborn",
            r#""--ignore-sigterm", "--grandchild", "--daemon", "--linger-ms", "600000", "--", "{prompt}""#,
        ),
        profile("tui", r#""--tui", "--ask", "Do you trust this folder?", "--", "{prompt}""#),
        profile("flood", r#""--flood", "1", "--", "{prompt}""#),
        profile("linger", r#""--linger-ms", "600000", "--", "{prompt}""#),
        profile("fail", r#""--exit", "3", "--", "{prompt}""#),
        profile("env", r#""--print-env", "--", "{prompt}""#),
    ]
    .join("\n")
}

/// An app whose agents are the fake ones, and a project with a task.
pub struct Fixture {
    pub app: TestApp,
    pub repos: tempfile::TempDir,
    pub project: String,
}

/// Starts viban-server on `home`, starts `agent` on a new task of `repo`, waits for its prompt ("survive") on the
/// screen, then kills viban with SIGKILL mid-run. The run's id.
pub async fn killed_mid_run(home: &std::path::Path, repo: &std::path::Path, agent: &str) -> anyhow::Result<String> {
    use reqwest::Method;
    let server = viban_test_support::ServerProcess::spawn(home, &[]).await?;
    let project = server.call(Method::POST, "/api/projects", Some(json!({"name": "k", "repo_path": repo}))).await?;
    let task = server
        .call(Method::POST, &format!("/api/projects/{}/tasks", project.str("id")), Some(json!({"title": "t"})))
        .await?;
    let body = json!({"agent": agent, "prompt": "survive"});
    let id = server.call(Method::POST, &format!("/api/tasks/{}/runs", task.str("id")), Some(body)).await?.str("id");
    wait_until("the agent's first output", Duration::from_secs(30), || async {
        let r = server.call(Method::GET, &format!("/api/runs/{id}/screen"), None).await.ok()?;
        r.body.to_string().contains("survive").then_some(())
    })
    .await?;
    server.signal(nix::sys::signal::Signal::SIGKILL);
    Ok(id)
}

impl Fixture {
    /// Replaces the profiles with the fake ones plus `extra`.
    pub async fn set_profiles(&self, extra: &str) -> anyhow::Result<()> {
        let body = json!({"text": profiles(extra)});
        let r = self.app.call(reqwest::Method::PUT, "/api/agents/config", Some(body)).await?;
        anyhow::ensure!(r.status == StatusCode::OK, "saving profiles: {r:?}");
        Ok(())
    }

    pub async fn start(extra: &str) -> anyhow::Result<Self> {
        let app = TestApp::start_with(|c| {
            c.ladder = viban_agents_ladder();
        })
        .await?;
        let r = app.call(reqwest::Method::PUT, "/api/agents/config", Some(json!({"text": profiles(extra)}))).await?;
        anyhow::ensure!(r.status == StatusCode::OK, "saving profiles: {r:?}");
        let repos = tempfile::tempdir()?;
        let project = app.project(repos.path(), "agents").await?;
        Ok(Self { app, repos, project })
    }

    pub async fn task(&self, title: &str) -> anyhow::Result<String> {
        let r = self.app.post(&format!("/api/projects/{}/tasks", self.project), json!({"title": title})).await?;
        anyhow::ensure!(r.status == StatusCode::CREATED, "creating task: {r:?}");
        Ok(r.str("id"))
    }

    /// Starts `agent` on a new task; returns the run.
    pub async fn run(&self, agent: &str, prompt: &str) -> anyhow::Result<Value> {
        let task = self.task(&format!("task for {agent}")).await?;
        let r = self.app.post(&format!("/api/tasks/{task}/runs"), json!({"agent": agent, "prompt": prompt})).await?;
        anyhow::ensure!(r.status == StatusCode::CREATED, "starting {agent}: {r:?}");
        Ok(r.body)
    }

    pub async fn get_run(&self, id: &str) -> anyhow::Result<Value> {
        Ok(self.app.get(&format!("/api/runs/{id}")).await?.body)
    }

    /// Waits until the run's status is `status`.
    pub async fn wait_status(&self, id: &str, status: &str, deadline: Duration) -> anyhow::Result<Value> {
        wait_until(&format!("run {id} to be {status}"), deadline, || async {
            let run = self.get_run(id).await.ok()?;
            (run["status"] == status).then_some(run)
        })
        .await
    }

    /// The screen as one string.
    pub async fn screen(&self, id: &str) -> anyhow::Result<String> {
        let r = self.app.get(&format!("/api/runs/{id}/screen")).await?;
        anyhow::ensure!(r.status == StatusCode::OK, "screen: {r:?}");
        let lines: Vec<String> = r.body["lines"]
            .as_array()
            .map(|ls| ls.iter().map(|l| l.as_str().unwrap_or_default().to_string()).collect())
            .unwrap_or_default();
        Ok(lines.join("\n"))
    }

    pub async fn wait_screen(&self, id: &str, needle: &str) -> anyhow::Result<String> {
        wait_until(&format!("{needle:?} on run {id}'s screen"), Duration::from_secs(20), || async {
            let s = self.screen(id).await.ok()?;
            s.contains(needle).then_some(s)
        })
        .await
    }

    pub async fn viewer(&self, id: &str, from: Option<u64>) -> anyhow::Result<Socket> {
        let q = from.map(|f| format!("?from={f}")).unwrap_or_default();
        let mut req = format!("ws://{}/api/runs/{id}/pty{q}", self.app.app.addr).into_client_request()?;
        req.headers_mut().insert("Authorization", format!("Bearer {}", self.app.app.token).parse()?);
        Ok(tokio_tungstenite::connect_async(req).await?.0)
    }

    /// Every output byte of a finished run, read through the terminal WebSocket from offset 0, checking that
    /// frames are contiguous; and the `exit` frame.
    pub async fn transcript(&self, id: &str) -> anyhow::Result<(Vec<u8>, Value)> {
        let mut ws = self.viewer(id, Some(0)).await?;
        let mut bytes = Vec::new();
        let read = async {
            while let Some(msg) = ws.next().await {
                match msg? {
                    Message::Binary(b) => {
                        let (off, data) = split_frame(&b)?;
                        anyhow::ensure!(off == bytes.len() as u64, "frame at {off}, expected {}", bytes.len());
                        bytes.extend_from_slice(data);
                    }
                    Message::Text(t) => {
                        let v: Value = serde_json::from_str(&t)?;
                        if v["type"] == "exit" {
                            return Ok(v);
                        }
                    }
                    _ => {}
                }
            }
            anyhow::bail!("socket closed without an exit frame")
        };
        let exit = tokio::time::timeout(Duration::from_secs(60), read).await??;
        Ok((bytes, exit))
    }
}

/// (offset, bytes) of an output frame.
pub fn split_frame(b: &[u8]) -> anyhow::Result<(u64, &[u8])> {
    anyhow::ensure!(b.len() >= 8, "short frame");
    let mut off = [0u8; 8];
    off.copy_from_slice(&b[..8]);
    Ok((u64::from_be_bytes(off), &b[8..]))
}

/// Short waits between the stop signals, so tests of the ladder stay quick.
pub fn viban_agents_ladder() -> viban_server::Ladder {
    viban_server::Ladder {
        after_int: Duration::from_millis(400),
        after_term: Duration::from_millis(600),
        after_kill: Duration::from_secs(3),
    }
}

/// Live processes whose environment carries the run's marker.
pub fn marked_processes(run: &str) -> Vec<i32> {
    let marker = format!("VIBAN_RUN_ID={run}").into_bytes();
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| viban_test_support::pid_alive(*pid))
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == marker.as_slice()))
        })
        .collect()
}
