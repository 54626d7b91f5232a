//! Review: a run's diff through the API, compared with git itself on a generated worktree; path confinement; bad
//! input (target deleted, worktree removed, index.lock); a 5,000-file change; live `run_files` events.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::agents::Fixture;

fn git(dir: &Path, args: &[&OsStr]) -> anyhow::Result<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "protocol.file.allow=always"])
        .args(args)
        .output()?;
    anyhow::ensure!(
        out.status.code().is_some_and(|c| c <= 1),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(out.stdout)
}

fn g(dir: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    git(dir, &args.iter().map(OsStr::new).collect::<Vec<_>>())
}

/// A run (of an agent that stays up) and its worktree.
async fn run_with_worktree(f: &Fixture, base: Option<&str>) -> anyhow::Result<(String, PathBuf)> {
    let task = f.task("review").await?;
    let mut body = json!({"agent": "linger", "prompt": "work"});
    if let Some(b) = base {
        body["base"] = json!(b);
    }
    let r = f.app.post(&format!("/api/tasks/{task}/runs"), body).await?;
    anyhow::ensure!(r.status == StatusCode::CREATED, "starting: {r:?}");
    let id = r.str("id");
    f.wait_status(&id, "running", Duration::from_secs(20)).await?;
    Ok((id, PathBuf::from(r.str("worktree_path"))))
}

/// Files on `main` that the run then changes.
fn base_files(repo: &Path) -> anyhow::Result<()> {
    for (name, text) in [
        ("edit.txt", &b"one\ntwo\nthree\n"[..]),
        ("gone.txt", b"bye\n"),
        ("move.txt", b"a\nb\nc\nd\ne\nf\n"),
        ("bin.dat", b"\x00\x01\x02"),
        ("mode.sh", b"echo hi\n"),
        ("crlf.txt", b"a\r\nb\r\n"),
        ("noeol.txt", b"end"),
        ("typed", b"file\n"),
        (".gitignore", b"*.log\n"),
    ] {
        std::fs::write(repo.join(name), text)?;
    }
    g(repo, &["add", "."])?;
    g(repo, &["commit", "-qm", "more base"])?;
    Ok(())
}

/// One of each kind of change the issue lists.
fn make_changes(repo: &Path, wt: &Path) -> anyhow::Result<()> {
    std::fs::write(wt.join("edit.txt"), "one\n2\nthree\nfour\n")?;
    std::fs::remove_file(wt.join("gone.txt"))?;
    g(wt, &["mv", "move.txt", "moved.txt"])?;
    std::fs::write(wt.join("bin.dat"), b"\x00\x09\x09\x09")?;
    std::fs::set_permissions(wt.join("mode.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    std::fs::write(wt.join("crlf.txt"), "a\r\nB\r\n")?;
    std::fs::write(wt.join("noeol.txt"), "end\nmore")?;
    std::fs::remove_file(wt.join("typed"))?;
    std::os::unix::fs::symlink("edit.txt", wt.join("typed"))?;
    std::fs::write(wt.join("staged.txt"), "new\n")?;
    g(wt, &["add", "staged.txt"])?;
    std::fs::write(wt.join("debug.log"), "ignored\n")?;
    std::fs::write(wt.join("empty"), "")?;
    std::fs::write(wt.join(OsStr::from_bytes(b"caf\xe9.txt")), "latin-1 name\n")?;
    std::os::unix::fs::symlink("/etc/passwd", wt.join("outside-link"))?;
    // A submodule: a gitlink in the index and its checkout.
    let head = String::from_utf8(g(repo, &["rev-parse", "HEAD"])?)?;
    g(wt, &["update-index", "--add", "--cacheinfo", &format!("160000,{},sub", head.trim())])?;
    std::fs::create_dir_all(wt.join("sub"))?;
    g(wt, &["commit", "-qm", "agent work", "--", "edit.txt"])?;
    Ok(())
}

/// (path, additions, deletions) as numstat has them.
type Counted = Vec<(Vec<u8>, String, String)>;

/// What git says the change is: the tracked files with their counts, and the untracked files.
fn git_truth(wt: &Path, mb: &str) -> anyhow::Result<(Counted, Vec<Vec<u8>>)> {
    let raw = g(wt, &["diff", "--numstat", "-z", "-M", mb])?;
    let mut fields = raw.split(|b| *b == 0).filter(|f| !f.is_empty());
    let mut tracked = Vec::new();
    while let Some(rec) = fields.next() {
        let text = rec.to_vec();
        let mut parts = text.splitn(3, |b| *b == b'\t');
        let (a, d) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
        let mut path = parts.next().unwrap_or_default().to_vec();
        if path.is_empty() {
            fields.next();
            path = fields.next().unwrap_or_default().to_vec();
        }
        let n = |s: &[u8]| if s == b"-" { "0".to_string() } else { String::from_utf8_lossy(s).into_owned() };
        tracked.push((path, n(a), n(d)));
    }
    let others = g(wt, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    Ok((tracked, others.split(|b| *b == 0).filter(|p| !p.is_empty()).map(<[u8]>::to_vec).collect()))
}

async fn raw_get(f: &Fixture, path: &str) -> anyhow::Result<(StatusCode, Vec<u8>)> {
    let res = f.app.client.get(f.app.url(path)).bearer_auth(&f.app.app.token).send().await?;
    Ok((res.status(), res.bytes().await?.to_vec()))
}

fn by_path<'a>(diff: &'a Value, path: &str) -> &'a Value {
    diff["files"].as_array().and_then(|fs| fs.iter().find(|f| f["path"] == path)).unwrap_or(&Value::Null)
}

#[tokio::test]
async fn the_diff_is_gits_own_and_paths_are_confined() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let repo = f.repos.path().join("agents");
    base_files(&repo)?;
    let (id, wt) = run_with_worktree(&f, None).await?;
    make_changes(&repo, &wt)?;

    let r = f.app.get(&format!("/api/runs/{id}/diff")).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    let mb = r.str("merge_base");
    assert_eq!(mb, String::from_utf8(g(&repo, &["rev-parse", "main"])?)?.trim());
    assert_eq!(r.body["target"], "main");
    let (tracked, untracked) = git_truth(&wt, &mb)?;
    let files = r.body["files"].as_array().cloned().unwrap_or_default();
    assert_eq!(files.len(), tracked.len() + untracked.len(), "{files:#?}");
    for (path, a, d) in &tracked {
        let file = by_path(&r.body, &String::from_utf8_lossy(path));
        assert_eq!((file["additions"].to_string(), file["deletions"].to_string()), (a.clone(), d.clone()), "{file}");
        assert_eq!(file["untracked"], false);
    }
    for path in &untracked {
        assert_eq!(by_path(&r.body, &String::from_utf8_lossy(path))["untracked"], true, "{path:?}");
    }
    assert_eq!(by_path(&r.body, "moved.txt")["old_path"], "move.txt");
    assert_eq!(by_path(&r.body, "moved.txt")["change"], "renamed");
    assert_eq!(by_path(&r.body, "gone.txt")["change"], "deleted");
    assert_eq!(by_path(&r.body, "bin.dat")["binary"], true);
    assert_eq!(
        (by_path(&r.body, "mode.sh")["old_mode"].clone(), by_path(&r.body, "mode.sh")["new_mode"].clone()),
        (json!("100644"), json!("100755"))
    );
    assert_eq!(by_path(&r.body, "typed")["change"], "type_changed");
    assert_eq!(by_path(&r.body, "sub")["new_mode"], "160000", "the submodule is a gitlink");
    assert_eq!(by_path(&r.body, "caf\u{fffd}.txt")["untracked"], true, "a non-UTF-8 name is shown lossy");
    assert!(by_path(&r.body, "debug.log").is_null(), "ignored files stay out");
    let paths: Vec<String> = files.iter().map(|f| f["path"].as_str().unwrap_or_default().to_string()).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(paths, sorted);

    // ?format=patch is byte for byte what git prints.
    let (status, patch) = raw_get(&f, &format!("/api/runs/{id}/diff?format=patch")).await?;
    assert_eq!(status, StatusCode::OK);
    let mut expected = g(&wt, &["diff", &mb])?;
    for p in &untracked {
        expected.extend(git(
            &wt,
            &[OsStr::new("diff"), OsStr::new("--no-index"), OsStr::new("/dev/null"), OsStr::from_bytes(p)],
        )?);
    }
    assert_eq!(String::from_utf8_lossy(&patch), String::from_utf8_lossy(&expected));
    assert_eq!(patch, expected);

    // One file: the texts are `git show <merge-base>:path` and the worktree file.
    let r = f.app.get(&format!("/api/runs/{id}/diff/file?path=edit.txt")).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    assert_eq!(r.str("old_text").into_bytes(), g(&wt, &["show", &format!("{mb}:edit.txt")])?);
    assert_eq!(r.str("new_text").into_bytes(), std::fs::read(wt.join("edit.txt"))?);
    assert!(r.str("patch").contains("+four"));
    let r = f.app.get(&format!("/api/runs/{id}/diff/file?path=crlf.txt")).await?;
    assert_eq!(r.str("new_text"), "a\r\nB\r\n", "CRLF kept");
    let r = f.app.get(&format!("/api/runs/{id}/diff/file?path=moved.txt")).await?;
    assert_eq!((r.str("old_path"), r.str("old_text")), ("move.txt".into(), "a\nb\nc\nd\ne\nf\n".into()));
    let r = f.app.get(&format!("/api/runs/{id}/diff/file?path=bin.dat")).await?;
    assert_eq!(
        (r.body["binary"].clone(), r.body["old_size"].clone(), r.body["new_size"].clone()),
        (json!(true), json!(3), json!(4))
    );
    assert!(r.body["old_text"].is_null() && r.body["new_text"].is_null());
    let r = f.app.get(&format!("/api/runs/{id}/diff/file?path=caf%E9.txt")).await?;
    assert_eq!(
        (r.status, r.str("new_text")),
        (StatusCode::OK, "latin-1 name\n".to_string()),
        "exact bytes address the file"
    );
    let r = f.app.get(&format!("/api/runs/{id}/diff/file?path=caf%EF%BF%BD.txt")).await?;
    assert_eq!(r.status, StatusCode::OK, "the lossy name as listed works too: {r:?}");
    let r = f.app.get(&format!("/api/runs/{id}/diff/file?path=outside-link")).await?;
    assert_eq!(r.str("new_text"), "/etc/passwd", "a link is its target text, never followed: {r:?}");
    let r = f.app.get(&format!("/api/runs/{id}/diff/file?path=sub")).await?;
    assert_eq!(r.status, StatusCode::OK, "a submodule does not break the file view: {r:?}");

    for bad in ["../agents/README.md", "/etc/passwd", "a/../../x", ""] {
        let r = f.app.get(&format!("/api/runs/{id}/diff/file?path={bad}")).await?;
        assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "invalid_path"), "{bad}: {r:?}");
    }
    let r = f.app.get(&format!("/api/runs/{id}/diff/file?path=README.md")).await?;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_in_diff"), "{r:?}");
    let r = f.app.get(&format!("/api/runs/{id}/diff/file")).await?;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "validation"), "{r:?}");
    let r = f.app.get(&format!("/api/runs/{id}/diff?format=zip")).await?;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{r:?}");

    // A crashed git's index.lock: reads still work. Detached HEAD: still a merge-base.
    g(&wt, &["checkout", "-q", "--detach"])?;
    let git_dir = String::from_utf8(g(&wt, &["rev-parse", "--absolute-git-dir"])?)?;
    std::fs::write(Path::new(git_dir.trim()).join("index.lock"), "")?;
    let r = f.app.get(&format!("/api/runs/{id}/diff")).await?;
    assert_eq!((r.status, r.str("merge_base")), (StatusCode::OK, mb), "{r:?}");
    Ok(())
}

#[tokio::test]
async fn deleted_targets_removed_worktrees_and_large_changes() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let repo = f.repos.path().join("agents");
    g(&repo, &["branch", "feature"])?;
    let (id, wt) = run_with_worktree(&f, Some("feature")).await?;
    for i in 0..5000 {
        std::fs::write(wt.join(format!("gen-{i:04}.txt")), format!("line {i}\n"))?;
    }
    let r = f.app.get(&format!("/api/runs/{id}/diff")).await?;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.body["files"].as_array().map(Vec::len), Some(5000));
    assert_eq!(r.body["additions"], 5000);
    // A file over the cap: no texts, no patch, but its sizes.
    std::fs::write(wt.join("gen-0000.txt"), "x\n".repeat(30_000))?;
    let r = f.app.get(&format!("/api/runs/{id}/diff/file?path=gen-0000.txt")).await?;
    assert_eq!((r.body["too_large"].clone(), r.body["new_size"].clone()), (json!(true), json!(60_000)), "{r:?}");
    assert!(r.body["new_text"].is_null() && r.str("patch").is_empty());

    g(&repo, &["branch", "-D", "feature"])?;
    let r = f.app.get(&format!("/api/runs/{id}/diff")).await?;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "target_missing"), "{r:?}");
    assert!(r.str("message").contains("feature"), "{r:?}");
    g(&repo, &["branch", "feature", "main"])?;
    std::fs::remove_dir_all(&wt)?;
    let r = f.app.get(&format!("/api/runs/{id}/diff")).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "worktree_missing"), "{r:?}");
    let r = f.app.get(&format!("/api/runs/{id}/diff?format=patch")).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "worktree_missing"), "{r:?}");
    let r = f.app.get(&format!("/api/runs/{id}/diff/file?path=x")).await?;
    assert_eq!(r.code(), "worktree_missing", "{r:?}");
    Ok(())
}

#[tokio::test]
async fn a_write_in_the_worktree_names_the_file_on_the_change_feed() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let (id, wt) = run_with_worktree(&f, None).await?;
    let mut req = format!("ws://{}/api/events", f.app.app.addr).into_client_request()?;
    req.headers_mut().insert("Authorization", format!("Bearer {}", f.app.app.token).parse()?);
    let (mut ws, _) = tokio_tungstenite::connect_async(req).await?;
    // Let the watcher settle on the new worktree, then write.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let written = std::time::Instant::now();
    std::fs::write(wt.join("live.txt"), "hello\n")?;
    let read = async {
        while let Some(msg) = ws.next().await {
            if let Message::Text(t) = msg? {
                let v: Value = serde_json::from_str(&t)?;
                if v["type"] == "run_files" && v["run_id"] == id.as_str() {
                    return Ok::<_, anyhow::Error>(v);
                }
            }
        }
        anyhow::bail!("socket closed")
    };
    let event = tokio::time::timeout(Duration::from_secs(10), read).await??;
    eprintln!("run_files {:?} after the write: {event}", written.elapsed());
    assert_eq!(event["paths"], json!(["live.txt"]), "{event}");
    assert!(event["task_id"].is_string());
    Ok(())
}
