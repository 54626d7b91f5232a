//! Pull requests through recording `gh` and `glab` stubs: arguments, title and body as given, the push first, the
//! state from the stub's JSON, missing CLI and not logged in with their fixes, and a merged PR moving the task to
//! Done by polling.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;
use viban_test_support::wait_until;

use super::{finished_run, fixture, git, repo, task_status, writers};
use crate::agents::{Fixture, profiles};

/// A stub CLI: records each call's argv (NUL-separated) as a numbered file in `dir/calls-<name>`, answers
/// `auth status` (fails when `dir/<name>.logged-out` exists), `create` and `view` (prints `dir/<name>.json`).
fn stub(dir: &Path, name: &str) -> anyhow::Result<PathBuf> {
    let calls = dir.join(format!("calls-{name}"));
    std::fs::create_dir_all(&calls)?;
    let d = dir.display();
    let script = format!(
        "#!/bin/sh\nn=$(ls '{c}' | wc -l)\nprintf '%s\\0' \"$@\" > '{c}/'$n\n\
         case \"$1 $2\" in\n\
         'auth status') if [ -e '{d}/{name}.logged-out' ]; then echo 'You are not logged into any hosts' >&2; exit 1; fi;;\n\
         'pr create'|'mr create') echo created;;\n\
         'pr view'|'mr view') cat '{d}/{name}.json';;\n\
         *) exit 2;;\n\
         esac\n",
        c = calls.display()
    );
    let path = dir.join(name);
    std::fs::write(&path, script)?;
    std::fs::set_permissions(&path, <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755))?;
    Ok(path)
}

/// The argv of each call, in order.
fn calls(dir: &Path, name: &str) -> Vec<Vec<String>> {
    let d = dir.join(format!("calls-{name}"));
    let mut n = 0;
    let mut out = Vec::new();
    while let Ok(raw) = std::fs::read(d.join(n.to_string())) {
        out.push(
            raw.split(|b| *b == 0).filter(|a| !a.is_empty()).map(|a| String::from_utf8_lossy(a).into_owned()).collect(),
        );
        n += 1;
    }
    out
}

fn settings(gh: &str, glab: &str) -> String {
    format!("[runs]\npr_poll_secs = 1\ngh = {gh:?}\nglab = {glab:?}\n")
}

#[tokio::test]
async fn opens_prs_with_gh_and_glab_and_follows_their_state() -> anyhow::Result<()> {
    let stubs = tempfile::tempdir()?;
    let (gh, glab) = (stub(stubs.path(), "gh")?, stub(stubs.path(), "glab")?);
    let (gh, glab) = (gh.display().to_string(), glab.display().to_string());
    std::fs::write(
        stubs.path().join("gh.json"),
        json!({"url": "https://github.com/acme/widgets/pull/42", "number": 42, "state": "OPEN",
            "statusCheckRollup": [{"status": "COMPLETED", "conclusion": "SUCCESS"}]})
        .to_string(),
    )?;
    let f = fixture(&settings(&gh, &glab)).await?;
    let repo = repo(&f);
    // The remote reads as GitHub; git itself goes to a bare repository instead.
    let bare = f.repos.path().join("origin.git");
    git(f.repos.path(), &["init", "-q", "--bare", "origin.git"])?;
    let url = "https://github.com/acme/widgets.git";
    git(&repo, &["remote", "add", "origin", url])?;
    git(&repo, &["config", &format!("url.{}.insteadOf", bare.display()), url])?;

    let (run, task, _, branch) = finished_run(&f, "writer", None).await?;
    let r = f.app.post(&format!("/api/runs/{run}/commit"), json!({"message": "feature"})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(
        r.body["commands"]["pr"],
        format!("gh pr create --head {branch} --base main --title \"<title>\" --body \"<body>\"")
    );

    // Not logged in: the fix, nothing pushed.
    std::fs::write(stubs.path().join("gh.logged-out"), "")?;
    let body = "Adds the feature.\n\n- with a list\n- and 'quotes' \"too\"";
    let r = f.app.post(&format!("/api/runs/{run}/pr"), json!({"title": "Add feature", "body": body})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "gh_not_logged_in"), "{r:?}");
    assert!(r.body["message"].as_str().unwrap_or_default().contains("gh auth login"), "{r:?}");
    assert!(git(&bare, &["rev-parse", "--verify", "-q", &branch]).is_err(), "nothing pushed");
    std::fs::remove_file(stubs.path().join("gh.logged-out"))?;

    let r = f
        .app
        .post(&format!("/api/runs/{run}/pr"), json!({"title": "Add feature", "body": body, "draft": true}))
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(
        r.body["pr"],
        json!({"provider": "github", "url": "https://github.com/acme/widgets/pull/42", "number": 42, "state": "open",
            "checks": "passing"})
    );
    assert_eq!(r.body["upstream"], format!("origin/{branch}"), "pushed first");
    assert!(git(&bare, &["rev-parse", "--verify", "-q", &branch]).is_ok());
    let argv = calls(stubs.path(), "gh");
    let create = argv.iter().find(|a| a.get(1).map(String::as_str) == Some("create")).cloned().unwrap_or_default();
    assert_eq!(
        create,
        ["pr", "create", "--head", &branch, "--base", "main", "--title", "Add feature", "--body", body, "--draft"]
    );
    assert!(argv.iter().any(|a| a.starts_with(&["auth".to_string(), "status".into()])));
    assert!(argv.iter().any(|a| a.starts_with(&["pr".to_string(), "view".into(), branch.clone()])), "{argv:?}");

    // Merged on GitHub: the poller sees it and the task moves to Done.
    std::fs::write(
        stubs.path().join("gh.json"),
        json!({"url": "https://github.com/acme/widgets/pull/42", "number": 42, "state": "MERGED", "statusCheckRollup": []})
            .to_string(),
    )?;
    wait_until("the task done after the PR merged", Duration::from_secs(20), || async {
        (task_status(&f, &task).await.ok()? == "done").then_some(())
    })
    .await?;
    let st = f.app.get(&format!("/api/runs/{run}/git")).await?.body;
    assert_eq!((st["pr"]["state"].clone(), st["pr"]["checks"].clone()), (json!("merged"), json!(null)));

    gitlab_then_a_missing_cli(&f, stubs.path(), &repo, &glab).await?;
    f.app.stop().await;
    Ok(())
}

/// GitLab (chosen by a setting in the repository): glab's own arguments and JSON; then a CLI that is not installed.
async fn gitlab_then_a_missing_cli(f: &Fixture, stubs: &Path, repo: &Path, glab: &str) -> anyhow::Result<()> {
    // GitLab (chosen by a setting in the repository): glab's own arguments and JSON.
    git(repo, &["config", "viban.prProvider", "gitlab"])?;
    std::fs::write(
        stubs.join("glab.json"),
        json!({"web_url": "https://gitlab.com/acme/widgets/-/merge_requests/7", "iid": 7, "state": "opened",
            "head_pipeline": {"status": "running"}})
        .to_string(),
    )?;
    let (run2, _, _, branch2) = finished_run(f, "writer2", None).await?;
    f.app.post(&format!("/api/runs/{run2}/commit"), json!({"message": "second"})).await?;
    let r = f.app.post(&format!("/api/runs/{run2}/pr"), json!({"title": "Second", "body": "b"})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(
        r.body["pr"],
        json!({"provider": "gitlab", "url": "https://gitlab.com/acme/widgets/-/merge_requests/7", "number": 7,
            "state": "open", "checks": "pending"})
    );
    let create = calls(stubs, "glab").into_iter().find(|a| a.get(1).map(String::as_str) == Some("create"));
    assert_eq!(
        create.unwrap_or_default(),
        [
            "mr",
            "create",
            "--source-branch",
            &branch2,
            "--target-branch",
            "main",
            "--title",
            "Second",
            "--description",
            "b",
            "--yes"
        ]
    );

    // A CLI that is not installed (looked up on the login shell's PATH).
    let text = format!("{}\n{}\n{}", settings("gh-not-installed-here", glab), profiles(""), writers());
    let r = f.app.call(reqwest::Method::PUT, "/api/agents/config", Some(json!({"text": text}))).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    git(repo, &["config", "viban.prProvider", "github"])?;
    let r = f.app.post(&format!("/api/runs/{run2}/pr"), json!({"title": "Second", "body": "b"})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "gh_missing"), "{r:?}");
    assert!(r.body["message"].as_str().unwrap_or_default().contains("cli.github.com"), "{r:?}");
    Ok(())
}
