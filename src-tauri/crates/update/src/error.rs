use std::path::PathBuf;

/// Everything that can go wrong while keeping a package, reading the update files or guarding an update. Each
/// message says what happened and, where there is one, what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("could not read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("could not write {path}: {source}. Check free space and permissions")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a valid {what}: {source}")]
    Malformed { path: PathBuf, what: &'static str, source: serde_json::Error },
    #[error("there is no pending update at {0}")]
    NoPending(PathBuf),
    #[error(
        "the pending update was withdrawn ({0} was removed while waiting): the update was cancelled or failed to \
         install, so there is nothing to check"
    )]
    Cancelled(PathBuf),
    #[error("the previous viban (pid {pid}) was still running {secs} s after the update; nothing was changed")]
    OldStillRunning { pid: u32, secs: u64 },
    #[error("rollback is unavailable for this install: {0}")]
    KeepUnsupported(String),
    #[error("could not keep the installed package: {0}")]
    Keep(String),
    #[error("could not run {command}: {detail}")]
    Command { command: String, detail: String },
    #[error("could not reinstall the previous version: {detail}. To put it back, run: {command}")]
    Reinstall { command: String, detail: String },
    #[error("could not start {what}: {source}")]
    Spawn { what: String, source: std::io::Error },
    #[error(
        "could not find the viban-server binary (looked at $VIBAN_SERVER_BIN, beside {beside}, and on PATH); \
         set VIBAN_SERVER_BIN to its path"
    )]
    ServerBinaryNotFound { beside: PathBuf },
}

impl UpdateError {
    pub(crate) fn read(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Read { path: path.into(), source }
    }
    pub(crate) fn write(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Write { path: path.into(), source }
    }
}
