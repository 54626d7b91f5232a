//! PostgreSQL refuses to run as root. When viban runs as root (CI, containers), the postgres processes run as an
//! unprivileged system account that owns the cluster; everything else stays as it is.

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::Command;

use nix::unistd::{Gid, Uid, User};

use super::PgError;

pub const USER_ENV: &str = "VIBAN_PG_USER";
const OWN_ACCOUNT: &str = "viban-pg";

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
    if let Some(a) = lookup(OWN_ACCOUNT) {
        return Ok(Some(a));
    }
    let created = Command::new("useradd")
        .args(["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent"])
        .args(["--shell", "/usr/sbin/nologin", OWN_ACCOUNT])
        .output();
    match created {
        Ok(o) if o.status.success() => {
            tracing::info!("created system account {OWN_ACCOUNT} for PostgreSQL")
        }
        Ok(o) => {
            tracing::warn!(stderr = %String::from_utf8_lossy(&o.stderr), "useradd {OWN_ACCOUNT} failed")
        }
        Err(e) => tracing::warn!(error = %e, "useradd is not available"),
    }
    lookup(OWN_ACCOUNT).or_else(|| lookup("postgres")).map(Some).ok_or_else(|| {
        PgError::Account(format!(
            "viban runs as root and PostgreSQL refuses root; creating the system account {OWN_ACCOUNT} failed. \
             Create one (`useradd --system {OWN_ACCOUNT}`) or set {USER_ENV} to an unprivileged account"
        ))
    })
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
