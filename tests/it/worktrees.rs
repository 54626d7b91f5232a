//! The disk view and the cleanup policy on real repositories: sizes against `du -sb`, what cleanup keeps (and
//! says why), `on_merge` with and without deleting the branch, the `cleanup_after_days` sweep, and paths that are
//! not viban's worktrees.

use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use viban_test_support::wait_until;

use crate::agents::{Fixture, profiles};
use crate::land::{finished_run, fixture, git, repo, writers};

async fn worktrees(f: &Fixture) -> anyhow::Result<Vec<Value>> {
    let r = f.app.get("/api/worktrees").await?;
    anyhow::ensure!(r.status == StatusCode::OK, "worktrees: {r:?}");
    Ok(r.body.as_array().cloned().unwrap_or_default())
}

fn entry<'a>(list: &'a [Value], path: &Path) -> &'a Value {
    let p = path.display().to_string();
    list.iter().find(|w| w["path"] == p.as_str()).unwrap_or_else(|| panic!("{p} not listed in {list:?}"))
}

fn du_sb(path: &Path) -> anyhow::Result<i64> {
    let out = std::process::Command::new("du").arg("-sb").arg(path).output()?;
    anyhow::ensure!(out.status.success(), "du: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or("0").parse()?)
}

async fn commit_and_merge(f: &Fixture, run: &str, squash: bool) -> anyhow::Result<()> {
    let r = f.app.post(&format!("/api/runs/{run}/commit"), json!({"message": "agent work"})).await?;
    anyhow::ensure!(r.status == StatusCode::OK, "commit: {r:?}");
    let r = f.app.post(&format!("/api/runs/{run}/merge"), json!({"squash": squash})).await?;
    anyhow::ensure!(r.status == StatusCode::OK, "merge: {r:?}");
    Ok(())
}

fn skipped_why(result: &Value, path: &Path) -> String {
    let p = path.display().to_string();
    result["skipped"]
        .as_array()
        .and_then(|s| s.iter().find(|s| s["path"] == p.as_str()))
        .map(|s| s["why"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| panic!("{p} not among the skipped: {result}"))
}

#[tokio::test]
async fn sizes_match_du_and_cleanup_removes_only_what_loses_nothing() -> anyhow::Result<()> {
    let f = fixture("").await?;
    // Merged and clean.
    let (merged, _, merged_wt, _) = finished_run(&f, "writer", None).await?;
    commit_and_merge(&f, &merged, false).await?;
    // Uncommitted work, plus files of every kind for the sizes (the agent's own file is already on main now).
    let (_, _, dirty_wt, _) = finished_run(&f, "writer", None).await?;
    std::fs::create_dir_all(dirty_wt.join("node_modules/pkg"))?;
    std::fs::write(dirty_wt.join("node_modules/pkg/big.bin"), vec![7u8; 300_000])?;
    std::fs::hard_link(dirty_wt.join("node_modules/pkg/big.bin"), dirty_wt.join("same.bin"))?;
    std::os::unix::fs::symlink("/usr", dirty_wt.join("usr-link"))?;
    // Committed, neither merged nor pushed.
    let (unmerged, _, unmerged_wt, _) = finished_run(&f, "writer2", None).await?;
    let r = f.app.post(&format!("/api/runs/{unmerged}/commit"), json!({"message": "wip"})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    // Removed by hand.
    let (gone, _, gone_wt, _) = finished_run(&f, "writer2", None).await?;
    std::fs::remove_dir_all(&gone_wt)?;
    // Still running.
    let active = f.run("linger", "stay").await?;
    let active_id = active["id"].as_str().unwrap_or_default().to_string();
    let active_wt = PathBuf::from(active["worktree_path"].as_str().unwrap_or_default());
    f.wait_status(&active_id, "running", Duration::from_secs(30)).await?;

    // Sizes: like `du -sb` (the watcher invalidates a size computed before the last writes).
    let existing = [&merged_wt, &dirty_wt, &unmerged_wt, &active_wt];
    wait_until("sizes like du -sb", Duration::from_secs(20), || async {
        let list = worktrees(&f).await.ok()?;
        existing
            .iter()
            .all(|p| {
                let (size, du) = (entry(&list, p)["size_bytes"].as_i64().unwrap_or(-1), du_sb(p).unwrap_or(0));
                entry(&list, p)["size_exact"] == true && (size - du).abs() * 100 <= du
            })
            .then_some(())
    })
    .await?;
    let list = worktrees(&f).await?;
    assert_eq!(list.len(), 5, "{list:?}");
    assert!(entry(&list, &dirty_wt)["size_bytes"].as_i64().unwrap_or(0) > 300_000, "a hard link counts once");

    let m = entry(&list, &merged_wt);
    assert_eq!((m["safe_to_remove"].as_bool(), m["task_status"].as_str()), (Some(true), Some("done")), "{m}");
    assert_eq!((m["uncommitted"].as_i64(), m["unmerged_commits"].as_i64()), (Some(0), Some(0)), "{m}");
    let d = entry(&list, &dirty_wt);
    assert_eq!((d["safe_to_remove"].as_bool(), d["uncommitted"].as_i64()), (Some(false), Some(3)), "{d}");
    assert!(d["why_not"].as_str().unwrap_or_default().contains("uncommitted"), "{d}");
    let u = entry(&list, &unmerged_wt);
    assert_eq!((u["unmerged_commits"].as_i64(), u["pushed"].as_bool()), (Some(1), Some(false)), "{u}");
    assert!(u["why_not"].as_str().unwrap_or_default().contains("neither merged into main nor pushed"), "{u}");
    let g = entry(&list, &gone_wt);
    assert_eq!((g["exists"].as_bool(), g["removed"].as_bool()), (Some(false), Some(false)), "{g}");
    assert_eq!(g["run_ids"], json!([gone]));
    let a = entry(&list, &active_wt);
    assert_eq!((a["active"].as_bool(), a["safe_to_remove"].as_bool()), (Some(true), Some(false)), "{a}");

    // Paths that are not viban's worktrees are refused, and nothing is removed.
    for bad in ["/etc".to_string(), format!("{}/sub", merged_wt.display()), String::new()] {
        let r = f.app.post("/api/worktrees/cleanup", json!({"paths": [merged_wt, bad]})).await?;
        assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_a_worktree"), "{r:?}");
    }
    assert!(merged_wt.is_dir());
    let r = f.app.post("/api/worktrees/cleanup", json!({"force": true})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "validation"), "force needs paths: {r:?}");

    // Cleanup of everything: only the safe one goes; each kept one says why.
    let r = f.app.post("/api/worktrees/cleanup", json!({})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body["removed"], json!([merged_wt]), "{r:?}");
    assert!(!merged_wt.exists());
    assert!(skipped_why(&r.body, &dirty_wt).contains("uncommitted"));
    assert!(skipped_why(&r.body, &unmerged_wt).contains("nor pushed"));
    assert!(skipped_why(&r.body, &active_wt).contains("active"));
    assert!(skipped_why(&r.body, &gone_wt).contains("removed outside viban"));
    assert!(dirty_wt.is_dir() && unmerged_wt.is_dir() && active_wt.is_dir());
    let list = worktrees(&f).await?;
    assert_eq!(list.len(), 5, "nothing is forgotten: {list:?}");
    assert_eq!(entry(&list, &merged_wt)["removed"], true);

    // The user confirms: forced with the path, the dirty one goes; an active run never.
    let r = f.app.post("/api/worktrees/cleanup", json!({"paths": [dirty_wt, active_wt], "force": true})).await?;
    assert_eq!(r.body["removed"], json!([dirty_wt]), "{r:?}");
    assert!(skipped_why(&r.body, &active_wt).contains("active"));
    assert!(!dirty_wt.exists() && active_wt.is_dir());
    f.app.post(&format!("/api/runs/{active_id}/stop"), json!({})).await?;
    f.app.stop().await;
    Ok(())
}

#[tokio::test]
async fn on_merge_removes_the_worktree_and_deletes_the_branch_only_when_asked() -> anyhow::Result<()> {
    let f = fixture("[runs]\nworktree_cleanup = \"on_merge\"\n").await?;
    let repo = repo(&f);
    let (run, _, wt, branch) = finished_run(&f, "writer", None).await?;
    commit_and_merge(&f, &run, false).await?;
    assert!(!wt.exists(), "removed after the merge");
    assert!(git(&repo, &["branch", "--list", &branch])?.contains(&branch), "the branch stays by default");

    // With delete_branch_on_merge, a squash merge (commits not ancestors of main) deletes the branch too.
    let text =
        profiles(&format!("[runs]\nworktree_cleanup = \"on_merge\"\ndelete_branch_on_merge = true\n{}", writers()));
    let r = f.app.call(reqwest::Method::PUT, "/api/agents/config", Some(json!({"text": text}))).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let (run, _, wt, branch) = finished_run(&f, "writer2", None).await?;
    commit_and_merge(&f, &run, true).await?;
    assert!(!wt.exists(), "removed after the squash merge");
    assert_eq!(git(&repo, &["branch", "--list", &branch])?, "", "the merged branch is deleted");

    let list = worktrees(&f).await?;
    assert!(list.iter().all(|w| w["removed"] == true), "{list:?}");
    f.app.stop().await;
    Ok(())
}

#[tokio::test]
async fn old_worktrees_of_done_tasks_are_swept_unless_they_hold_work() -> anyhow::Result<()> {
    let f = fixture("[runs]\ncleanup_after_days = 3\n").await?;
    let (old_done, old_task, old_wt, _) = finished_run(&f, "writer", None).await?;
    git(&old_wt, &["clean", "-fdq"])?;
    let (_, dirty_task, dirty_wt, _) = finished_run(&f, "writer", None).await?;
    let (_, recent_task, recent_wt, _) = finished_run(&f, "writer", None).await?;
    git(&recent_wt, &["clean", "-fdq"])?;
    let (old_open, _, open_wt, _) = finished_run(&f, "writer2", None).await?;
    git(&open_wt, &["clean", "-fdq"])?;
    for task in [&old_task, &dirty_task, &recent_task] {
        let r = f.app.patch(&format!("/api/tasks/{task}"), json!({"status": "done"})).await?;
        assert_eq!(r.status, StatusCode::OK, "{r:?}");
    }
    // Five days old: the runs' ends (the age) and the tasks' last change.
    for wt in [&old_wt, &dirty_wt, &open_wt] {
        sqlx::query("UPDATE runs SET finished_at = now() - interval '5 days' WHERE worktree_path = $1")
            .bind(wt.display().to_string())
            .execute(f.app.app.db().pool())
            .await?;
    }
    sqlx::query("UPDATE tasks SET updated_at = now() - interval '5 days'").execute(f.app.app.db().pool()).await?;
    let list = worktrees(&f).await?;
    assert!(entry(&list, &old_wt)["age_secs"].as_i64().unwrap_or(0) >= 5 * 86_400 - 60, "{list:?}");

    let swept = f.app.app.runs().sweep_old_worktrees().await?;
    assert_eq!(swept.removed, vec![old_wt.display().to_string()], "{swept:?}");
    assert_eq!(swept.skipped.len(), 1, "{swept:?}");
    assert_eq!(swept.skipped[0].path, dirty_wt.display().to_string());
    assert!(swept.skipped[0].why.contains("uncommitted"), "{swept:?}");
    assert!(!old_wt.exists() && dirty_wt.is_dir() && recent_wt.is_dir() && open_wt.is_dir());
    let r = f.app.get(&format!("/api/runs/{old_done}")).await?;
    assert_eq!(r.status, StatusCode::OK, "the run stays");
    let list = worktrees(&f).await?;
    assert_eq!(entry(&list, &open_wt)["task_status"], "in_review", "{old_open}");
    f.app.stop().await;
    Ok(())
}
