//! Clusters kept outside their home. As root, a home the postgres account cannot reach (any `mktemp -d` home,
//! `/root/…`) keeps its cluster in `/var/lib/viban/pg-<hash>`. Each such cluster records its home in a `home` file;
//! once that home is gone and no postmaster runs on the cluster, the next start of any viban (or
//! `viban-server doctor --clean`) removes it. Clusters made before the record existed cannot be attributed: they
//! are only listed.

use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use viban_core::AppPaths;

use super::{PgError, process, short_hash};

/// Where root keeps clusters (and binary copies) the postgres account can reach.
pub const BASE: &str = "/var/lib/viban";
/// In a cluster root: the absolute path of the home the cluster belongs to.
const RECORD: &str = "home";
/// Sweeps hold it exclusively, claims shared: a cluster is never removed between "its home is gone" and the
/// moment a new instance for a home at the same path records itself.
const LOCK: &str = ".clusters.lock";
/// A cluster being removed is first renamed to this prefix, so an interrupted removal never leaves a cluster
/// without its record (which could then never be attributed).
const TRASH: &str = ".removing-";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Its home exists: kept.
    HomeExists,
    /// Its home is gone and no postmaster runs on it: removable.
    Orphaned,
    /// Its home is gone but a postmaster (this pid) still runs on it.
    Running(i32),
    /// No record (made by an older viban): it cannot be attributed, so it is left alone.
    Unrecorded,
}

/// One cluster under the base dir.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutsideCluster {
    pub root: PathBuf,
    pub home: Option<PathBuf>,
    pub state: State,
}

/// What a sweep did.
#[derive(Debug, Default)]
pub struct Swept {
    pub removed: Vec<OutsideCluster>,
    /// Postmasters stopped first (only with `OnRunning::StopOrphaned`).
    pub stopped: Vec<i32>,
    pub kept: Vec<OutsideCluster>,
    pub errors: Vec<String>,
}

/// What a sweep does with a postmaster still running on a cluster whose home is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnRunning {
    /// Leave it (and its cluster): its viban may still be running; the first sweep after it stopped removes it.
    Skip,
    /// Stop it if its viban is gone (it was reparented to init), then remove the cluster.
    StopOrphaned,
}

/// The cluster root kept under `base` for the cluster whose in-home root would be `pg_root`.
pub fn root_for(base: &Path, pg_root: &Path) -> PathBuf {
    base.join(format!("pg-{}", short_hash(&pg_root.to_string_lossy())))
}

/// Where `home`'s cluster lives when it is kept outside the home (whether or not it exists).
pub fn root_for_home(home: &Path) -> PathBuf {
    root_for(Path::new(BASE), &AppPaths::under(home).pg_root())
}

fn is_cluster_name(name: &OsStr) -> bool {
    let Some(hash) = name.to_str().and_then(|n| n.strip_prefix("pg-")) else { return false };
    hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

fn lock(base: &Path, exclusive: bool) -> Result<File, PgError> {
    lock_file(&base.join(LOCK), exclusive)
}

/// Opens (never through a symlink) and flocks a 0600 lock file; the lock lives as long as the returned file.
pub(super) fn lock_file(path: &Path, exclusive: bool) -> Result<File, PgError> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(path)
        .map_err(|e| PgError::Io(format!("could not open the lock file {}: {e}", path.display())))?;
    let locked = if exclusive { file.lock() } else { file.lock_shared() };
    locked.map_err(|e| PgError::Io(format!("could not lock {}: {e}", path.display())))?;
    Ok(file)
}

fn read_record(root: &Path) -> Option<PathBuf> {
    let bytes = std::fs::read(root.join(RECORD)).ok()?;
    let bytes = bytes.strip_suffix(b"\n").unwrap_or(&bytes);
    (!bytes.is_empty()).then(|| PathBuf::from(OsStr::from_bytes(bytes)))
}

fn write_record(root: &Path, home: &Path) -> Result<(), PgError> {
    let path = root.join(RECORD);
    let tmp = root.join(format!("{RECORD}.tmp-{}", std::process::id()));
    let io = |e: std::io::Error| PgError::Io(format!("could not write {}: {e}", path.display()));
    let mut f = OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp).map_err(io)?;
    f.write_all(home.as_os_str().as_bytes()).and_then(|()| f.write_all(b"\n")).map_err(io)?;
    f.sync_all().map_err(io)?;
    std::fs::rename(&tmp, &path).map_err(io)
}

/// Makes the root for the cluster kept outside `home` (whose in-home root would be `pg_root`) and records `home` in
/// it. Returns the root.
pub(super) fn claim(base: &Path, pg_root: &Path, home: &Path) -> Result<PathBuf, PgError> {
    let root = root_for(base, pg_root);
    std::fs::create_dir_all(base).map_err(|e| PgError::Io(format!("could not create {}: {e}", base.display())))?;
    let _shared = lock(base, false)?;
    std::fs::create_dir_all(&root).map_err(|e| PgError::Io(format!("could not create {}: {e}", root.display())))?;
    // Clusters from before the record existed get theirs at their first start.
    if read_record(&root).as_deref() != Some(home) {
        write_record(&root, home)?;
    }
    Ok(root)
}

/// A live postmaster serving `data`: the pid in `postmaster.pid`, if it runs and its command line (`-D <data>`) or
/// working directory names `data` (a reused pid does not count).
pub(super) fn postmaster(data: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(data.join("postmaster.pid")).ok()?;
    let pid = text.lines().next()?.trim().parse::<i32>().ok().filter(|&p| p > 0)?;
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let data_bytes = data.as_os_str().as_bytes();
    let names_data = cmdline.split(|&b| b == 0).any(|arg| arg == data_bytes);
    (process::pid_alive(pid) && (names_data || process::serves(pid, data))).then_some(pid)
}

fn inspect(root: PathBuf) -> OutsideCluster {
    let home = read_record(&root);
    let state = match &home {
        None => State::Unrecorded,
        // An error (e.g. a permission) is no proof that the home is gone.
        Some(h) if h.try_exists().unwrap_or(true) => State::HomeExists,
        Some(_) => match postmaster(&root.join("data")) {
            Some(pid) => State::Running(pid),
            None => State::Orphaned,
        },
    };
    OutsideCluster { root, home, state }
}

/// Every cluster under `base`, by root.
pub fn survey(base: &Path) -> Vec<OutsideCluster> {
    let Ok(entries) = std::fs::read_dir(base) else { return Vec::new() };
    let mut found: Vec<OutsideCluster> = entries
        .flatten()
        .filter(|e| is_cluster_name(&e.file_name()) && e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| inspect(e.path()))
        .collect();
    found.sort_by(|a, b| a.root.cmp(&b.root));
    found
}

/// Removes the clusters under `base` whose home is gone and on which no postmaster runs (see `OnRunning`).
pub fn sweep(base: &Path, on_running: OnRunning) -> Swept {
    let mut swept = Swept::default();
    if !base.is_dir() {
        return swept;
    }
    if on_running == OnRunning::StopOrphaned {
        // Before taking the lock: stopping can take seconds, and starts wait for the lock.
        for c in survey(base) {
            if let State::Running(pid) = c.state
                && parent_pid(pid) == Some(1)
            {
                tracing::info!(pid, root = %c.root.display(), "stopping a PostgreSQL whose viban and home are gone");
                stop(pid);
                swept.stopped.push(pid);
            }
        }
    }
    let exclusive = match lock(base, true) {
        Ok(l) => l,
        Err(e) => {
            swept.errors.push(e.to_string());
            return swept;
        }
    };
    for c in survey(base) {
        if c.state != State::Orphaned {
            swept.kept.push(c);
            continue;
        }
        let name = c.root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let trash = base.join(format!("{TRASH}{name}-{}", uuid::Uuid::new_v4().simple()));
        match std::fs::rename(&c.root, &trash) {
            Ok(()) => swept.removed.push(c),
            Err(e) => swept.errors.push(format!("could not remove {}: {e}", c.root.display())),
        }
    }
    drop(exclusive);
    // Ours, and any an interrupted sweep left. Another sweep may be removing the same ones: missing files are fine.
    let trash =
        std::fs::read_dir(base).into_iter().flatten().flatten().filter(|e| {
            e.file_name().as_bytes().starts_with(TRASH.as_bytes()) && e.file_type().is_ok_and(|t| t.is_dir())
        });
    for entry in trash {
        if let Err(e) = std::fs::remove_dir_all(entry.path())
            && e.kind() != std::io::ErrorKind::NotFound
        {
            swept.errors.push(format!("could not remove {}: {e}", entry.path().display()));
        }
    }
    swept
}

/// The sweep every start runs (as root): cheap when there is nothing to do (one `read_dir`), logs what it did.
pub(super) fn sweep_at_start() {
    let swept = sweep(Path::new(BASE), OnRunning::Skip);
    for c in &swept.removed {
        let home = c.home.as_deref().unwrap_or(Path::new("?"));
        tracing::info!(root = %c.root.display(), home = %home.display(), "removed a cluster whose home is gone");
    }
    for c in &swept.kept {
        if let State::Running(pid) = c.state {
            tracing::info!(pid, root = %c.root.display(), "home gone but PostgreSQL still runs there; kept for now");
        }
    }
    for e in &swept.errors {
        tracing::warn!("{e}");
    }
}

/// Removes the cluster kept outside `home` if its home is gone and nothing runs on it (tests call this once they
/// deleted a home). Returns the removed root.
pub fn remove_for_home(home: &Path) -> Option<PathBuf> {
    let root = root_for_home(home);
    let c = inspect(root.clone());
    if c.state != State::Orphaned || c.home.as_deref() != Some(home) {
        return None;
    }
    // Through a sweep: same lock, same trash handling; it only removes orphans, so others are untouched.
    let swept = sweep(Path::new(BASE), OnRunning::Skip);
    swept.removed.iter().any(|r| r.root == root).then_some(root)
}

fn parent_pid(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// Fast shutdown, then immediate, then kill (a synchronous `doctor --clean` has no runtime to wait on).
fn stop(pid: i32) {
    for (signal, secs) in [(Signal::SIGINT, 10), (Signal::SIGQUIT, 5), (Signal::SIGKILL, 5)] {
        let _ = kill(Pid::from_raw(pid), signal);
        let until = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < until {
            if !process::pid_alive(pid) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    type R = Result<(), Box<dyn std::error::Error>>;

    /// A base dir, and a home in a separate temp dir with its claimed cluster root.
    fn claimed(base: &Path) -> Result<(tempfile::TempDir, PathBuf), Box<dyn std::error::Error>> {
        let home = tempfile::tempdir()?;
        let root = claim(base, &home.path().join("pg"), home.path())?;
        std::fs::create_dir_all(root.join("data"))?;
        Ok((home, root))
    }

    #[test]
    fn a_cluster_is_kept_while_its_home_exists_and_removed_once_it_is_gone() -> R {
        let base = tempfile::tempdir()?;
        let (home, root) = claimed(base.path())?;
        assert_eq!(read_record(&root).as_deref(), Some(home.path()));
        assert_eq!(claim(base.path(), &home.path().join("pg"), home.path())?, root, "a restart finds it again");
        let swept = sweep(base.path(), OnRunning::Skip);
        assert!(swept.removed.is_empty() && root.is_dir());
        assert_eq!(swept.kept.first().map(|c| &c.state), Some(&State::HomeExists));

        let home_path = home.path().to_path_buf();
        drop(home);
        assert_eq!(survey(base.path()).first().map(|c| &c.state), Some(&State::Orphaned));
        let swept = sweep(base.path(), OnRunning::Skip);
        assert_eq!(swept.removed.len(), 1, "{swept:?}");
        assert_eq!(swept.removed[0].home.as_deref(), Some(home_path.as_path()));
        assert!(!root.exists());
        let left: Vec<_> = std::fs::read_dir(base.path())?.flatten().map(|e| e.file_name()).collect();
        assert_eq!(left, vec![std::ffi::OsString::from(LOCK)], "no trash left");
        Ok(())
    }

    #[test]
    fn a_live_postmaster_keeps_its_cluster_but_a_reused_pid_does_not() -> R {
        let base = tempfile::tempdir()?;
        let (home, root) = claimed(base.path())?;
        drop(home);
        let data = root.join("data");
        // Our own pid is alive but is no postmaster of this cluster.
        std::fs::write(data.join("postmaster.pid"), format!("{}\n", std::process::id()))?;
        assert_eq!(survey(base.path())[0].state, State::Orphaned);
        // A process whose command line names the data dir, like `postgres -D <data>` (not `sh -c`: it may exec
        // `sleep` and lose its arguments).
        let mut child = std::process::Command::new("perl").args(["-e", "sleep 30"]).arg(&data).spawn()?;
        let pid = i32::try_from(child.id())?;
        std::fs::write(data.join("postmaster.pid"), format!("{pid}\n{}\n", data.display()))?;
        // spawn() returns while exec is still setting up the new command line (read empty meanwhile).
        let named = (0..200).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            postmaster(&data) == Some(pid)
        });
        assert!(named, "the child's command line names {}", data.display());
        let swept = sweep(base.path(), OnRunning::Skip);
        assert_eq!(swept.kept.first().map(|c| &c.state), Some(&State::Running(pid)));
        assert!(root.is_dir() && swept.stopped.is_empty(), "a running cluster is not touched");
        child.kill()?;
        child.wait()?;
        assert_eq!(sweep(base.path(), OnRunning::Skip).removed.len(), 1);
        assert!(!root.exists());
        Ok(())
    }

    #[test]
    fn unrecorded_clusters_and_other_entries_are_left_alone() -> R {
        let base = tempfile::tempdir()?;
        let old = base.path().join("pg-0123456789abcdef");
        std::fs::create_dir_all(old.join("data"))?;
        for other in ["pg-bin-17.10.0-0123456789abcdef", "pg-xyz", "notes"] {
            std::fs::create_dir(base.path().join(other))?;
        }
        let found = survey(base.path());
        assert_eq!(found, vec![OutsideCluster { root: old.clone(), home: None, state: State::Unrecorded }]);
        assert!(sweep(base.path(), OnRunning::Skip).removed.is_empty());
        assert!(old.is_dir() && base.path().join("pg-bin-17.10.0-0123456789abcdef").is_dir());
        Ok(())
    }

    #[test]
    fn an_interrupted_removal_is_finished_by_the_next_sweep() -> R {
        let base = tempfile::tempdir()?;
        let trash = base.path().join(format!("{TRASH}pg-0123456789abcdef-1"));
        std::fs::create_dir_all(trash.join("data/base"))?;
        sweep(base.path(), OnRunning::Skip);
        assert!(!trash.exists());
        Ok(())
    }

    #[test]
    fn doctor_clean_stops_a_postmaster_whose_viban_is_gone() -> R {
        let base = tempfile::tempdir()?;
        let (home, root) = claimed(base.path())?;
        drop(home);
        let data = root.join("data");
        // A grandchild whose parent exits at once: reparented, like a postmaster whose viban crashed. (perl: a
        // background job of sh ignores SIGINT, and only perl can take that back.)
        let out = std::process::Command::new("sh")
            .args(["-c", r#"perl -e '$SIG{INT}="DEFAULT"; sleep 30' "$0" >/dev/null 2>&1 & echo $!"#])
            .arg(&data)
            .output()?;
        let pid: i32 = String::from_utf8_lossy(&out.stdout).trim().parse()?;
        std::fs::write(data.join("postmaster.pid"), format!("{pid}\n"))?;
        let reparented_to_init = (0..100).any(|_| {
            std::thread::sleep(Duration::from_millis(10));
            parent_pid(pid) == Some(1)
        });
        if !reparented_to_init {
            // A subreaper (e.g. a container's init shim) adopted it: doctor rightly leaves it alone.
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            eprintln!("skipped: orphans are not reparented to pid 1 here");
            return Ok(());
        }
        assert!(sweep(base.path(), OnRunning::Skip).removed.is_empty(), "a start never stops it");
        let swept = sweep(base.path(), OnRunning::StopOrphaned);
        assert_eq!(swept.stopped, vec![pid]);
        assert_eq!(swept.removed.len(), 1);
        assert!(!process::pid_alive(pid) && !root.exists());
        Ok(())
    }
}
