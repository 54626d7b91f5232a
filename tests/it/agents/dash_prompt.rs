//! Finding: "a prompt starting with `-` becomes an option of the agent CLI". The task title prefills the prompt;
//! with the fake agent, `--write=…` as the prompt wrote a file. Profiles pass the prompt after `--`, so it reaches
//! the agent verbatim as its prompt; a profile that does not is refused with a 422 saying how to fix it.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::{Fixture, fake_agent};

#[tokio::test]
async fn a_dash_prompt_is_never_an_option_of_the_agent_cli() -> anyhow::Result<()> {
    let bin = fake_agent().display().to_string();
    let bare = format!("[agents.bare]\ncommand = {bin:?}\nargs = [\"{{prompt}}\"]\n");
    let f = Fixture::start(&bare).await?;
    let prompt = "--write=pwned.txt=gotcha";

    // Through a profile with `--`: the agent's prompt, verbatim; no file written.
    let run = f.run("ask", prompt).await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    let worktree = std::path::PathBuf::from(run["worktree_path"].as_str().unwrap_or_default());
    let screen = f.wait_screen(&id, "Proceed?").await?;
    assert!(screen.contains(&format!("task: {prompt}")), "{screen}");
    f.app.post(&format!("/api/runs/{id}/input"), json!({"data": "y\r"})).await?;
    f.wait_status(&id, "succeeded", Duration::from_secs(30)).await?;
    assert!(worktree.join("agent-output.txt").is_file(), "the profile's own --write ran");
    assert!(!worktree.join("pwned.txt").exists(), "the prompt became an option");
    // A follow-up with a dash prompt goes the same way.
    let r = f.app.post(&format!("/api/runs/{id}/follow-up"), json!({"prompt": "-x"})).await?;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    f.wait_screen(&r.str("id"), "task: -x").await?;
    f.app.post(&format!("/api/runs/{}/input", r.str("id")), json!({"data": "n\r"})).await?;
    f.wait_status(&r.str("id"), "succeeded", Duration::from_secs(30)).await?;

    // A profile that passes the prompt as an argument of its own with no `--` before it: refused, nothing made.
    let task = f.task("dash prompt").await?;
    let r = f.app.post(&format!("/api/tasks/{task}/runs"), json!({"agent": "bare", "prompt": prompt})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "prompt_looks_like_option"), "{r:?}");
    let message = r.str("message");
    assert!(message.contains("starts with \"-\"") && message.contains("\"--\" before \"{prompt}\""), "{message}");
    assert!(message.contains("`args`") && message.contains("agents.toml"), "{message}");
    let runs = f.app.get(&format!("/api/tasks/{task}/runs")).await?;
    assert_eq!(runs.body.as_array().map(Vec::len), Some(0), "{runs:?}");
    // Other prompts run on it; a dash follow-up is refused the same way.
    let r = f.app.post(&format!("/api/tasks/{task}/runs"), json!({"agent": "bare", "prompt": "fine"})).await?;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let ok = r.str("id");
    f.wait_status(&ok, "succeeded", Duration::from_secs(30)).await?;
    let r = f.app.post(&format!("/api/runs/{ok}/follow-up"), json!({"prompt": "--yes"})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "prompt_looks_like_option"), "{r:?}");
    assert!(f.app.stop().await);
    Ok(())
}
