//! Leaving viban for the user's own tools: "Open in editor" starts the configured (or detected) editor with the
//! exact argv, in the worktree, without viban's secrets, on confined paths only; a shell run is a login shell in a
//! PTY in the worktree that never moves the card, never takes an agent slot, and leaves nothing when stopped.

use std::path::Path;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use viban_test_support::{ServerProcess, wait_until};

use crate::agents::{Fixture, marked_processes, profiles};

const TOKEN: &str = "editor-test-token-the-editor-must-not-see-0123456789";

/// A `code` that records its argv (one per line), its cwd and its environment into `calls`, one call per file.
fn recording_editor(bin: &Path, calls: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(bin)?;
    std::fs::create_dir_all(calls)?;
    let script = format!(
        "#!/bin/sh\nf={calls}/call-$$\n{{ for a in \"$@\"; do printf 'arg=%s\\n' \"$a\"; done; \
         printf 'cwd=%s\\n' \"$PWD\"; env | sed 's/^/env=/'; }} > \"$f.tmp\" && mv \"$f.tmp\" \"$f\"\n",
        calls = calls.display()
    );
    let path = bin.join("code");
    std::fs::write(&path, script)?;
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    Ok(())
}

/// The next recorded call (the folder is emptied after each read).
async fn next_call(calls: &Path) -> anyhow::Result<Vec<String>> {
    let file = wait_until("the editor to be called", Duration::from_secs(10), || async {
        std::fs::read_dir(calls).ok()?.flatten().map(|e| e.path()).find(|p| p.extension().is_none())
    })
    .await?;
    let text = std::fs::read_to_string(&file)?;
    std::fs::remove_file(&file)?;
    Ok(text.lines().map(str::to_string).collect())
}

fn args(call: &[String]) -> Vec<&str> {
    call.iter().filter_map(|l| l.strip_prefix("arg=")).collect()
}

#[tokio::test]
async fn open_in_editor_runs_the_detected_editor_with_the_exact_argv_and_confined_paths() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let tools = tempfile::tempdir()?;
    let (bin, calls) = (tools.path().join("bin"), tools.path().join("calls"));
    recording_editor(&bin, &calls)?;
    std::fs::create_dir_all(home.path().join("config"))?;
    std::fs::write(home.path().join("config/agents.toml"), profiles(""))?;
    let repos = tempfile::tempdir()?;
    let repo = viban_test_support::git_repo(repos.path(), "editor")?;
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let env = [("PATH", path.as_str()), ("VIBAN_TOKEN", TOKEN), ("VIBAN_SOME_SECRET", "hunter2-editor")];
    let mut server = ServerProcess::spawn_with_env(home.path(), &[], &env).await?;
    server.token = TOKEN.to_string();

    let editors = server.call(Method::GET, "/api/editors", None).await?;
    assert_eq!(editors.body["command"], "code --goto {path}:{line}", "{editors:?}");
    let vscode = editors.body["presets"].as_array().and_then(|ps| ps.iter().find(|p| p["id"] == "vscode")).cloned();
    assert_eq!(vscode.map(|p| p["installed"].clone()), Some(json!(true)));

    let project = server.call(Method::POST, "/api/projects", Some(json!({"name": "e", "repo_path": repo}))).await?;
    let task = server
        .call(Method::POST, &format!("/api/projects/{}/tasks", project.str("id")), Some(json!({"title": "t"})))
        .await?;
    let run = server
        .call(
            Method::POST,
            &format!("/api/tasks/{}/runs", task.str("id")),
            Some(json!({"agent": "env", "prompt": "p"})),
        )
        .await?;
    let (id, worktree) = (run.str("id"), run.str("worktree_path"));
    anyhow::ensure!(!id.is_empty(), "starting: {run:?}");
    std::fs::create_dir_all(Path::new(&worktree).join("src"))?;
    std::fs::write(Path::new(&worktree).join("src/main.rs"), "fn main() {}\n")?;
    std::os::unix::fs::symlink("/etc", Path::new(&worktree).join("out"))?;

    let open = |body: Value| {
        let (server, id) = (&server, id.clone());
        async move { server.call(Method::POST, &format!("/api/runs/{id}/open"), Some(body)).await }
    };
    let r = open(json!({"path": "src/main.rs", "line": 12})).await?;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    let call = next_call(&calls).await?;
    assert_eq!(args(&call), vec!["--goto".to_string(), format!("{worktree}/src/main.rs:12")], "{call:?}");
    assert!(call.contains(&format!("cwd={worktree}")), "{call:?}");
    assert!(!call.iter().any(|l| l.starts_with("env=VIBAN_") || l.contains(TOKEN)), "secrets leaked: {call:?}");

    assert_eq!(open(json!({})).await?.status, StatusCode::NO_CONTENT);
    assert_eq!(args(&next_call(&calls).await?), vec!["--goto".to_string(), worktree.clone()]);

    for bad in ["../x", "/etc/passwd", "src/../../x", "out/passwd", "missing.rs"] {
        let r = open(json!({"path": bad})).await?;
        assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "invalid_path"), "{bad}: {r:?}");
    }
    let r = open(json!({"line": 3})).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a line without a path: {r:?}");

    wait_until("the run to end", Duration::from_secs(30), || async {
        let r = server.call(Method::GET, &format!("/api/runs/{id}"), None).await.ok()?;
        (r.body["status"] == "succeeded").then_some(())
    })
    .await?;
    let r = server.call(Method::DELETE, &format!("/api/runs/{id}/worktree?force=true"), None).await?;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{r:?}");
    let r = open(json!({})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "worktree_removed"), "{r:?}");
    server.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(server.wait_exit(Duration::from_secs(60)).await?.success());
    Ok(())
}

#[tokio::test]
async fn no_editor_is_a_422_that_says_how_to_configure_one() -> anyhow::Result<()> {
    let f = Fixture::start("[editor]\ncommand = \"viban-no-such-editor --at {path}:{line}\"\n").await?;
    let run = f.run("fail", "p").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    let r = f.app.post(&format!("/api/runs/{id}/open"), json!({})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "no_editor"), "{r:?}");
    assert!(r.str("message").contains("[editor] command"), "{r:?}");
    // Without a configured command, the presets decide; none of them is installed on a test machine.
    let r = f.app.call(Method::PUT, "/api/agents/config", Some(json!({"text": profiles("")}))).await?;
    assert_eq!(r.status, StatusCode::OK);
    let editors = f.app.get("/api/editors").await?;
    if editors.body["command"].is_null() {
        let r = f.app.post(&format!("/api/runs/{id}/open"), json!({})).await?;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "no_editor"), "{r:?}");
        assert!(r.str("message").contains("agents.toml"), "{r:?}");
        assert!(editors.body["hint"].as_str().is_some_and(|h| h.contains("[editor]")), "{editors:?}");
    }
    assert!(f.app.stop().await);
    Ok(())
}

/// Whether a screen line is exactly `text` (the typed command line also contains it).
async fn wait_line(f: &Fixture, id: &str, text: &str) -> anyhow::Result<()> {
    wait_until(&format!("a line {text:?} on {id}"), Duration::from_secs(20), || async {
        f.screen(id).await.ok()?.lines().any(|l| l.trim_end() == text).then_some(())
    })
    .await
}

async fn task_status(f: &Fixture, task: &str) -> anyhow::Result<String> {
    Ok(f.app.get(&format!("/api/tasks/{task}")).await?.str("status"))
}

#[tokio::test]
async fn a_shell_runs_in_the_worktree_outside_the_queue_and_never_moves_the_card() -> anyhow::Result<()> {
    let f = Fixture::start("[runs]\nmax_concurrent = 1\n").await?;
    // A finished agent: its card is In Review.
    let done = f.run("env", "p").await?;
    let done_id = done["id"].as_str().unwrap_or_default().to_string();
    let done_task = done["task_id"].as_str().unwrap_or_default().to_string();
    f.wait_status(&done_id, "succeeded", Duration::from_secs(30)).await?;
    wait_until("the card in review", Duration::from_secs(10), || async {
        (task_status(&f, &done_task).await.ok()? == "in_review").then_some(())
    })
    .await?;
    // An agent holding the only slot.
    let busy = f.run("linger", "p").await?;
    let busy_id = busy["id"].as_str().unwrap_or_default().to_string();
    f.wait_status(&busy_id, "running", Duration::from_secs(30)).await?;

    let r = f.app.post(&format!("/api/runs/{done_id}/shell"), json!({"cols": 100, "rows": 30})).await?;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!((r.body["kind"].as_str(), r.body["agent"].as_str()), (Some("shell"), Some("shell")));
    let shell = r.str("id");
    f.wait_status(&shell, "running", Duration::from_secs(20)).await?;
    f.app.post(&format!("/api/runs/{shell}/input"), json!({"data": "echo hi\r"})).await?;
    wait_line(&f, &shell, "hi").await?;
    f.app.post(&format!("/api/runs/{shell}/input"), json!({"data": "pwd\r"})).await?;
    wait_line(&f, &shell, done["worktree_path"].as_str().unwrap_or_default()).await?;
    // A helper the user left in the background goes with the stop too.
    f.app.post(&format!("/api/runs/{shell}/input"), json!({"data": "sleep 600 &\r"})).await?;
    wait_until("the background sleep", Duration::from_secs(10), || async {
        (marked_processes(&shell).len() >= 2).then_some(())
    })
    .await?;

    assert_eq!(task_status(&f, &done_task).await?, "in_review", "starting a shell moved the card");
    let runs = f.app.get(&format!("/api/tasks/{done_task}/runs")).await?;
    let kinds: Vec<_> = runs.body.as_array().into_iter().flatten().map(|r| r["kind"].clone()).collect();
    assert_eq!(kinds, vec![json!("shell"), json!("agent")], "{runs:?}");
    let cards = f.app.get(&format!("/api/projects/{}/runs", f.project)).await?;
    assert!(cards.body.as_array().into_iter().flatten().all(|r| r["kind"] == "agent"), "{cards:?}");

    let stopped = f.app.post(&format!("/api/runs/{shell}/stop"), json!({})).await?;
    assert_eq!(stopped.body["status"], "stopped", "{stopped:?}");
    assert!(marked_processes(&shell).is_empty(), "left running: {:?}", marked_processes(&shell));
    assert_eq!(task_status(&f, &done_task).await?, "in_review", "the shell's end moved the card");

    // A shell that exits by itself (code 0) does not send the card to review either.
    let r = f.app.post(&format!("/api/runs/{busy_id}/shell"), json!({})).await?;
    let second = r.str("id");
    f.wait_status(&second, "running", Duration::from_secs(20)).await?;
    f.app.post(&format!("/api/runs/{second}/input"), json!({"data": "exit 0\r"})).await?;
    f.wait_status(&second, "succeeded", Duration::from_secs(20)).await?;
    let busy_task = busy["task_id"].as_str().unwrap_or_default();
    assert_eq!(task_status(&f, busy_task).await?, "in_progress");
    assert_eq!(f.get_run(&busy_id).await?["status"], "running", "the agent still runs");
    f.app.post(&format!("/api/runs/{busy_id}/stop"), json!({})).await?;
    assert!(f.app.stop().await);
    Ok(())
}
