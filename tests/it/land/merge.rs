//! Commit and merge: all or selected files, nothing to commit, a failing hook, merge and squash into the checked-out
//! target, into a branch checked out nowhere, and the refusal on a dirty target checkout.

use reqwest::StatusCode;
use serde_json::json;

use super::{finished_run, fixture, git, git_state, repo, task_status};

#[tokio::test]
async fn commit_then_merge_and_squash_into_the_checked_out_target() -> anyhow::Result<()> {
    let f = fixture("").await?;
    let repo = repo(&f);
    let (run, task, wt, branch) = finished_run(&f, "writer", None).await?;

    let st = git_state(&f, &run).await?;
    assert_eq!(st["branch"], branch.as_str());
    assert_eq!(st["target"], "main");
    assert_eq!(st["uncommitted"], json!(["feature.txt"]));
    assert_eq!((st["ahead"].as_i64(), st["behind"].as_i64()), (Some(0), Some(0)));
    assert!(st["commands"]["merge"].as_str().unwrap_or_default().contains("merge --no-ff"), "{st}");
    assert_eq!(st["commands"]["pr"], json!(null), "no remote, no provider");

    // A merge needs the work committed; paths must stay inside the worktree.
    let r = f.app.post(&format!("/api/runs/{run}/merge"), json!({"squash": false})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "uncommitted"), "{r:?}");
    for bad in ["../outside", "/etc/passwd"] {
        let r = f.app.post(&format!("/api/runs/{run}/commit"), json!({"message": "m", "paths": [bad]})).await?;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_path"), "{r:?}");
    }
    assert_eq!(git(&wt, &["status", "--porcelain"])?, "?? feature.txt", "a refused commit stages nothing");

    // Selected paths: only those.
    std::fs::write(wt.join("notes.txt"), "mine\n")?;
    let r = f
        .app
        .post(&format!("/api/runs/{run}/commit"), json!({"message": "add feature", "paths": ["feature.txt"]}))
        .await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body["uncommitted"], json!(["notes.txt"]));
    assert_eq!(r.body["ahead"], 1);
    assert_eq!(git(&wt, &["log", "-1", "--format=%s"])?, "add feature");
    std::fs::remove_file(wt.join("notes.txt"))?;
    let r = f.app.post(&format!("/api/runs/{run}/commit"), json!({"message": "again"})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "nothing_to_commit"), "{r:?}");

    // Merge into main, checked out in the project's own checkout.
    let r = f.app.post(&format!("/api/runs/{run}/merge"), json!({"squash": false})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    // The merge commit is on main only.
    assert_eq!((r.body["ahead"].as_i64(), r.body["behind"].as_i64()), (Some(0), Some(1)));
    assert_eq!(std::fs::read_to_string(repo.join("feature.txt"))?, "agent work\n", "the checkout has the merge");
    assert_eq!(git(&repo, &["log", "-1", "--format=%P"])?.split(' ').count(), 2, "a merge commit");
    assert_eq!(git(&repo, &["status", "--porcelain"])?, "");
    assert_eq!(task_status(&f, &task).await?, "done");
    let r = f.app.post(&format!("/api/runs/{run}/merge"), json!({"squash": false})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "nothing_to_merge"), "{r:?}");

    // Squash: one commit with one parent and the given message.
    let (run2, task2, _, _) = finished_run(&f, "writer2", None).await?;
    let r = f.app.post(&format!("/api/runs/{run2}/commit"), json!({"message": "wip"})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let r = f.app.post(&format!("/api/runs/{run2}/merge"), json!({"squash": true, "message": "Second thing"})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(git(&repo, &["log", "-1", "--format=%P"])?.split(' ').count(), 1, "one parent");
    assert!(git(&repo, &["log", "-1", "--format=%s"])? == "Second thing");
    assert_eq!(std::fs::read_to_string(repo.join("other.txt"))?, "second\n");
    assert_eq!(task_status(&f, &task2).await?, "done");
    f.app.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_dirty_target_checkout_is_refused_and_untouched_and_other_targets_merge_without_a_checkout()
-> anyhow::Result<()> {
    let f = fixture("").await?;
    let repo = repo(&f);
    let (run, task, _, _) = finished_run(&f, "writer", None).await?;
    let r = f.app.post(&format!("/api/runs/{run}/commit"), json!({"message": "feature"})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");

    std::fs::write(repo.join("README.md"), "# my own edit\n")?;
    let main_before = git(&repo, &["rev-parse", "main"])?;
    let r = f.app.post(&format!("/api/runs/{run}/merge"), json!({"squash": false})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "target_dirty"), "{r:?}");
    assert!(r.body["message"].as_str().unwrap_or_default().contains("uncommitted changes"), "{r:?}");
    assert_eq!(std::fs::read_to_string(repo.join("README.md"))?, "# my own edit\n", "the user's edit is untouched");
    assert_eq!(git(&repo, &["rev-parse", "main"])?, main_before);
    assert!(!repo.join("feature.txt").exists());
    assert_eq!(task_status(&f, &task).await?, "in_review");

    // A target checked out nowhere: merged with merge-tree + commit-tree + update-ref; the checkout is untouched.
    git(&repo, &["branch", "release", "main"])?;
    let (run2, _, _, branch2) = finished_run(&f, "writer2", Some("release")).await?;
    let r = f.app.post(&format!("/api/runs/{run2}/commit"), json!({"message": "second"})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert!(r.body["commands"]["merge"].as_str().unwrap_or_default().contains("update-ref refs/heads/release"));
    let r = f.app.post(&format!("/api/runs/{run2}/merge"), json!({"squash": false})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(git(&repo, &["show", "release:other.txt"])?, "second");
    assert_eq!(git(&repo, &["rev-parse", "release^2"])?, git(&repo, &["rev-parse", &branch2])?);
    assert_eq!(std::fs::read_to_string(repo.join("README.md"))?, "# my own edit\n");
    assert_eq!(git(&repo, &["rev-parse", "main"])?, main_before);
    f.app.stop().await;
    Ok(())
}

#[tokio::test]
async fn a_failing_pre_commit_hook_shows_its_output_and_changes_nothing() -> anyhow::Result<()> {
    let f = fixture("").await?;
    let repo = repo(&f);
    let hook = repo.join(".git/hooks/pre-commit");
    std::fs::write(&hook, "#!/bin/sh\necho 'lint: feature.txt has trailing spaces' >&2\nexit 1\n")?;
    std::fs::set_permissions(&hook, <std::fs::Permissions as std::os::unix::fs::PermissionsExt>::from_mode(0o755))?;
    let (run, _, wt, _) = finished_run(&f, "writer", None).await?;
    let head = git(&wt, &["rev-parse", "HEAD"])?;
    let r = f.app.post(&format!("/api/runs/{run}/commit"), json!({"message": "feature"})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "hook_failed"), "{r:?}");
    assert!(r.body["message"].as_str().unwrap_or_default().contains("lint: feature.txt has trailing spaces"), "{r:?}");
    assert_eq!(git(&wt, &["rev-parse", "HEAD"])?, head);
    assert_eq!(git(&wt, &["status", "--porcelain"])?, "?? feature.txt", "nothing staged");
    f.app.stop().await;
    Ok(())
}
