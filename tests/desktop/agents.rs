//! Agents from the tray: the running agent is listed and stopped there, a quiet one waits in the inbox (the
//! window's title counts it; the tray's Inbox line shows the window again), and Quit asks before stopping agents.

use std::time::Duration;

use serde_json::{Value, json};
use viban_test_support::wait_until;

use crate::harness::{Api, Desktop, menu_key, open_tray_menu, sh, visible_windows};

impl Api {
    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut req = reqwest::Client::new().request(method, format!("{}{path}", self.url)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        Ok(req.send().await?.json().await.unwrap_or(Value::Null))
    }

    /// A project with a task running the lingering fake agent; returns the run id.
    async fn start_agent(&self, repo: &std::path::Path, title: &str) -> anyhow::Result<String> {
        let projects = self.call(reqwest::Method::GET, "/api/projects", None).await?;
        let project = match projects.as_array().and_then(|a| a.first()) {
            Some(p) => p["id"].as_str().unwrap_or_default().to_string(),
            None => {
                let body = json!({"name": "desk", "repo_path": repo});
                let p = self.call(reqwest::Method::POST, "/api/projects", Some(body)).await?;
                p["id"].as_str().unwrap_or_default().to_string()
            }
        };
        let path = format!("/api/projects/{project}/tasks");
        let task = self.call(reqwest::Method::POST, &path, Some(json!({"title": title}))).await?;
        let task = task["id"].as_str().unwrap_or_default().to_string();
        let body = json!({"agent": "linger", "prompt": "wait"});
        let run = self.call(reqwest::Method::POST, &format!("/api/tasks/{task}/runs"), Some(body)).await?;
        let id = run["id"].as_str().unwrap_or_default().to_string();
        anyhow::ensure!(!id.is_empty(), "starting the agent: {run}");
        self.wait_status(&id, "running").await?;
        Ok(id)
    }

    async fn wait_status(&self, id: &str, status: &str) -> anyhow::Result<()> {
        wait_until(&format!("run {id} {status}"), Duration::from_secs(30), || async {
            let r = self.call(reqwest::Method::GET, &format!("/api/runs/{id}"), None).await.ok()?;
            (r["status"] == status).then_some(())
        })
        .await
    }
}

fn agents_toml() -> String {
    let bin = viban_test_support::server_bin().unwrap_or_default().with_file_name("fake-agent");
    format!("[agents.linger]\ncommand = {:?}\nargs = [\"--linger-ms\", \"600000\", \"{{prompt}}\"]\n", bin.display())
}

pub async fn tray_stops_agents_and_quit_asks_first(bin: &std::path::Path) -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    std::fs::create_dir_all(home.path().join("config"))?;
    std::fs::write(home.path().join("config/agents.toml"), agents_toml())?;
    let repos = tempfile::tempdir()?;
    let repo = viban_test_support::git_repo(repos.path(), "desk")?;
    let mut app = Desktop::launch(bin, home.path()).await?;
    let api = app.api().await?;

    // Tray → Agents → "Stop: <task> (linger)".
    let first = api.start_agent(&repo, "tray stop").await?;

    // Quiet, it waits in the inbox: the window's title counts it; hidden, the tray's Inbox line shows it again.
    let counted = || async { (!visible_windows("viban — 1 in inbox").is_empty()).then_some(()) };
    wait_until("the window's title to count the inbox", Duration::from_secs(30), counted).await?;
    crate::close_and_wait_hidden().await?;
    open_tray_menu().await?;
    sh("xdotool", &["key", "Down", "Down", "Down", "Right"]);
    std::thread::sleep(Duration::from_millis(300));
    sh("xdotool", &["key", "Return"]);
    wait_until("the window back from the tray's inbox", Duration::from_secs(20), counted).await?;

    open_tray_menu().await?;
    sh("xdotool", &["key", "Down", "Down", "Right"]);
    std::thread::sleep(Duration::from_millis(300));
    sh("xdotool", &["key", "Return"]);
    api.wait_status(&first, "stopped").await?;

    // Quit while an agent runs: a question first; accepting stops the agent and exits cleanly.
    let second = api.start_agent(&repo, "quit asks").await?;
    open_tray_menu().await?;
    menu_key("Up", 1);
    let dialog = wait_until("the quit question", Duration::from_secs(15), || async {
        sh("xdotool", &["search", "--onlyvisible", "--name", "Quit viban"]).lines().next().map(str::to_string)
    })
    .await?;
    let geometry = sh("xdotool", &["getwindowgeometry", "--shell", &dialog]);
    let get = |k: &str| {
        geometry.lines().find_map(|l| l.strip_prefix(&format!("{k}="))).and_then(|v| v.parse::<i32>().ok()).unwrap_or(0)
    };
    let (x, y) = (get("X") + get("WIDTH") / 2, get("Y") + get("HEIGHT") / 2);
    sh("xdotool", &["mousemove", &x.to_string(), &y.to_string()]);
    std::thread::sleep(Duration::from_millis(200));
    sh("xdotool", &["key", "Return"]);
    let status = app.wait_exit(Duration::from_secs(40)).await?;
    assert!(status.success(), "quit after the question exits 0: {status}");
    let marker = format!("VIBAN_RUN_ID={second}");
    let left = sh("pgrep", &["-f", "fake-agent"]);
    for pid in left.lines() {
        let env = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        assert!(!env.split(|b| *b == 0).any(|kv| kv == marker.as_bytes()), "agent {pid} outlived Quit");
    }
    Ok(())
}
