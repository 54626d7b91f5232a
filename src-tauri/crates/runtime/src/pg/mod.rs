//! The embedded PostgreSQL: binaries we resolve ourselves, a persistent cluster under the data dir, a persisted
//! port and password, loopback plus our own unix socket only. We start `postgres` as our child (own process
//! group) so the Supervisor learns of its death at once from `wait()`, instead of polling a detached postmaster.

mod account;
pub mod binaries;
mod cluster;
pub mod outside;
mod process;
mod socket_dir;

use std::path::PathBuf;

pub use account::{ACCOUNT_NAME_ENV, Account, running_as_root};
pub use binaries::{BinSource, PgBinaries};
pub use cluster::sync_cluster;
pub use process::PgProcess;

#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("{0}")]
    Binaries(String),
    #[error("{0}")]
    Account(String),
    #[error("{0}")]
    Io(String),
    #[error("initdb failed: {0}")]
    Init(String),
    #[error("{0}")]
    VersionMismatch(String),
    #[error("PostgreSQL did not start: {0}")]
    Start(String),
    #[error("PostgreSQL could not listen on port {0}: it is in use")]
    PortInUse(u16),
}

/// What a client needs to connect.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub password: String,
    pub database: String,
}

/// The cluster and how to run it. `start()` gives a `PgProcess` that owns the running server.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    pub bins: PgBinaries,
    account: Option<Account>,
    /// Everything PostgreSQL owns: `data/`, `run/`, `port`, `password` (and `home` when kept outside the home).
    pub root: PathBuf,
    pub data_dir: PathBuf,
    pub socket_dir: PathBuf,
    pub log_file: PathBuf,
    /// Listen on 127.0.0.1 as well as the unix socket (the default). Off: the socket only, no TCP port at all.
    pub listen_tcp: bool,
    port: u16,
    password: String,
}

/// FNV-1a: stable across runs and versions, enough to keep two homes apart in a file name.
pub(crate) fn short_hash(s: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

pub const DB_USER: &str = "viban";
const DB_NAME: &str = "postgres";

impl EmbeddedPostgres {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Where clients reach it, as the status line shows it.
    pub fn address(&self) -> String {
        if self.listen_tcp {
            format!("127.0.0.1:{}", self.port)
        } else {
            format!("{}/.s.PGSQL.{}", self.socket_dir.display(), self.port)
        }
    }

    pub fn account(&self) -> Option<&Account> {
        self.account.as_ref()
    }

    pub fn connection(&self) -> ConnectionInfo {
        ConnectionInfo {
            host: "127.0.0.1".into(),
            port: self.port,
            user: DB_USER.into(),
            password: self.password.clone(),
            database: DB_NAME.into(),
        }
    }
}
