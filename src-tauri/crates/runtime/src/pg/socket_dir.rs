//! The dir for PostgreSQL's unix socket and its lock file: `<root>/run`, or, when that path is too long for a unix
//! socket, a private dir elsewhere. Never a predictable shared path another local user could create first, and
//! every dir is checked before use: a real directory (no symlink), owned by us or the postgres account, not
//! writable by group or others. One that fails is never used.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::unistd::Uid;

use super::account::Account;
use super::{PgError, short_hash};

/// Longest unix socket path the kernel takes (sun_path is 108 bytes with the NUL).
const MAX_SOCKET_PATH: usize = 107;
const SOCKET_NAME: &str = "/.s.PGSQL.65535";
/// In the cluster root: the fallback dir chosen at a first start, so later starts use the same one.
const RECORD: &str = "socket-dir";
const FALLBACK_PREFIX: &str = "viban-pg-";

fn fits(dir: &Path) -> bool {
    dir.as_os_str().len() + SOCKET_NAME.len() <= MAX_SOCKET_PATH
}

/// Why an existing dir is not used.
enum Unusable {
    Missing,
    Bad(String),
}

/// Opens `dir` without following a symlink and checks who owns it and who may write to it.
fn check(dir: &Path, account: Option<&Account>) -> Result<File, Unusable> {
    let opened = OpenOptions::new().read(true).custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_DIRECTORY).open(dir);
    let file = match opened {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Err(Unusable::Missing),
        Err(e) => return Err(Unusable::Bad(format!("{} is not a usable directory ({e})", dir.display()))),
    };
    let meta = file.metadata().map_err(|e| Unusable::Bad(format!("could not stat {}: {e}", dir.display())))?;
    let ours = meta.uid() == Uid::effective().as_raw() || account.is_some_and(|a| a.uid == meta.uid());
    if !ours {
        return Err(Unusable::Bad(format!("{} belongs to uid {}, not to viban", dir.display(), meta.uid())));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(Unusable::Bad(format!(
            "{} is writable by others (mode {:o})",
            dir.display(),
            meta.mode() & 0o7777
        )));
    }
    Ok(file)
}

/// Mode 0700, owned by the account that runs postgres (through the open handle: the path may have changed).
fn finish(dir: &Path, file: &File, account: Option<&Account>) -> Result<(), PgError> {
    let io = |e: std::io::Error| PgError::Io(format!("could not secure the socket dir {}: {e}", dir.display()));
    file.set_permissions(std::fs::Permissions::from_mode(0o700)).map_err(io)?;
    if let Some(a) = account {
        std::os::unix::fs::fchown(file, Some(a.uid), Some(a.gid)).map_err(io)?;
    }
    Ok(())
}

fn create(dir: &Path, account: Option<&Account>) -> Result<(), std::io::Error> {
    DirBuilder::new().mode(0o700).create(dir)?;
    match check(dir, account) {
        Ok(f) => finish(dir, &f, account).map_err(|e| std::io::Error::other(e.to_string())),
        Err(Unusable::Missing) => Err(std::io::Error::other("vanished right after it was made")),
        Err(Unusable::Bad(why)) => Err(std::io::Error::other(why)),
    }
}

/// A dir at a fixed path inside a parent that is ours alone: one that fails the check is replaced (it can only
/// hold sockets and lock files).
fn fixed(dir: &Path, account: Option<&Account>) -> Result<(), PgError> {
    match check(dir, account) {
        Ok(f) => return finish(dir, &f, account),
        Err(Unusable::Missing) => {}
        Err(Unusable::Bad(why)) => {
            tracing::warn!("{why}: replacing it");
            // Neither removal follows a symlink.
            let removed = match std::fs::symlink_metadata(dir) {
                Ok(m) if m.is_dir() => std::fs::remove_dir_all(dir),
                _ => std::fs::remove_file(dir),
            };
            removed.map_err(|e| PgError::Io(format!("{why}, and it could not be removed: {e}")))?;
        }
    }
    create(dir, account).map_err(|e| PgError::Io(format!("could not create the socket dir {}: {e}", dir.display())))
}

/// A new dir with a random name in the temp dir (mkdtemp-style: `mkdir` fails if the name exists, so nobody can
/// have prepared it).
fn fresh(account: Option<&Account>) -> Result<PathBuf, PgError> {
    let tmp = std::env::temp_dir();
    let base = if fits(&tmp.join(format!("{FALLBACK_PREFIX}{:016x}", 0))) { tmp } else { PathBuf::from("/tmp") };
    let mut last = None;
    for _ in 0..16 {
        let random = uuid::Uuid::new_v4().simple().to_string();
        let dir = base.join(format!("{FALLBACK_PREFIX}{}", &random[..16]));
        match create(&dir, account) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(PgError::Io(format!("could not create the socket dir {}: {e}", dir.display()))),
        }
    }
    Err(PgError::Io(format!("could not make a socket dir in {}: {last:?}", base.display())))
}

/// The fallback a previous start chose, if it is still there and still ours.
fn recorded(root: &Path, account: Option<&Account>) -> Option<PathBuf> {
    let dir = PathBuf::from(std::fs::read_to_string(root.join(RECORD)).ok()?.trim_end_matches('\n'));
    if !fits(&dir) {
        return None;
    }
    match check(&dir, account) {
        Ok(f) => finish(&dir, &f, account).ok().map(|()| dir),
        Err(Unusable::Missing) => None,
        Err(Unusable::Bad(why)) => {
            tracing::warn!("{why}: not using it as the PostgreSQL socket dir; making a new one");
            None
        }
    }
}

/// `/run/user/<uid>/viban-pg-<hash>` for a non-root user with a runtime dir: that dir is the user's alone (0700),
/// so a fixed name in it is safe.
fn in_runtime_dir(root: &Path) -> Option<PathBuf> {
    let base = PathBuf::from(format!("/run/user/{}", Uid::effective().as_raw()));
    let meta = std::fs::symlink_metadata(&base).ok()?;
    let private = meta.is_dir() && meta.uid() == Uid::effective().as_raw() && meta.mode() & 0o077 == 0;
    let dir = base.join(format!("{FALLBACK_PREFIX}{}", short_hash(&root.to_string_lossy())));
    (private && fits(&dir)).then_some(dir)
}

/// Chooses, makes and checks the socket dir for the cluster under `root`.
pub(super) fn choose(root: &Path, account: Option<&Account>) -> Result<PathBuf, PgError> {
    let inside = root.join("run");
    if fits(&inside) {
        fixed(&inside, account)?;
        return Ok(inside);
    }
    // The postgres account could not pass through root's runtime dir: only for viban's own user.
    if account.is_none()
        && let Some(dir) = in_runtime_dir(root)
        && fixed(&dir, None).is_ok()
    {
        return Ok(dir);
    }
    if let Some(dir) = recorded(root, account) {
        return Ok(dir);
    }
    let dir = fresh(account)?;
    let record = root.join(RECORD);
    let tmp = root.join(format!("{RECORD}.tmp"));
    std::fs::write(&tmp, format!("{}\n", dir.display()))
        .and_then(|()| std::fs::rename(&tmp, &record))
        .map_err(|e| PgError::Io(format!("could not write {}: {e}", record.display())))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    type R = Result<(), Box<dyn std::error::Error>>;

    fn mode(p: &Path) -> u32 {
        std::fs::symlink_metadata(p).map(|m| m.mode() & 0o7777).unwrap_or(0)
    }

    /// A cluster root whose `run` path is too long for a socket.
    fn long_root(tmp: &Path) -> PathBuf {
        tmp.join("h".repeat(100)).join("pg")
    }

    #[test]
    fn a_short_root_keeps_its_socket_inside_mode_0700() -> R {
        let tmp = tempfile::tempdir()?;
        let dir = choose(tmp.path(), None)?;
        assert_eq!(dir, tmp.path().join("run"));
        assert_eq!(mode(&dir), 0o700);
        Ok(())
    }

    #[test]
    fn a_writable_or_symlinked_run_dir_is_replaced_not_used() -> R {
        let tmp = tempfile::tempdir()?;
        let run = tmp.path().join("run");
        std::fs::create_dir(&run)?;
        std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o777))?;
        std::fs::write(run.join("planted"), "x")?;
        choose(tmp.path(), None)?;
        assert_eq!(mode(&run), 0o700);
        assert!(!run.join("planted").exists(), "a dir others could write to is not reused");

        let elsewhere = tempfile::tempdir()?;
        std::fs::set_permissions(elsewhere.path(), std::fs::Permissions::from_mode(0o755))?;
        std::fs::remove_dir_all(&run)?;
        std::os::unix::fs::symlink(elsewhere.path(), &run)?;
        choose(tmp.path(), None)?;
        assert!(std::fs::symlink_metadata(&run)?.is_dir(), "the symlink is replaced by a real dir");
        assert_eq!(mode(elsewhere.path()), 0o755, "the symlink's target is untouched");
        Ok(())
    }

    #[test]
    fn a_long_root_gets_a_private_random_dir_that_later_starts_reuse() -> R {
        let tmp = tempfile::tempdir()?;
        let root = long_root(tmp.path());
        std::fs::create_dir_all(&root)?;
        let dir = choose(&root, None)?;
        let _cleanup = Remove(dir.clone());
        assert!(fits(&dir) && !dir.starts_with(&root), "{}", dir.display());
        assert!(!dir.to_string_lossy().contains(&short_hash(&root.to_string_lossy())), "not derived from the root");
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(choose(&root, None)?, dir, "recorded for the next start");
        Ok(())
    }

    #[test]
    fn a_recorded_dir_that_others_can_write_or_own_is_not_used() -> R {
        let tmp = tempfile::tempdir()?;
        let root = long_root(tmp.path());
        std::fs::create_dir_all(&root)?;
        let first = choose(&root, None)?;
        let _first = Remove(first.clone());
        std::fs::set_permissions(&first, std::fs::Permissions::from_mode(0o777))?;
        let second = choose(&root, None)?;
        let _second = Remove(second.clone());
        assert_ne!(second, first, "a 0777 dir is avoided");
        assert_eq!(mode(&first), 0o777, "and left alone");
        if Uid::effective().is_root() {
            nix::unistd::chown(&second, Some(Uid::from_raw(65534)), None)?;
            let third = choose(&root, None)?;
            let _third = Remove(third.clone());
            assert_ne!(third, second, "a dir owned by another user is avoided");
        }
        Ok(())
    }

    struct Remove(PathBuf);
    impl Drop for Remove {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
