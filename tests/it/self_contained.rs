//! The self-contained `viban-server` (`viban-server pack`, what `cargo xtask dist` ships): copied alone into an
//! empty folder and run with an empty environment (no `VIBAN_PG_BIN`, no UI dir, `PATH=/usr/bin:/bin` which holds
//! no PostgreSQL), it unpacks what it carries, serves the board and keeps a task across a restart.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::Signal;
use reqwest::{Method, StatusCode};
use serde_json::json;
use viban_test_support::{ServerProcess, git_repo, processes_in, server_bin};

const MARKER: &str = "packed-ui-7f3a";

/// The portable PostgreSQL's `native/` folder (the parent of `VIBAN_PG_BIN`, as `cargo xtask test` sets it).
fn portable_pg() -> anyhow::Result<PathBuf> {
    let bin = std::env::var_os("VIBAN_PG_BIN").map(PathBuf::from).ok_or_else(|| {
        anyhow::anyhow!("VIBAN_PG_BIN must name the portable PostgreSQL's bin dir (cargo xtask test sets it)")
    })?;
    Ok(bin.parent().map(Path::to_path_buf).unwrap_or(bin))
}

/// As root, binaries the postgres account cannot reach are copied to /var/lib/viban/pg-bin-*: the ones this test
/// made are removed after it.
fn pg_bin_copies() -> BTreeSet<PathBuf> {
    std::fs::read_dir("/var/lib/viban")
        .map(|d| d.flatten().map(|e| e.path()).filter(|p| p.to_string_lossy().contains("/pg-bin-")).collect())
        .unwrap_or_default()
}

fn pack(out: &Path, ui: &Path) -> anyhow::Result<std::process::Output> {
    Ok(std::process::Command::new(server_bin()?)
        .args(["pack", "--postgres"])
        .arg(portable_pg()?)
        .arg("--ui")
        .arg(ui)
        .arg("--out")
        .arg(out)
        .output()?)
}

#[tokio::test]
async fn a_packed_binary_alone_in_an_empty_folder_serves_the_board_and_keeps_a_task() -> anyhow::Result<()> {
    let copies_before = pg_bin_copies();
    let work = tempfile::tempdir()?;
    let ui = work.path().join("ui");
    std::fs::create_dir_all(&ui)?;
    std::fs::write(ui.join("index.html"), format!("<!doctype html><title>{MARKER}</title>"))?;
    let alone = work.path().join("empty");
    std::fs::create_dir_all(&alone)?;
    let exe = alone.join("viban-server");
    let packed = pack(&exe, &ui)?;
    assert!(packed.status.success(), "{}", String::from_utf8_lossy(&packed.stderr));
    assert_eq!(std::fs::read_dir(&alone)?.count(), 1, "one file, nothing beside it");

    let home = work.path().join("home");
    let repos = work.path().join("repos");
    std::fs::create_dir_all(&repos)?;
    let result = async {
        let mut server = ServerProcess::spawn_alone(&exe, &home, &[]).await?;
        let doctor = std::process::Command::new(&exe)
            .args(["doctor", "--home"])
            .arg(&home)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .output()?;
        let report = String::from_utf8_lossy(&doctor.stdout);
        assert!(report.contains("packed into viban-server"), "its own PostgreSQL is used: {report}");

        let page = reqwest::get(format!("{}/", server.url)).await?.text().await?;
        assert!(page.contains(MARKER), "the packed UI is served: {page}");
        let repo = git_repo(&repos, "r")?;
        let p = server.call(Method::POST, "/api/projects", Some(json!({"name": "r", "repo_path": repo}))).await?;
        assert_eq!(p.status, StatusCode::CREATED, "{p:?}");
        let pid = p.str("id");
        let t =
            server.call(Method::POST, &format!("/api/projects/{pid}/tasks"), Some(json!({"title": "kept"}))).await?;
        assert_eq!(t.status, StatusCode::CREATED, "{t:?}");
        server.signal(Signal::SIGTERM);
        assert!(server.wait_exit(Duration::from_secs(10)).await?.success());
        assert!(processes_in(&home.join("pg/data")).is_empty(), "PostgreSQL stopped with it");

        // The second start reuses what the first unpacked.
        let unpacked: Vec<_> = std::fs::read_dir(home.join("cache/embedded"))?.flatten().collect();
        assert_eq!(unpacked.len(), 1, "{unpacked:?}");
        let mark = unpacked[0].path().join("postgresql/bin/postgres");
        let unpacked_at = std::fs::metadata(&mark)?.modified()?;
        let mut server = ServerProcess::spawn_alone(&exe, &home, &[]).await?;
        assert_eq!(std::fs::metadata(&mark)?.modified()?, unpacked_at, "not unpacked again");
        let board = server.call(Method::GET, &format!("/api/projects/{pid}/board"), None).await?;
        assert_eq!(board.body["columns"][0]["tasks"][0]["title"], "kept", "{board:?}");
        server.signal(Signal::SIGTERM);
        assert!(server.wait_exit(Duration::from_secs(10)).await?.success());
        anyhow::Ok(())
    }
    .await;
    for copy in pg_bin_copies().difference(&copies_before) {
        let _ = std::fs::remove_dir_all(copy);
    }
    result
}

#[tokio::test]
async fn a_damaged_payload_is_refused_with_the_reason_and_packing_bad_folders_says_what_is_missing()
-> anyhow::Result<()> {
    let work = tempfile::tempdir()?;
    let ui = work.path().join("ui");
    std::fs::create_dir_all(&ui)?;
    std::fs::write(ui.join("index.html"), MARKER)?;

    let no_ui = pack(&work.path().join("x"), &work.path().join("missing"))?;
    assert!(!no_ui.status.success());
    assert!(String::from_utf8_lossy(&no_ui.stderr).contains("has no index.html"), "{no_ui:?}");

    let exe = work.path().join("viban-server");
    assert!(pack(&exe, &ui)?.status.success());
    // A byte of the archive flipped, as a broken download would: the start names the problem and the fix.
    let mut bytes = std::fs::read(&exe)?;
    let at = bytes.len() - 4096;
    bytes[at] ^= 0xff;
    std::fs::write(&exe, bytes)?;
    let home = work.path().join("home");
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(&exe)
            .args(["serve", "--home"])
            .arg(&home)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .output(),
    )
    .await??;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("damaged") && stderr.contains("download the binary again"), "{stderr}");
    assert!(!home.join("pg/data/PG_VERSION").exists(), "nothing was started");
    Ok(())
}
