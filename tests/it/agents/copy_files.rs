//! Finding: "copy_files writes through a symbolic link the branch committed". A project copies the user's `.env`
//! into each new worktree; a base branch that commits `.env -> /somewhere` (or a folder link on the way) must not
//! get the user's secret written over the link's target. The start is refused naming the file, and nothing of the
//! attempt is left (no worktree, no branch, no run).

use std::path::Path;
use std::process::Command;

use reqwest::StatusCode;
use serde_json::json;

use super::Fixture;

fn git(repo: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .args(["-c", "user.name=viban-test", "-c", "user.email=test@viban.invalid"])
        .arg("-C")
        .arg(repo)
        .args(args)
        .output()?;
    anyhow::ensure!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// A branch off main that commits `link -> target`.
fn branch_with_link(repo: &Path, branch: &str, link: &str, target: &Path) -> anyhow::Result<()> {
    git(repo, &["checkout", "-q", "-b", branch])?;
    std::os::unix::fs::symlink(target, repo.join(link))?;
    git(repo, &["add", link])?;
    git(repo, &["commit", "-q", "-m", &format!("{link} is a link")])?;
    git(repo, &["checkout", "-q", "main"])?;
    Ok(())
}

#[tokio::test]
async fn copy_files_never_write_through_a_symbolic_link_the_branch_committed() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let repo = f.repos.path().join("agents");
    let outside = tempfile::tempdir()?;
    std::fs::write(outside.path().join("victim.txt"), "ORIGINAL")?;
    std::fs::create_dir(outside.path().join("etc"))?;
    branch_with_link(&repo, "file-link", ".env", &outside.path().join("victim.txt"))?;
    branch_with_link(&repo, "dir-link", "config", &outside.path().join("etc"))?;
    // The user's own secrets, untracked in the main checkout.
    std::fs::write(repo.join(".env"), "USER_SECRET=1\n")?;
    std::fs::create_dir(repo.join("config"))?;
    std::fs::write(repo.join("config/.env"), "USER_CONFIG_SECRET=1\n")?;
    let r =
        f.app.patch(&format!("/api/projects/{}", f.project), json!({"copy_files": [".env", "config/.env"]})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let task = f.task("copy files").await?;
    let path = format!("/api/tasks/{task}/runs");
    let start = |base: &str| f.app.post(&path, json!({"agent": "fail", "prompt": "p", "base": base}));

    let r = start("file-link").await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "unsafe_worktree_path"), "{r:?}");
    assert_eq!(r.str("message"), "refusing to copy .env: .env is a symbolic link in the worktree");
    let r = start("dir-link").await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "unsafe_worktree_path"), "{r:?}");
    assert_eq!(r.str("message"), "refusing to copy config/.env: config is a symbolic link in the worktree");

    // Nothing was written outside, and nothing of either attempt is left.
    assert_eq!(std::fs::read_to_string(outside.path().join("victim.txt"))?, "ORIGINAL");
    assert_eq!(std::fs::read_dir(outside.path().join("etc"))?.count(), 0, "nothing written into the linked folder");
    assert_eq!(git(&repo, &["worktree", "list", "--porcelain"])?.matches("worktree ").count(), 1, "only main");
    assert_eq!(git(&repo, &["branch", "--list", "viban/*"])?.trim(), "", "no branch left");
    let runs = f.app.get(&format!("/api/tasks/{task}/runs")).await?;
    assert_eq!(runs.body.as_array().map(Vec::len), Some(0), "{runs:?}");

    // From a base without links, the same files are copied (folders created on the way).
    let r = start("main").await?;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    let worktree = Path::new(r.body["worktree_path"].as_str().unwrap_or_default()).to_path_buf();
    assert_eq!(std::fs::read_to_string(worktree.join(".env"))?, "USER_SECRET=1\n");
    assert_eq!(std::fs::read_to_string(worktree.join("config/.env"))?, "USER_CONFIG_SECRET=1\n");
    f.wait_status(&r.str("id"), "failed", std::time::Duration::from_secs(30)).await?;
    assert!(f.app.stop().await);
    Ok(())
}
