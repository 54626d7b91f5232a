//! Push to a bare remote; a non-fast-forward push is rejected with git's message; `--force-with-lease` only when
//! asked; no remote → 422.

use reqwest::StatusCode;
use serde_json::json;

use super::{finished_run, fixture, git, repo};

#[tokio::test]
async fn pushes_to_the_remote_and_reports_rejections() -> anyhow::Result<()> {
    let f = fixture("").await?;
    let repo = repo(&f);
    let (run, _, wt, branch) = finished_run(&f, "writer", None).await?;
    let r = f.app.post(&format!("/api/runs/{run}/commit"), json!({"message": "feature"})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let r = f.app.post(&format!("/api/runs/{run}/push"), json!({"force": false})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "no_remote"), "{r:?}");

    let bare = f.repos.path().join("origin.git");
    git(f.repos.path(), &["init", "-q", "--bare", "origin.git"])?;
    git(&repo, &["remote", "add", "origin", &bare.display().to_string()])?;
    let st = f.app.get(&format!("/api/runs/{run}/git")).await?.body;
    assert_eq!((st["upstream"].clone(), st["unpushed"].as_i64()), (json!(null), Some(1)));
    assert_eq!(st["commands"]["push"], format!("git push -u origin {branch}"));

    let r = f.app.post(&format!("/api/runs/{run}/push"), json!({"force": false})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.body["upstream"], format!("origin/{branch}"));
    assert_eq!(r.body["unpushed"], 0);
    assert_eq!(git(&bare, &["rev-parse", &branch])?, git(&wt, &["rev-parse", "HEAD"])?);

    // Someone else pushes to the branch; ours is no longer a fast-forward.
    let other = f.repos.path().join("other");
    git(f.repos.path(), &["clone", "-q", &bare.display().to_string(), "other"])?;
    git(&other, &["checkout", "-q", &branch])?;
    std::fs::write(other.join("theirs.txt"), "x\n")?;
    git(&other, &["add", "."])?;
    git(&other, &["commit", "-q", "-m", "theirs"])?;
    git(&other, &["push", "-q", "origin", &branch])?;
    std::fs::write(wt.join("feature.txt"), "more\n")?;
    let r = f.app.post(&format!("/api/runs/{run}/commit"), json!({"message": "more"})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let r = f.app.post(&format!("/api/runs/{run}/push"), json!({"force": false})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "push_rejected"), "{r:?}");
    assert!(r.body["message"].as_str().unwrap_or_default().contains("rejected"), "{r:?}");
    // --force-with-lease refuses too: we never saw their commit (no fetch), so the lease is stale.
    let r = f.app.post(&format!("/api/runs/{run}/push"), json!({"force": true})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "push_rejected"), "{r:?}");
    assert_eq!(git(&bare, &["log", "-1", "--format=%s", &branch])?, "theirs", "their commit is still there");
    f.app.stop().await;
    Ok(())
}
