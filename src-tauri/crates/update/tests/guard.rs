//! The guard with real processes, real files and a real HTTP health server, all in temp folders.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::Arc;
use std::time::{Duration, Instant};

use viban_update::{
    GuardOptions, OutcomeKind, PackageFormat, PendingUpdate, PrefixInstaller, ServerInfo, UpdateDir, UpdateError,
    guard, pid_alive, write_json_atomic,
};

const TOKEN: &str = "test-token-0123456789";

fn kept_names(updates: &UpdateDir) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(updates.kept_dir()).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    updates: UpdateDir,
    server_json: PathBuf,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        let updates = UpdateDir::new(root.join("home/updates"));
        std::fs::create_dir_all(updates.kept_dir()).unwrap();
        std::fs::write(updates.kept_dir().join("viban_0.1.0_amd64.deb"), "kept").unwrap();
        // What the updater keeps of the download it installs.
        std::fs::write(updates.kept_dir().join("viban_0.1.1.deb"), "downloaded").unwrap();
        let server_json = root.join("home/server.json");
        Self { _tmp: tmp, root, updates, server_json }
    }

    fn pending(&self, old_pid: u32, app_exe: &Path) -> PathBuf {
        let pending = PendingUpdate {
            from: "0.1.0".into(),
            to: "0.1.1".into(),
            kept: self.updates.kept_dir().join("viban_0.1.0_amd64.deb"),
            format: PackageFormat::Deb,
            deadline_secs: 90,
            started_at: chrono::Utc::now(),
            app_exe: app_exe.to_path_buf(),
            app_args: vec!["--restarted".into()],
            old_pid,
        };
        self.updates.save_pending(&pending).unwrap();
        self.updates.pending_path()
    }

    fn server(&self, url: &str, pid: u32, version: &str) {
        let info = ServerInfo { url: url.into(), token: TOKEN.into(), pid, version: version.into() };
        write_json_atomic(&self.server_json, &info).unwrap();
    }

    fn script(&self, name: &str, body: &str) -> PathBuf {
        let path = self.root.join(name);
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, PermissionsExt::from_mode(0o755)).unwrap();
        path
    }

    /// An installer that records its argv, one word a line, in `installer.argv`.
    fn recording_installer(&self, extra: &str) -> Arc<PrefixInstaller> {
        let rec = self.root.join("installer.argv");
        let script = self.script("fake-installer", &format!("printf '%s\\n' \"$@\" > '{}'\n{extra}", rec.display()));
        Arc::new(PrefixInstaller { prefix: vec![script.to_string_lossy().into_owned()] })
    }

    fn opts(&self, deadline: Duration, installer: Arc<PrefixInstaller>) -> GuardOptions {
        GuardOptions {
            deadline: Some(deadline),
            installer,
            kill_grace: Duration::from_secs(2),
            app_log: Some(self.root.join("app.log")),
            ..GuardOptions::default()
        }
    }
}

/// A health endpoint answering `status` (and `version`) to requests with the bearer token, 401 to others.
fn health_server(status: u16, version: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut req = Vec::new();
            let mut buf = [0u8; 1024];
            while !req.windows(4).any(|w| w == b"\r\n\r\n") {
                match conn.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => req.extend_from_slice(&buf[..n]),
                }
            }
            let req = String::from_utf8_lossy(&req).to_lowercase();
            let authorized = req.contains(&format!("authorization: bearer {}", TOKEN.to_lowercase()));
            let ok_path = req.starts_with("get /api/health ");
            let code = if !ok_path {
                404
            } else if authorized {
                status
            } else {
                401
            };
            let body = format!(r#"{{"status":"ok","version":"{version}","database":"ready"}}"#);
            let _ = write!(
                conn,
                "HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

/// A URL where nothing listens.
fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

/// The pid of a process that has exited (and was reaped).
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

/// Starts `program args`, reaped by a thread when it ends (so it never lingers as our zombie).
fn spawn_reaped(program: &Path, args: &[&str]) -> u32 {
    let mut child: Child = Command::new(program).args(args).spawn().unwrap();
    let pid = child.id();
    std::thread::spawn(move || child.wait());
    pid
}

fn wait_for_file(path: &Path, within: Duration) -> Option<String> {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if let Ok(text) = std::fs::read_to_string(path)
            && !text.is_empty()
        {
            return Some(text);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[tokio::test]
async fn a_healthy_new_version_is_recorded_as_updated() {
    let fx = Fixture::new();
    fx.server(&health_server(200, "0.1.1"), std::process::id(), "0.1.1");
    let pending = fx.pending(dead_pid(), Path::new("/nonexistent/viban"));

    let outcome = guard(&pending, fx.opts(Duration::from_secs(10), fx.recording_installer(""))).await.unwrap();

    assert_eq!(outcome.kind, OutcomeKind::Updated, "{}", outcome.reason);
    assert!(!pending.exists(), "pending.json is removed");
    assert_eq!(fx.updates.load_outcome().unwrap().unwrap().kind, OutcomeKind::Updated);
    assert!(fx.updates.load_skipped().unwrap().versions.is_empty());
    assert!(!fx.root.join("installer.argv").exists(), "nothing was reinstalled");
    assert_eq!(kept_names(&fx.updates), ["viban_0.1.1.deb"], "only the package of the running version is kept");
}

#[tokio::test]
async fn the_guard_waits_for_the_old_process_to_exit_first() {
    let fx = Fixture::new();
    fx.server(&health_server(200, "0.1.1"), std::process::id(), "0.1.1");
    let old = spawn_reaped(Path::new("sleep"), &["1"]);
    let pending = fx.pending(old, Path::new("/nonexistent/viban"));
    let started = Instant::now();

    let outcome = guard(&pending, fx.opts(Duration::from_secs(10), fx.recording_installer(""))).await.unwrap();

    assert_eq!(outcome.kind, OutcomeKind::Updated);
    assert!(started.elapsed() >= Duration::from_millis(800), "returned after {:?}", started.elapsed());
    assert!(!pid_alive(old));
}

#[tokio::test]
async fn an_old_process_that_never_exits_changes_nothing() {
    let fx = Fixture::new();
    let old = spawn_reaped(Path::new("sleep"), &["30"]);
    let pending = fx.pending(old, Path::new("/nonexistent/viban"));
    let before = std::fs::read(&pending).unwrap();

    let err = guard(&pending, fx.opts(Duration::from_millis(600), fx.recording_installer(""))).await.unwrap_err();

    assert!(matches!(err, UpdateError::OldStillRunning { pid, .. } if pid == old), "{err:?}");
    assert_eq!(std::fs::read(&pending).unwrap(), before);
    assert_eq!(fx.updates.load_outcome().unwrap(), None);
    let _ = Command::new("kill").arg(old.to_string()).status();
}

#[tokio::test]
async fn a_withdrawn_pending_record_stops_the_guard() {
    let fx = Fixture::new();
    let old = spawn_reaped(Path::new("sleep"), &["30"]);
    let pending = fx.pending(old, Path::new("/nonexistent/viban"));
    let remove = pending.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(400));
        std::fs::remove_file(remove).unwrap();
    });

    let err = guard(&pending, fx.opts(Duration::from_secs(20), fx.recording_installer(""))).await.unwrap_err();

    assert!(matches!(err, UpdateError::Cancelled(_)), "{err:?}");
    assert_eq!(fx.updates.load_outcome().unwrap(), None);
    let _ = Command::new("kill").arg(old.to_string()).status();
}

#[tokio::test]
async fn a_malformed_pending_record_is_a_clear_error_and_nothing_changes() {
    let fx = Fixture::new();
    let pending = fx.updates.pending_path();
    std::fs::write(&pending, "{\"from\": \"0.1.0\", \"to\": ").unwrap();

    let err = guard(&pending, fx.opts(Duration::from_secs(1), fx.recording_installer(""))).await.unwrap_err();

    assert!(matches!(err, UpdateError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().contains("pending.json") && err.to_string().contains("not a valid"), "{err}");
    assert_eq!(std::fs::read_to_string(&pending).unwrap(), "{\"from\": \"0.1.0\", \"to\": ");
    assert!(!fx.updates.outcome_path().exists() && !fx.updates.skipped_path().exists());
    let missing = guard(&fx.root.join("none.json"), GuardOptions::default()).await.unwrap_err();
    assert!(matches!(missing, UpdateError::NoPending(_)), "{missing:?}");
}

/// server.json still names the old version and nothing listens: after the deadline the running new version
/// (a process whose executable is app_exe) is stopped, the kept package reinstalled, the version skipped, and the
/// app started again — here the fake installer swaps app_exe for a script that records its arguments.
#[tokio::test]
async fn an_unhealthy_new_version_is_rolled_back_and_the_app_restarted() {
    let fx = Fixture::new();
    let app = fx.root.join("viban");
    std::fs::copy("/bin/sleep", &app).unwrap();
    let running_new = spawn_reaped(&app, &["60"]);
    fx.server(&dead_url(), dead_pid(), "0.1.0");
    let pending = fx.pending(dead_pid(), &app);
    let marker = fx.root.join("restarted");
    let restart = fx.script("restart", &format!("echo \"$@\" > '{}'", marker.display()));
    let swap = format!("rm -f '{0}' && cp '{1}' '{0}'", app.display(), restart.display());

    let started = Instant::now();
    let outcome = guard(&pending, fx.opts(Duration::from_secs(1), fx.recording_installer(&swap))).await.unwrap();

    assert_eq!(outcome.kind, OutcomeKind::RolledBack, "{}", outcome.reason);
    assert!(started.elapsed() < Duration::from_secs(8), "took {:?}", started.elapsed());
    assert!(
        outcome.reason.starts_with("viban 0.1.1 did not report healthy within 1 s: server.json still says 0.1.0"),
        "{}",
        outcome.reason
    );
    assert!(!pid_alive(running_new), "the new version was stopped");
    let argv = std::fs::read_to_string(fx.root.join("installer.argv")).unwrap();
    let kept = fx.updates.kept_dir().join("viban_0.1.0_amd64.deb");
    assert_eq!(argv, format!("dpkg\n-i\n{}\n", kept.display()));
    assert_eq!(fx.updates.load_skipped().unwrap().versions, ["0.1.1"]);
    assert_eq!(fx.updates.load_outcome().unwrap().unwrap(), outcome);
    assert!(!pending.exists());
    assert_eq!(wait_for_file(&marker, Duration::from_secs(5)).as_deref(), Some("--restarted\n"));
    assert_eq!(kept_names(&fx.updates), ["viban_0.1.0_amd64.deb"], "the failed version's download is removed");
}

/// The new version answers, but 503: it is stopped (its pid from server.json) and the reason says 503.
#[tokio::test]
async fn a_failing_health_answer_is_the_reason() {
    let fx = Fixture::new();
    let new_pid = spawn_reaped(Path::new("sleep"), &["60"]);
    fx.server(&health_server(503, "0.1.1"), new_pid, "0.1.1");
    let marker = fx.root.join("restarted");
    let app = fx.script("app", &format!("touch '{}'", marker.display()));
    let pending = fx.pending(dead_pid(), &app);

    let outcome = guard(&pending, fx.opts(Duration::from_millis(700), fx.recording_installer(""))).await.unwrap();

    assert_eq!(outcome.kind, OutcomeKind::RolledBack);
    assert!(outcome.reason.contains("within 0.7 s") && outcome.reason.contains("503"), "{}", outcome.reason);
    assert!(!pid_alive(new_pid), "the pid in server.json was stopped");
    assert!(wait_for_file(&marker, Duration::from_secs(5)).is_some() || marker.exists());
}

/// The new version wrote its server.json and died: no need to wait for the whole deadline.
#[tokio::test]
async fn a_new_version_that_died_is_rolled_back_before_the_deadline() {
    let fx = Fixture::new();
    fx.server(&dead_url(), dead_pid(), "0.1.1");
    let marker = fx.root.join("restarted");
    let app = fx.script("app", &format!("touch '{}'", marker.display()));
    let pending = fx.pending(dead_pid(), &app);
    let started = Instant::now();

    let outcome = guard(&pending, fx.opts(Duration::from_secs(60), fx.recording_installer(""))).await.unwrap();

    assert_eq!(outcome.kind, OutcomeKind::RolledBack);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    assert!(
        outcome.reason.contains("stopped before reporting healthy") && outcome.reason.contains("nothing is listening"),
        "{}",
        outcome.reason
    );
    assert!(wait_for_file(&marker, Duration::from_secs(5)).is_some() || marker.exists());
}

/// The reinstall fails: the outcome says so with the command to run, the version is still skipped, and the
/// (broken) app is not started again.
#[tokio::test]
async fn a_failed_reinstall_says_what_to_run() {
    let fx = Fixture::new();
    fx.server(&dead_url(), dead_pid(), "0.1.0");
    let marker = fx.root.join("restarted");
    let app = fx.script("app", &format!("touch '{}'", marker.display()));
    let pending = fx.pending(dead_pid(), &app);

    let outcome =
        guard(&pending, fx.opts(Duration::from_millis(300), fx.recording_installer("echo 'dpkg: locked' >&2; exit 2")))
            .await
            .unwrap();

    assert_eq!(outcome.kind, OutcomeKind::RollbackFailed);
    let kept = fx.updates.kept_dir().join("viban_0.1.0_amd64.deb");
    assert!(outcome.reason.contains(&format!("run: sudo dpkg -i {}", kept.display())), "{}", outcome.reason);
    assert_eq!(fx.updates.load_skipped().unwrap().versions, ["0.1.1"]);
    assert!(!pending.exists());
    std::thread::sleep(Duration::from_millis(300));
    assert!(!marker.exists(), "the broken version is not started again");
    assert_eq!(kept_names(&fx.updates).len(), 2, "the package to reinstall by hand is kept");
}
