//! The embedded PostgreSQL's footprint on the machine: the system account a first start as root creates, the
//! socket dir of a long home, and clusters kept outside their home (removed once the home is gone).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use nix::sys::signal::Signal;
use reqwest::{Method, StatusCode};
use viban_runtime::pg::{ACCOUNT_NAME_ENV, outside, running_as_root};
use viban_test_support::{ServerProcess, processes_in, server_bin, wait_until};

/// Whether `pid` catches SIGTERM yet: viban-server installs its handler just after printing `listening on`, and a
/// SIGTERM before that ends it uncleanly (seen on a loaded machine).
fn catches_sigterm(pid: i32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let caught = status.lines().find_map(|l| l.strip_prefix("SigCgt:")).map(str::trim);
    caught.and_then(|hex| u64::from_str_radix(hex, 16).ok()).is_some_and(|mask| mask & (1 << (15 - 1)) != 0)
}

/// Checks it serves, then stops it with SIGTERM once it handles that.
async fn stop(mut server: ServerProcess) -> anyhow::Result<()> {
    sigterm(&server).await?;
    let status = server.wait_exit(Duration::from_secs(30)).await?;
    anyhow::ensure!(status.success(), "clean stop of the server on {}, got {status}", server.home.display());
    Ok(())
}

async fn sigterm(server: &ServerProcess) -> anyhow::Result<()> {
    healthy(server).await?;
    let pid = server.pid;
    wait_until("viban-server to handle SIGTERM", Duration::from_secs(10), || async move {
        catches_sigterm(pid).then_some(())
    })
    .await?;
    server.signal(Signal::SIGTERM);
    Ok(())
}

async fn healthy(server: &ServerProcess) -> anyhow::Result<()> {
    let r = server.call(Method::GET, "/api/health", None).await?;
    anyhow::ensure!(r.status == StatusCode::OK && r.str("database") == "ready", "health: {r:?}");
    Ok(())
}

fn uid_of(name: &str) -> Option<u32> {
    let out = std::process::Command::new("id").arg("-u").arg(name).output().ok()?;
    String::from_utf8_lossy(&out.stdout).trim().parse().ok().filter(|_| out.status.success())
}

/// A system account only this test uses, deleted (with its group) at the end.
struct ThrowawayAccount(String);

impl Drop for ThrowawayAccount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("userdel").arg(&self.0).output();
        let _ = std::process::Command::new("groupdel").arg(&self.0).output();
    }
}

#[tokio::test]
async fn concurrent_first_starts_as_root_share_one_new_account() -> anyhow::Result<()> {
    if !running_as_root() {
        eprintln!("skipped: creating a system account needs root (CI runs as root)");
        return Ok(());
    }
    // A fresh account, so every start below is a first start that has to create it.
    let name = format!("viban-pg-t{:08x}", uuid_ish());
    anyhow::ensure!(uid_of(&name).is_none(), "{name} exists already");
    let _account = ThrowawayAccount(name.clone());
    let homes = (0..4).map(|_| tempfile::tempdir()).collect::<Result<Vec<_>, _>>()?;
    let env = [(ACCOUNT_NAME_ENV, name.as_str())];
    let starts = homes.iter().map(|h| ServerProcess::spawn_with_env(h.path(), &[], &env));
    let mut servers = Vec::new();
    let mut failures = Vec::new();
    for started in futures_util::future::join_all(starts).await {
        match started {
            Ok(s) => servers.push(s),
            Err(e) => failures.push(format!("{e:#}")),
        }
    }
    anyhow::ensure!(failures.is_empty(), "every concurrent first start succeeds: {failures:#?}");
    let uid = uid_of(&name).context("the account was created")?;
    for (server, home) in servers.iter().zip(&homes) {
        healthy(server).await?;
        let owner = std::fs::metadata(home.path().join("pg/data"))?.uid();
        assert_eq!(owner, uid, "every cluster belongs to the one account {name}");
    }
    for server in servers {
        stop(server).await?;
    }
    Ok(())
}

/// Enough randomness for a name no other run uses.
fn uuid_ish() -> u32 {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos());
    nanos.unwrap_or(0) ^ std::process::id().rotate_left(16)
}

/// Line 5 of `postmaster.pid`: the socket dir the running server uses.
fn socket_dir_of(data: &Path) -> anyhow::Result<PathBuf> {
    let text = std::fs::read_to_string(data.join("postmaster.pid"))?;
    Ok(PathBuf::from(text.lines().nth(4).context("no socket dir line in postmaster.pid")?.trim()))
}

struct RemoveDir(PathBuf);

impl Drop for RemoveDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn a_long_home_gets_a_private_unpredictable_socket_dir() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let home = tmp.path().join("h".repeat(90));
    let data = home.join("pg/data");
    // The fallback older versions used (`<tmp>/viban-pg-<hash of the cluster root>`), made first by "someone else"
    // and open to all: it must not be used.
    let hash = outside::root_for(Path::new(""), &home.join("pg")).to_string_lossy().replace("pg-", "");
    let predictable = std::env::temp_dir().join(format!("viban-pg-{hash}"));
    std::fs::create_dir_all(&predictable)?;
    let _predictable = RemoveDir(predictable.clone());
    std::fs::set_permissions(&predictable, std::os::unix::fs::PermissionsExt::from_mode(0o777))?;

    let server = ServerProcess::spawn(&home, &[]).await?;
    healthy(&server).await?;
    let socket_dir = socket_dir_of(&data)?;
    let _socket_dir = RemoveDir(socket_dir.clone());
    assert_ne!(socket_dir, predictable);
    assert!(!socket_dir.starts_with(&home), "too long inside the home: {}", socket_dir.display());
    assert!(!socket_dir.to_string_lossy().contains(&hash), "not derived from the home: {}", socket_dir.display());
    let meta = std::fs::symlink_metadata(&socket_dir)?;
    assert!(meta.is_dir());
    assert_eq!(meta.mode() & 0o777, 0o700);
    let owner = if running_as_root() { uid_of("viban-pg") } else { Some(nix::unistd::geteuid().as_raw()) };
    assert_eq!(Some(meta.uid()), owner, "owned by the account postgres runs as");
    assert!(std::fs::read_dir(&predictable)?.next().is_none(), "nothing was put in the predictable dir");
    stop(server).await?;

    let server = ServerProcess::spawn(&home, &[]).await?;
    assert_eq!(socket_dir_of(&data)?, socket_dir, "later starts use the recorded dir");
    stop(server).await
}

/// Homes below a private temp dir (0700): viban-pg cannot reach them, so as root their clusters live in
/// /var/lib/viban. Removes what the test made there, whatever happens.
struct OutsideHome {
    _parent: Option<tempfile::TempDir>,
    home: PathBuf,
    root: PathBuf,
}

impl OutsideHome {
    fn new() -> anyhow::Result<Self> {
        let parent = tempfile::tempdir()?;
        // Like `mktemp -d` (tempfile's dirs follow the umask).
        std::fs::set_permissions(parent.path(), std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
        let home = parent.path().join("home");
        let root = outside::root_for_home(&home);
        Ok(Self { _parent: Some(parent), home, root })
    }

    fn delete_home(&mut self) {
        self._parent = None;
    }
}

impl Drop for OutsideHome {
    fn drop(&mut self) {
        for pid in processes_in(&self.root.join("data")) {
            let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), Signal::SIGKILL);
        }
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[tokio::test]
async fn a_cluster_kept_outside_its_home_goes_once_the_home_is_gone() -> anyhow::Result<()> {
    if !running_as_root() {
        eprintln!("skipped: clusters are kept outside their home only as root (CI runs as root)");
        return Ok(());
    }
    let mut gone = OutsideHome::new()?;
    let server = ServerProcess::spawn_with_closed_parents(&gone.home, &[]).await?;
    assert!(gone.root.join("data/PG_VERSION").is_file(), "kept in {}", gone.root.display());
    assert!(!gone.home.join("pg").exists());
    let record = std::fs::read_to_string(gone.root.join("home"))?;
    assert_eq!(record.trim_end(), gone.home.to_string_lossy(), "the cluster records its home");
    let password = std::fs::read_to_string(gone.root.join("password"))?;
    stop(server).await?;
    // A restart of the same home finds the same cluster.
    let server = ServerProcess::spawn_with_closed_parents(&gone.home, &[]).await?;
    assert_eq!(std::fs::read_to_string(gone.root.join("password"))?, password, "same cluster after a restart");
    stop(server).await?;

    let kept = OutsideHome::new()?;
    stop(ServerProcess::spawn_with_closed_parents(&kept.home, &[]).await?).await?;
    // A home deleted while its server runs: the cluster is in use and stays until that server stopped.
    let mut running = OutsideHome::new()?;
    let busy = ServerProcess::spawn_with_closed_parents(&running.home, &[]).await?;
    running.delete_home();

    gone.delete_home();
    let other = tempfile::tempdir()?;
    let server = ServerProcess::spawn(other.path(), &[]).await?;
    assert!(!gone.root.exists(), "the next start of any instance removes a cluster whose home is gone");
    assert!(kept.root.join("data/PG_VERSION").is_file(), "a cluster whose home exists is kept");
    assert!(running.root.join("data/PG_VERSION").is_file(), "a cluster a postmaster runs on is kept");
    stop(server).await?;
    let mut busy = busy;
    sigterm(&busy).await?;
    busy.wait_exit(Duration::from_secs(30)).await?;

    let out =
        std::process::Command::new(server_bin()?).args(["doctor", "--clean", "--home"]).arg(other.path()).output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains(&format!("removed {}", running.root.display())), "doctor says what it removed: {text}");
    assert!(!running.root.exists(), "doctor --clean removes it once its server stopped");
    assert!(text.contains(&kept.root.display().to_string()), "doctor lists the kept cluster: {text}");
    assert!(kept.root.is_dir());
    Ok(())
}

/// An idle app sends PostgreSQL nothing, so its pools' idle connections close and their backends go (a poll every
/// 5 s for PRs, with none open, used to keep three backends alive at 2.5–4 MB each).
#[tokio::test]
async fn an_idle_app_sends_postgresql_nothing() -> anyhow::Result<()> {
    let app = viban_test_support::TestApp::start().await?;
    let repos = tempfile::tempdir()?;
    app.project(repos.path(), "idle").await?;
    assert_eq!(app.get("/api/projects").await?.status, StatusCode::OK);
    tokio::time::sleep(Duration::from_secs(13)).await;
    // Backends of this app's database whose last statement is recent (this query's own excluded).
    let recent: Vec<(String, f64)> = sqlx::query_as(
        "SELECT left(query, 100), extract(epoch FROM now() - state_change)::float8 FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' \
         AND now() - state_change < interval '7 seconds'",
    )
    .fetch_all(app.app.db().pool())
    .await?;
    assert!(recent.is_empty(), "statements while idle (query, seconds ago): {recent:?}");
    assert!(app.stop().await);
    Ok(())
}
