//! Review comments: stored per run, file and line with the line's text; shown outdated (never dropped) when the
//! agent changes the line; turned into a follow-up prompt and sent to the agent in a follow-up run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::agents::{Fixture, fake_agent};

/// `quick` exits at once; `editor` rewrites notes.txt (as an agent following up on comments would).
fn extra_profiles() -> String {
    let bin = fake_agent().display().to_string();
    format!(
        "[agents.quick]\ncommand = {bin:?}\nargs = [\"--\", \"{{prompt}}\"]\n\n[agents.editor]\ncommand = {bin:?}\n\
         args = [\"--write\", \"notes.txt=rewritten\", \"--\", \"{{prompt}}\"]\n"
    )
}

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<()> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t"])
        .args(args)
        .output()?;
    anyhow::ensure!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    Ok(())
}

/// A finished `quick` run whose worktree changed notes.txt (beta → BETA, a line added).
async fn reviewed_run(f: &Fixture) -> anyhow::Result<(String, PathBuf)> {
    let repo = f.repos.path().join("agents");
    std::fs::write(repo.join("notes.txt"), "alpha\nbeta\ngamma\n")?;
    git(&repo, &["add", "notes.txt"])?;
    git(&repo, &["commit", "-qm", "notes"])?;
    let run = f.run("quick", "first").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    f.wait_status(&id, "succeeded", Duration::from_secs(20)).await?;
    let wt = PathBuf::from(run["worktree_path"].as_str().unwrap_or_default());
    std::fs::write(wt.join("notes.txt"), "alpha\nBETA\ngamma\ndelta\n")?;
    Ok((id, wt))
}

async fn comment(f: &Fixture, run: &str, body: Value) -> anyhow::Result<viban_test_support::Reply> {
    f.app.post(&format!("/api/runs/{run}/comments"), body).await
}

async fn list(f: &Fixture, run: &str) -> anyhow::Result<Vec<Value>> {
    let r = f.app.get(&format!("/api/runs/{run}/comments")).await?;
    anyhow::ensure!(r.status == StatusCode::OK, "listing: {r:?}");
    Ok(r.body.as_array().cloned().unwrap_or_default())
}

fn by_id<'a>(all: &'a [Value], id: &str) -> &'a Value {
    all.iter().find(|c| c["id"] == id).unwrap_or(&Value::Null)
}

#[tokio::test]
async fn comments_are_created_listed_resolved_and_deleted_and_bad_input_is_refused() -> anyhow::Result<()> {
    let f = Fixture::start(&extra_profiles()).await?;
    let (run, wt) = reviewed_run(&f).await?;
    let mut req = format!("ws://{}/api/events", f.app.app.addr).into_client_request()?;
    req.headers_mut().insert("Authorization", format!("Bearer {}", f.app.app.token).parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;

    let r = comment(&f, &run, json!({"path": "notes.txt", "side": "new", "line": 2, "body": "Why shout?"})).await?;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let (new_id, body) = (r.str("id"), r.body.clone());
    assert_eq!(
        (&body["run_id"], &body["line_text"], &body["outdated"], &body["current_line"]),
        (&json!(run), &json!("BETA"), &json!(false), &json!(2)),
        "{body}"
    );
    assert_eq!((&body["resolved"], &body["sent_in_run"], &body["side"]), (&json!(false), &Value::Null, &json!("new")));
    // Another tab hears of it: a `comment` change naming the run.
    let heard = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Text(t) = msg
                && let Ok(v) = serde_json::from_str::<Value>(&t)
                && v["type"] == "change"
                && v["table"] == "comment"
            {
                return Some(v);
            }
        }
        None
    })
    .await?;
    let heard = heard.unwrap_or_default();
    assert_eq!((&heard["id"], &heard["op"], &heard["project_id"]), (&json!(run), &json!("insert"), &json!(f.project)));

    let r = comment(&f, &run, json!({"path": "notes.txt", "side": "old", "line": 2, "body": "Keep it."})).await?;
    assert_eq!((r.status, r.str("line_text")), (StatusCode::CREATED, "beta".to_string()), "{r:?}");
    // A file outside the change but in the worktree.
    let r = comment(&f, &run, json!({"path": "README.md", "side": "new", "line": 1, "body": "Title?"})).await?;
    assert_eq!((r.status, r.str("line_text")), (StatusCode::CREATED, "# test repo".to_string()), "{r:?}");
    let readme = r.str("id");

    std::os::unix::fs::symlink("/etc", wt.join("escape"))?;
    let long = "x".repeat(10_001);
    for (req, status, code) in [
        (json!({"path": "../agents/notes.txt", "side": "new", "line": 1, "body": "b"}), 400, "invalid_path"),
        (json!({"path": "/etc/passwd", "side": "new", "line": 1, "body": "b"}), 400, "invalid_path"),
        (json!({"path": "./notes.txt", "side": "new", "line": 1, "body": "b"}), 400, "invalid_path"),
        (json!({"path": "escape/passwd", "side": "new", "line": 1, "body": "b"}), 404, "not_in_diff"),
        (json!({"path": "nope.txt", "side": "new", "line": 1, "body": "b"}), 404, "not_in_diff"),
        (json!({"path": "notes.txt", "side": "new", "line": 0, "body": "b"}), 400, "validation"),
        (json!({"path": "notes.txt", "side": "new", "line": 5, "body": "b"}), 400, "validation"),
        (json!({"path": "notes.txt", "side": "old", "line": 4, "body": "b"}), 400, "validation"),
        (json!({"path": "notes.txt", "side": "new", "line": 1, "body": " \n"}), 400, "validation"),
        (json!({"path": "notes.txt", "side": "new", "line": 1, "body": long}), 400, "validation"),
        (json!({"path": "notes.txt", "side": "middle", "line": 1, "body": "b"}), 400, "bad_json"),
        (json!({"path": "notes.txt", "side": "new", "line": 1}), 400, "bad_json"),
    ] {
        let r = comment(&f, &run, req.clone()).await?;
        assert_eq!((r.status.as_u16(), r.code()), (status, code), "{req}: {r:?}");
        assert!(!r.str("message").is_empty(), "{r:?}");
    }
    let r = comment(&f, &run, json!({"path": "notes.txt", "side": "new", "line": 9, "body": "b"})).await?;
    assert!(r.str("message").contains("line 9 is past the end of notes.txt (4 lines"), "{r:?}");
    let unknown = "0190a8e2-0000-7000-8000-000000000000";
    let r = comment(&f, unknown, json!({"path": "notes.txt", "side": "new", "line": 1, "body": "b"}));
    assert_eq!(r.await?.code(), "not_found");
    assert_eq!(f.app.get(&format!("/api/runs/{unknown}/comments")).await?.code(), "not_found");

    let all = list(&f, &run).await?;
    assert_eq!(all.len(), 3, "{all:#?}");
    assert!(all.iter().all(|c| c["outdated"] == false), "{all:#?}");

    let r = f.app.patch(&format!("/api/comments/{new_id}"), json!({"resolved": true})).await?;
    assert_eq!((r.status, &r.body["resolved"], r.str("body")), (StatusCode::OK, &json!(true), "Why shout?".into()));
    let r = f.app.patch(&format!("/api/comments/{new_id}"), json!({"body": "Why all caps?"})).await?;
    assert_eq!((&r.body["resolved"], r.str("body")), (&json!(true), "Why all caps?".into()), "{r:?}");
    let r = f.app.patch(&format!("/api/comments/{new_id}"), json!({"body": ""})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "validation"));
    let r = f.app.patch(&format!("/api/comments/{new_id}"), json!({"resolve": true})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "bad_json"));
    let r = f.app.patch(&format!("/api/comments/{unknown}"), json!({"resolved": false})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));

    assert_eq!(f.app.delete(&format!("/api/comments/{readme}")).await?.status, StatusCode::NO_CONTENT);
    assert_eq!(f.app.delete(&format!("/api/comments/{readme}")).await?.code(), "not_found");
    let all = list(&f, &run).await?;
    assert_eq!(all.len(), 2);
    assert_eq!(by_id(&all, &new_id)["resolved"], true);
    Ok(())
}

const EXPECTED_PROMPT: &str = "Please address these review comments on your changes.\n\n## notes.txt\n\nLine 2 (old \
    side: the line as it was before your change):\n> beta\nKeep lower case.\n\nLine 2:\n> BETA\nWhy shout?\n\nChange \
    the code as these comments ask, keep the rest of your work as it is, and then summarise what you did for each \
    comment.";

#[tokio::test]
async fn comments_outlive_edits_of_their_line_and_go_to_the_agent_in_a_follow_up() -> anyhow::Result<()> {
    let f = Fixture::start(&extra_profiles()).await?;
    let (run, wt) = reviewed_run(&f).await?;
    let r = comment(&f, &run, json!({"path": "notes.txt", "side": "new", "line": 2, "body": "Why shout?"})).await?;
    let shout = r.str("id");
    let r = comment(&f, &run, json!({"path": "notes.txt", "side": "old", "line": 2, "body": "Keep lower case."}));
    let lower = r.await?.str("id");

    // The line moves: outdated at its old place, found where it went.
    std::fs::write(wt.join("notes.txt"), "intro\nalpha\nBETA\ngamma\ndelta\n")?;
    let all = list(&f, &run).await?;
    let c = by_id(&all, &shout);
    assert_eq!((&c["outdated"], &c["line"], &c["current_line"]), (&json!(true), &json!(2), &json!(3)), "{c}");
    assert_eq!(by_id(&all, &lower)["outdated"], false, "the merge-base side did not change");
    std::fs::write(wt.join("notes.txt"), "alpha\nBETA\ngamma\ndelta\n")?;

    let r = f.app.post(&format!("/api/runs/{run}/comments/prompt"), json!({})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.str("prompt"), EXPECTED_PROMPT);
    assert_eq!(r.body["ids"], json!([lower, shout]));
    let r = f.app.post(&format!("/api/runs/{run}/comments/prompt"), json!({"ids": [shout]})).await?;
    assert!(r.str("prompt").contains("Line 2:\n> BETA\nWhy shout?\n") && !r.str("prompt").contains("beta"));
    let unknown = "0190a8e2-0000-7000-8000-000000000000";
    let r = f.app.post(&format!("/api/runs/{run}/comments/prompt"), json!({"ids": [unknown]})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"), "{r:?}");
    let r = f.app.post(&format!("/api/runs/{run}/comments/send"), json!({"prompt": "x", "ids": []})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "validation"), "{r:?}");

    // Send to agent: a follow-up in the same worktree with that prompt; the agent rewrites the file.
    let send = json!({"prompt": EXPECTED_PROMPT, "ids": [shout, lower], "agent": "editor"});
    let r = f.app.post(&format!("/api/runs/{run}/comments/send"), send).await?;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let follow = r.str("id");
    assert_eq!((r.str("prompt"), r.str("follow_up_of")), (EXPECTED_PROMPT.to_string(), run.clone()));
    f.wait_status(&follow, "succeeded", Duration::from_secs(20)).await?;
    assert_eq!(std::fs::read_to_string(wt.join("notes.txt"))?, "rewritten\n");

    // Listed from either run of the worktree: still there, outdated at the old place with the old text.
    for of in [&run, &follow] {
        let all = list(&f, of).await?;
        assert_eq!(all.len(), 2, "{all:#?}");
        let c = by_id(&all, &shout);
        assert_eq!(
            (&c["outdated"], &c["line"], &c["line_text"], &c["current_line"], &c["sent_in_run"]),
            (&json!(true), &json!(2), &json!("BETA"), &Value::Null, &json!(follow)),
            "{c}"
        );
        assert_eq!(by_id(&all, &lower)["sent_in_run"], json!(follow));
    }
    // Everything was sent: nothing left for a default prompt.
    let r = f.app.post(&format!("/api/runs/{follow}/comments/prompt"), json!({})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "no_comments"), "{r:?}");
    Ok(())
}
