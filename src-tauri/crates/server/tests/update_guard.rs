//! `viban-server update-guard`, started the way the app starts it (`spawn_guard`: a copy of the binary outside
//! the package, its own session), and its exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use viban_core::AppPaths;
use viban_update::{OutcomeKind, PendingUpdate, ServerInfo, UpdateDir, write_json_atomic};

const BIN: &str = env!("CARGO_BIN_EXE_viban-server");

/// Answers 200 with `version` to every request.
fn health_server(version: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let body = format!(r#"{{"status":"ok","version":"{version}","database":"ready"}}"#);
            let _ =
                write!(conn, "HTTP/1.1 200 OK\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
        }
    });
    url
}

fn pending(paths: &AppPaths, old_pid: u32) -> PathBuf {
    let updates = UpdateDir::of(paths);
    let record: PendingUpdate = serde_json::from_value(serde_json::json!({
        "from": "0.1.0", "to": "0.1.1", "kept": updates.kept_dir().join("viban_0.1.0_amd64.deb"), "format": "deb",
        "deadline_secs": 20, "started_at": "2026-01-02T03:04:05Z", "app_exe": "/nonexistent/viban", "app_args": [],
        "old_pid": old_pid,
    }))
    .unwrap();
    updates.save_pending(&record).unwrap();
    updates.pending_path()
}

/// Field 6 of /proc/<pid>/stat: the session id.
fn session_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.split_whitespace().nth(3)?.parse().ok()
}

fn wait_until(within: Duration, mut done: impl FnMut() -> bool) -> bool {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn the_guard_runs_from_a_copy_in_its_own_session_and_records_a_healthy_update() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = AppPaths::under(tmp.path().join("home"));
    paths.create_all().unwrap();
    let info = ServerInfo { url: health_server("0.1.1"), token: "t".repeat(20), pid: 1, version: "0.1.1".into() };
    write_json_atomic(&paths.server_json(), &info).unwrap();
    let mut old = Command::new("sleep").arg("1").spawn().unwrap();
    let pending = pending(&paths, old.id());

    let pid = viban_update::spawn_guard_from(Path::new(BIN), &paths, &pending).unwrap();

    let copy = paths.cache_dir.join("update-guard/viban-server");
    assert!(copy.is_file());
    assert_eq!(std::fs::read_link(format!("/proc/{pid}/exe")).unwrap(), copy);
    assert!(wait_until(Duration::from_secs(5), || session_of(pid) == Some(pid)), "the guard calls setsid");
    old.wait().unwrap();
    let updates = UpdateDir::of(&paths);
    assert!(wait_until(Duration::from_secs(15), || !pending.exists()), "the guard finished");
    assert_eq!(updates.load_outcome().unwrap().unwrap().kind, OutcomeKind::Updated);
    let log = std::fs::read_to_string(paths.log_dir.join("update-guard.log")).unwrap();
    assert!(log.contains("reported healthy"), "{log}");
}

#[test]
fn exit_codes_say_what_happened() {
    let tmp = tempfile::tempdir().unwrap();
    let paths = AppPaths::under(tmp.path());
    let info = ServerInfo { url: health_server("0.1.1"), token: String::new(), pid: 1, version: "0.1.1".into() };
    write_json_atomic(&paths.server_json(), &info).unwrap();
    let run = |pending: &Path| {
        Command::new(BIN)
            .arg("update-guard")
            .arg("--pending")
            .arg(pending)
            .env("VIBAN_HOME", tmp.path())
            .output()
            .unwrap()
    };

    let healthy = run(&pending(&paths, 0));
    assert_eq!(healthy.status.code(), Some(0), "{healthy:?}");

    let malformed = UpdateDir::of(&paths).pending_path();
    std::fs::write(&malformed, "{").unwrap();
    let out = run(&malformed);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a valid pending update record"), "{out:?}");

    let mut old = Command::new("sleep").arg("30").spawn().unwrap();
    let path = pending(&paths, old.id());
    let remove = path.clone();
    let withdraw = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        std::fs::remove_file(remove).unwrap();
    });
    let out = run(&path);
    withdraw.join().unwrap();
    old.kill().unwrap();
    old.wait().unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
}
