//! PostgreSQL refuses to run as root. When viban runs as root (CI, containers), the postgres processes run as an
//! unprivileged system account that owns the cluster; everything else stays as it is.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use nix::unistd::{Gid, Group, Uid, User};

use super::PgError;

pub const USER_ENV: &str = "VIBAN_PG_USER";
/// The name of the account viban creates when it is missing (default `viban-pg`). Meant for tests, which need a
/// fresh account to exercise a first start; unlike `VIBAN_PG_USER`, the account need not exist.
pub const ACCOUNT_NAME_ENV: &str = "VIBAN_PG_ACCOUNT_NAME";
const OWN_ACCOUNT: &str = "viban-pg";
/// Serialises account creation across processes (see `create`). /var/lib/viban is where root keeps viban's
/// machine-wide state anyway, and root can always create it.
const ACCOUNT_LOCK: &str = "/var/lib/viban/.account.lock";
/// How long a new account may take to show through nss (nscd, sssd caches) after useradd.
const VISIBLE_DEADLINE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

fn lookup(name: &str) -> Option<Account> {
    let u = User::from_name(name).ok().flatten()?;
    Some(Account { name: u.name, uid: u.uid.as_raw(), gid: u.gid.as_raw() })
}

pub fn running_as_root() -> bool {
    Uid::effective().is_root()
}

/// The account postgres runs as: `None` when viban is not root (postgres then runs as viban's own user).
pub fn for_postgres() -> Result<Option<Account>, PgError> {
    if !running_as_root() {
        return Ok(None);
    }
    if let Ok(name) = std::env::var(USER_ENV) {
        return lookup(&name)
            .map(Some)
            .ok_or_else(|| PgError::Account(format!("{USER_ENV}={name} names no account on this system")));
    }
    let name = own_account_name()?;
    if let Some(a) = lookup(&name) {
        return Ok(Some(a));
    }
    let created = create(&name)?;
    created.or_else(|| lookup("postgres")).map(Some).ok_or_else(|| {
        PgError::Account(format!(
            "viban runs as root and PostgreSQL refuses root; creating the system account {name} failed. \
             Create one (`useradd --system {name}`) or set {USER_ENV} to an unprivileged account"
        ))
    })
}

fn own_account_name() -> Result<String, PgError> {
    let Ok(name) = std::env::var(ACCOUNT_NAME_ENV) else { return Ok(OWN_ACCOUNT.to_string()) };
    if valid_name(&name) {
        Ok(name)
    } else {
        Err(PgError::Account(format!("{ACCOUNT_NAME_ENV}={name} is not a valid user name")))
    }
}

/// It becomes an argument of useradd: a plain system user name, never an option.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 32
        && name.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-')
}

/// Creates the account under an exclusive lock shared by every viban process. Without it, concurrent first starts
/// each run useradd: every one succeeds and each *replaces* the entry with a fresh uid, so a process that already
/// looked up uid 999 runs initdb as a uid that no longer exists ("could not look up effective user ID 999").
fn create(name: &str) -> Result<Option<Account>, PgError> {
    let _lock = take_lock(Path::new(ACCOUNT_LOCK))?;
    // Another process may have made it while we waited for the lock.
    if let Some(a) = lookup(name) {
        return Ok(Some(a));
    }
    // nss may still hide an entry that is already in /etc/passwd (nscd's negative cache): never add it twice.
    if !in_passwd_file(name) {
        useradd(name);
    }
    Ok(wait_visible(name, VISIBLE_DEADLINE))
}

fn take_lock(path: &Path) -> Result<File, PgError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| PgError::Io(format!("could not create {}: {e}", dir.display())))?;
    }
    super::outside::lock_file(path, true)
}

fn useradd(name: &str) {
    let mut cmd = Command::new("useradd");
    cmd.args(["--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin"]);
    // A group left behind by an earlier `userdel` would make --user-group fail: join it instead.
    match Group::from_name(name) {
        Ok(Some(_)) => cmd.args(["--gid", name]),
        _ => cmd.arg("--user-group"),
    };
    match cmd.arg(name).output() {
        Ok(o) if o.status.success() => tracing::info!("created system account {name} for PostgreSQL"),
        Ok(o) => tracing::warn!(stderr = %String::from_utf8_lossy(&o.stderr), "useradd {name} failed"),
        Err(e) => tracing::warn!(error = %e, "useradd is not available"),
    }
}

fn in_passwd_file(name: &str) -> bool {
    let prefix = format!("{name}:");
    std::fs::read_to_string("/etc/passwd").is_ok_and(|t| t.lines().any(|l| l.starts_with(&prefix)))
}

/// The account once nss shows it (None if it never does within `deadline`).
fn wait_visible(name: &str, deadline: Duration) -> Option<Account> {
    let until = Instant::now() + deadline;
    loop {
        if let Some(a) = lookup(name) {
            return Some(a);
        }
        if Instant::now() > until {
            tracing::warn!("account {name} is not visible through nss after {deadline:?}");
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether `account` can reach `path`: search permission on every ancestor directory.
pub fn can_traverse(account: &Account, path: &Path) -> bool {
    path.ancestors().skip(1).all(|dir| match std::fs::metadata(dir) {
        Ok(m) => {
            let mode = m.mode();
            if m.uid() == account.uid {
                mode & 0o100 != 0
            } else if m.gid() == account.gid {
                mode & 0o010 != 0
            } else {
                mode & 0o001 != 0
            }
        }
        // Not there yet: it will be created by us, as root, with default (0755-ish) permissions.
        Err(_) => true,
    })
}

/// Hands `path` (not recursively) to the account.
pub fn give(account: &Account, path: &Path) -> Result<(), PgError> {
    nix::unistd::chown(path, Some(Uid::from_raw(account.uid)), Some(Gid::from_raw(account.gid)))
        .map_err(|e| PgError::Io(format!("could not hand {} to {}: {e}", path.display(), account.name)))
}

/// Hands a whole tree to the account (a cluster copied or left by an earlier non-root run).
pub fn give_tree(account: &Account, path: &Path) -> Result<(), PgError> {
    let out = Command::new("chown")
        .arg("-R")
        .arg(format!("{}:{}", account.uid, account.gid))
        .arg(path)
        .output()
        .map_err(|e| PgError::Io(format!("chown -R {}: {e}", path.display())))?;
    if !out.status.success() {
        return Err(PgError::Io(format!(
            "chown -R {} failed: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_user_names_reach_useradd() {
        for good in ["viban-pg", "viban-pg-t1a2b3c4", "_pg"] {
            assert!(valid_name(good), "{good}");
        }
        for bad in ["", "-r", "--help", "Root", "a b", "a/b", "x".repeat(33).as_str()] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn the_account_lock_is_exclusive_across_handles() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("sub/.account.lock");
        let held = take_lock(&path)?;
        let other = std::fs::OpenOptions::new().read(true).write(true).open(&path)?;
        assert!(other.try_lock().is_err(), "a second holder must wait");
        drop(held);
        other.try_lock()?;
        Ok(())
    }

    #[test]
    fn the_passwd_file_is_read_by_exact_name() {
        assert!(in_passwd_file("root"));
        assert!(!in_passwd_file("roo"));
    }
}
