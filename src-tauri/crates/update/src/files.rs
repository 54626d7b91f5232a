//! The files under `<data>/updates/` (docs/update-contract.md), and `<data>/server.json` as the guard reads it.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use viban_core::AppPaths;

use crate::{Result, UpdateError};

/// Overrides the settings' endpoint (tests, self-hosting).
pub const UPDATE_URL_ENV: &str = "VIBAN_UPDATE_URL";

/// `settings.json` is the API's `UpdateSettings` (`{"channel":"stable"|"beta","endpoint":null|"https://…"}`).
pub use viban_core::{UpdateChannel, UpdateSettings};

/// `VIBAN_UPDATE_URL` when set and not empty, else the configured endpoint (None: the channel's built-in one).
pub fn effective_endpoint(settings: &UpdateSettings) -> Option<String> {
    std::env::var(UPDATE_URL_ENV).ok().filter(|v| !v.trim().is_empty()).or_else(|| settings.endpoint.clone())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageFormat {
    Deb,
    Rpm,
}

impl PackageFormat {
    pub fn extension(self) -> &'static str {
        match self {
            Self::Deb => "deb",
            Self::Rpm => "rpm",
        }
    }
}

fn default_deadline() -> u64 {
    90
}

/// `pending.json`, written before installing `to`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUpdate {
    pub from: String,
    pub to: String,
    /// The package of `from`, kept by [`crate::keep_current`].
    pub kept: PathBuf,
    pub format: PackageFormat,
    #[serde(default = "default_deadline")]
    pub deadline_secs: u64,
    pub started_at: DateTime<Utc>,
    /// What to start again after a rollback (`/usr/bin/viban`); also how the new version's processes are found.
    pub app_exe: PathBuf,
    #[serde(default)]
    pub app_args: Vec<String>,
    /// The process that installs the update; the guard waits for it to exit before judging the new version.
    pub old_pid: u32,
}

/// `skipped.json`: versions that failed their health check, never offered again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Skipped {
    #[serde(default)]
    pub versions: Vec<String>,
}

impl Skipped {
    pub fn contains(&self, version: &str) -> bool {
        let version = bare_version(version);
        self.versions.iter().any(|v| bare_version(v) == version)
    }

    /// Adds `version` once; true when it was new.
    pub fn add(&mut self, version: &str) -> bool {
        if self.contains(version) {
            return false;
        }
        self.versions.push(version.to_string());
        true
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeKind {
    /// The new version reported healthy in time.
    Updated,
    /// It did not: the previous version was reinstalled and started.
    RolledBack,
    /// It did not, and the previous version could not be reinstalled either (the reason says what to run).
    RollbackFailed,
    /// Installing the new version failed (written by the shell); nothing changed.
    InstallFailed,
}

/// `outcome.json`: shown by the next start (banner + notification), cleared by `POST /api/update/dismiss`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub kind: OutcomeKind,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub reason: String,
    pub at: DateTime<Utc>,
}

impl Outcome {
    pub fn new(kind: OutcomeKind, pending: &PendingUpdate, reason: impl Into<String>) -> Self {
        Self { kind, from: pending.from.clone(), to: pending.to.clone(), reason: reason.into(), at: Utc::now() }
    }
}

/// `<data>/server.json` as written by a running viban (`viban_server::ServerFile`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerInfo {
    pub url: String,
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub pid: u32,
    pub version: String,
}

/// `v0.1.1` and `0.1.1` name the same version.
pub(crate) fn bare_version(v: &str) -> &str {
    let v = v.trim();
    v.strip_prefix('v').unwrap_or(v)
}

/// `<data>/updates/`, with typed access to each file. Missing files read as their empty state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateDir {
    pub dir: PathBuf,
}

impl UpdateDir {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }
    pub fn of(paths: &AppPaths) -> Self {
        Self::new(paths.updates_dir())
    }
    pub fn settings_path(&self) -> PathBuf {
        self.dir.join("settings.json")
    }
    pub fn pending_path(&self) -> PathBuf {
        self.dir.join("pending.json")
    }
    pub fn skipped_path(&self) -> PathBuf {
        self.dir.join("skipped.json")
    }
    pub fn outcome_path(&self) -> PathBuf {
        self.dir.join("outcome.json")
    }
    /// Where kept packages live (`keep_current`'s destination).
    pub fn kept_dir(&self) -> PathBuf {
        self.dir.join("kept")
    }

    pub fn load_settings(&self) -> Result<UpdateSettings> {
        Ok(read_json(&self.settings_path(), "update settings file")?.unwrap_or_default())
    }
    pub fn save_settings(&self, settings: &UpdateSettings) -> Result<()> {
        write_json_atomic(&self.settings_path(), settings)
    }
    pub fn load_pending(&self) -> Result<Option<PendingUpdate>> {
        read_json(&self.pending_path(), "pending update record")
    }
    pub fn save_pending(&self, pending: &PendingUpdate) -> Result<()> {
        write_json_atomic(&self.pending_path(), pending)
    }
    pub fn clear_pending(&self) -> Result<()> {
        remove_if_present(&self.pending_path())
    }
    pub fn load_skipped(&self) -> Result<Skipped> {
        Ok(read_json(&self.skipped_path(), "skipped versions file")?.unwrap_or_default())
    }
    /// Records `version` as skipped (once).
    pub fn skip(&self, version: &str) -> Result<()> {
        let mut skipped = self.load_skipped()?;
        if skipped.add(version) {
            write_json_atomic(&self.skipped_path(), &skipped)?;
        }
        Ok(())
    }
    pub fn load_outcome(&self) -> Result<Option<Outcome>> {
        read_json(&self.outcome_path(), "update outcome file")
    }
    pub fn save_outcome(&self, outcome: &Outcome) -> Result<()> {
        write_json_atomic(&self.outcome_path(), outcome)
    }
    pub fn clear_outcome(&self) -> Result<()> {
        remove_if_present(&self.outcome_path())
    }
}

/// Reads and parses `path`; `Ok(None)` when it does not exist. `what` names the file in errors.
pub fn read_json<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<Option<T>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(UpdateError::read(path, e)),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|source| UpdateError::Malformed {
        path: path.to_path_buf(),
        what,
        source,
    })
}

/// Writes `value` as pretty JSON to a private temp file beside `path`, syncs it and renames it over `path`: a
/// reader sees the old file or the new one, never a part. Creates the parent folder (0700) when missing.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut text =
        serde_json::to_string_pretty(value).map_err(|e| UpdateError::write(path, std::io::Error::other(e)))?;
    text.push('\n');
    write_atomic(path, text.as_bytes(), 0o600)
}

pub(crate) fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    create_private_dir(parent)?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    // Unique per write: two threads of one process may write the same file at once.
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = parent.join(format!(".{name}.{}.{n}.tmp", std::process::id()));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(mode).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(UpdateError::write(path, e));
    }
    // The rename is durable once the folder is synced; a failure here only risks the old content after a crash.
    if let Ok(dir) = std::fs::File::open(parent) {
        let _ = dir.sync_all();
    }
    Ok(())
}

pub(crate) fn create_private_dir(dir: &Path) -> Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(|e| UpdateError::write(dir, e))
}

pub(crate) fn remove_if_present(path: &Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(UpdateError::write(path, e)),
    }
}
