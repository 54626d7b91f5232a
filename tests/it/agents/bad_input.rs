//! Bad input gets a clear error and leaves nothing behind (no worktree, no branch, no process).

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use super::Fixture;

fn worktrees(f: &Fixture) -> usize {
    let dir = f.app.home().join("worktrees");
    walk_count(&dir)
}

fn walk_count(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.flatten().map(|e| 1 + walk_count(&e.path())).sum()).unwrap_or(0)
}

#[tokio::test]
async fn unknown_or_missing_agents_busy_repos_bad_bases_and_bad_profiles_are_refused() -> anyhow::Result<()> {
    let missing = "[agents.ghost]\ncommand = \"definitely-not-installed-agent\"\ninstall_hint = \"npm i -g ghost\"\n";
    let f = Fixture::start(missing).await?;
    let task = f.task("bad input").await?;
    let path = format!("/api/tasks/{task}/runs");
    let start = |agent: &str, extra: serde_json::Value| {
        let mut body = json!({"agent": agent, "prompt": "p"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        f.app.post(&path, body)
    };

    let r = start("nope", json!({})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_agent"), "{r:?}");
    let r = start("ghost", json!({})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "agent_not_installed"), "{r:?}");
    assert!(r.str("message").contains("npm i -g ghost"), "{r:?}");
    let r = start("custom", json!({})).await?;
    assert_eq!(r.code(), "invalid_profile", "{r:?}");
    let r = start("ask", json!({"base": "no-such-branch"})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "bad_base"), "{r:?}");
    let r = start("ask", json!({"base": "--upload-pack=evil"})).await?;
    assert_eq!(r.code(), "bad_base", "{r:?}");
    let r = start("ask", json!({"prompt": "x".repeat(200_000)})).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r:?}");
    let r = start("ask", json!({"colour": "red"})).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r:?}");

    // A repository in the middle of a rebase.
    let repo = f.repos.path().join("agents");
    std::fs::create_dir_all(repo.join(".git/rebase-merge"))?;
    let r = start("ask", json!({})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "repo_busy"), "{r:?}");
    std::fs::remove_dir_all(repo.join(".git/rebase-merge"))?;
    assert_eq!(worktrees(&f), 0, "a refused run left a worktree");
    let runs = f.app.get(&format!("/api/tasks/{task}/runs")).await?;
    assert_eq!(runs.body.as_array().map(Vec::len), Some(0));

    // A profile file that does not parse is not written, and says where it is wrong.
    let before = f.app.get("/api/agents/config").await?.str("text");
    let r = f
        .app
        .call(reqwest::Method::PUT, "/api/agents/config", Some(json!({"text": "[agents.x]\ncommand = 1\n"})))
        .await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_profile"), "{r:?}");
    assert!(r.str("message").contains("line 2"), "{r:?}");
    assert_eq!(f.app.get("/api/agents/config").await?.str("text"), before);
    let agents = f.app.get("/api/agents").await?;
    let ghost = agents.body.as_array().and_then(|a| a.iter().find(|x| x["id"] == "ghost").cloned()).unwrap_or_default();
    assert_eq!(ghost["installed"], false);
    assert!(ghost["problem"].as_str().is_some_and(|p| p.contains("npm i -g ghost")), "{ghost}");

    // Runs that are not running refuse input; unknown runs are 404.
    let r = f.app.post("/api/runs/00000000-0000-0000-0000-000000000000/input", json!({"data": "x"})).await?;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(f.app.stop().await);
    Ok(())
}

#[tokio::test]
async fn invalid_utf8_and_escape_floods_are_stored_and_shown_without_harm() -> anyhow::Result<()> {
    let junk = r#"printf '\377\376\300 \033[999;999H\033[38;5;999m\033]52;c;?\007%.0s' $(seq 1 2000); printf '\033[H\033[2Jsurvived\n'"#;
    let extra = format!("[agents.junk]\nshell = true\ncommand_line = {junk:?}\n");
    let f = Fixture::start(&extra).await?;
    let run = f.run("junk", "ignored").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    f.wait_status(&id, "succeeded", Duration::from_secs(30)).await?;
    assert!(f.screen(&id).await?.contains("survived"));
    let (bytes, _) = f.transcript(&id).await?;
    assert!(bytes.windows(3).any(|w| w == b"\xff\xfe\xc0"), "raw bytes are stored as they came");
    let cast = f.app.client.get(f.app.url(&format!("/api/runs/{id}/transcript.cast"))).bearer_auth(&f.app.app.token);
    let cast = cast.send().await?.text().await?;
    assert!(cast.lines().skip(1).all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
    assert!(f.app.stop().await);
    Ok(())
}
