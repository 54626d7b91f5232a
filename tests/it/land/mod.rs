//! Landing a run's work on real repositories: commit, merge and squash, a dirty target, hooks, rebase with
//! conflicts (also across a restart), push to a bare remote, pull requests through recording `gh`/`glab` stubs.

mod merge;
mod pr;
mod push;
mod rebase;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::agents::{Fixture, fake_agent};

/// Agents that write a file and exit 0.
pub fn writers() -> String {
    let bin = fake_agent().display().to_string();
    [("writer", "feature.txt=agent work"), ("writer2", "other.txt=second")]
        .iter()
        .map(|(id, w)| {
            format!("[agents.{id}]\ncommand = {bin:?}\nargs = [\"--write\", {w:?}, \"--\", \"{{prompt}}\"]\n")
        })
        .collect()
}

/// `git` in `dir` as the tests' user; stdout trimmed.
pub fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .args(["-c", "user.name=viban-test", "-c", "user.email=test@viban.invalid"])
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()?;
    anyhow::ensure!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A fixture whose agents include the writers; `extra` goes into agents.toml (e.g. `[runs]` settings).
pub async fn fixture(extra: &str) -> anyhow::Result<Fixture> {
    let f = Fixture::start(&format!("{extra}\n{}", writers())).await?;
    // The test's identity for commits made by viban's git in the project and its worktrees.
    let repo = repo(&f);
    git(&repo, &["config", "user.name", "viban-test"])?;
    git(&repo, &["config", "user.email", "test@viban.invalid"])?;
    Ok(f)
}

pub fn repo(f: &Fixture) -> PathBuf {
    f.repos.path().join("agents")
}

/// A finished run of `agent` on a new task: (run id, task id, worktree, branch).
pub async fn finished_run(
    f: &Fixture,
    agent: &str,
    base: Option<&str>,
) -> anyhow::Result<(String, String, PathBuf, String)> {
    let task = f.task(&format!("land {agent}")).await?;
    let mut body = json!({"agent": agent, "prompt": "do it"});
    if let Some(b) = base {
        body["base"] = json!(b);
    }
    let r = f.app.post(&format!("/api/tasks/{task}/runs"), body).await?;
    anyhow::ensure!(r.status == StatusCode::CREATED, "starting {agent}: {r:?}");
    let id = r.str("id");
    let run = f.wait_status(&id, "succeeded", Duration::from_secs(30)).await?;
    let wt = PathBuf::from(run["worktree_path"].as_str().unwrap_or_default());
    Ok((id, task, wt, run["branch"].as_str().unwrap_or_default().to_string()))
}

pub async fn git_state(f: &Fixture, run: &str) -> anyhow::Result<Value> {
    let r = f.app.get(&format!("/api/runs/{run}/git")).await?;
    anyhow::ensure!(r.status == StatusCode::OK, "git state: {r:?}");
    Ok(r.body)
}

pub async fn task_status(f: &Fixture, task: &str) -> anyhow::Result<String> {
    Ok(f.app.get(&format!("/api/tasks/{task}")).await?.str("status"))
}
