//! Finding PostgreSQL's binaries, in order: `VIBAN_PG_BIN`, binaries packed into the running executable (the
//! self-contained `viban-server`), binaries shipped beside the app, a cached copy in the cache dir, the system's
//! PostgreSQL. Nothing is ever downloaded at run time.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::PgError;

pub const BIN_ENV: &str = "VIBAN_PG_BIN";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinSource {
    Env,
    Embedded,
    Bundled,
    Cached,
    System,
}

impl std::fmt::Display for BinSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Env => "VIBAN_PG_BIN",
            Self::Embedded => "packed into viban-server",
            Self::Bundled => "shipped with viban",
            Self::Cached => "cached copy",
            Self::System => "system PostgreSQL",
        })
    }
}

#[derive(Debug, Clone)]
pub struct PgBinaries {
    pub bin_dir: PathBuf,
    /// As `postgres --version` prints it, e.g. `17.6`.
    pub version: String,
    pub major: u32,
    pub source: BinSource,
}

impl PgBinaries {
    pub fn tool(&self, name: &str) -> PathBuf {
        self.bin_dir.join(name)
    }
}

static EMBEDDED: OnceLock<PathBuf> = OnceLock::new();

/// The bin dir of the PostgreSQL this executable carries (unpacked at start): a fact about the process, set once.
pub fn use_embedded(bin_dir: PathBuf) {
    let _ = EMBEDDED.set(bin_dir);
}

/// Where a bundle or package puts PostgreSQL relative to the viban executable.
fn bundled_candidates() -> Vec<PathBuf> {
    let Some(exe_dir) = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)) else {
        return Vec::new();
    };
    vec![
        exe_dir.join("postgresql/bin"),
        exe_dir.join("resources/postgresql/bin"),
        exe_dir.join("../lib/viban/postgresql/bin"),
        exe_dir.join("../share/viban/postgresql/bin"),
    ]
}

fn system_candidates() -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(o) = Command::new("pg_config").arg("--bindir").output()
        && o.status.success()
    {
        out.push(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    }
    // Debian/Ubuntu keep one dir per major version; prefer the newest.
    if let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") {
        let mut versions: Vec<(u32, PathBuf)> = entries
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok().map(|v| (v, e.path().join("bin"))))
            .collect();
        versions.sort_by_key(|v| std::cmp::Reverse(v.0));
        out.extend(versions.into_iter().map(|(_, p)| p));
    }
    for n in (13..=19).rev() {
        out.push(PathBuf::from(format!("/usr/pgsql-{n}/bin")));
    }
    out.push(PathBuf::from("/usr/local/pgsql/bin"));
    if let Some(path) = std::env::var_os("PATH") {
        out.extend(std::env::split_paths(&path));
    }
    out
}

fn has_tools(dir: &Path) -> bool {
    ["initdb", "postgres"].iter().all(|t| dir.join(t).is_file())
}

fn probe(dir: &Path, source: BinSource) -> Result<PgBinaries, PgError> {
    let out = Command::new(dir.join("postgres"))
        .arg("--version")
        .output()
        .map_err(|e| PgError::Binaries(format!("{} could not run: {e}", dir.join("postgres").display())))?;
    let text = String::from_utf8_lossy(&out.stdout);
    // "postgres (PostgreSQL) 17.6" or "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
    let version = text
        .split_whitespace()
        .nth(2)
        .filter(|_| out.status.success())
        .ok_or_else(|| {
            PgError::Binaries(format!("unexpected `postgres --version` output from {}: {text}", dir.display()))
        })?
        .to_string();
    let major = version.split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < 13 {
        return Err(PgError::Binaries(format!(
            "PostgreSQL {version} in {} is too old; viban needs 13 or newer",
            dir.display()
        )));
    }
    Ok(PgBinaries { bin_dir: dir.to_path_buf(), version, major, source })
}

/// Resolves the binaries or says exactly how to get some.
pub fn resolve(cache_dir: &Path) -> Result<PgBinaries, PgError> {
    if let Some(dir) = std::env::var_os(BIN_ENV).filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        if !has_tools(&dir) {
            return Err(PgError::Binaries(format!(
                "{BIN_ENV}={} has no initdb and postgres; point it at a PostgreSQL bin directory",
                dir.display()
            )));
        }
        return probe(&dir, BinSource::Env);
    }
    let ordered = EMBEDDED
        .get()
        .map(|d| (d.clone(), BinSource::Embedded))
        .into_iter()
        .chain(bundled_candidates().into_iter().map(|d| (d, BinSource::Bundled)))
        .chain(std::iter::once((cache_dir.join("postgresql/bin"), BinSource::Cached)))
        .chain(system_candidates().into_iter().map(|d| (d, BinSource::System)));
    let mut last_err = None;
    for (dir, source) in ordered {
        if has_tools(&dir) {
            match probe(&dir, source) {
                Ok(b) => return Ok(b),
                Err(e) => last_err = Some(e),
            }
        }
    }
    Err(last_err.unwrap_or_else(|| {
        PgError::Binaries(format!(
            "no PostgreSQL binaries found. Fix one of: run `cargo xtask setup` (installs portable binaries), \
             install your distribution's server package (e.g. `apt-get install postgresql`), set {BIN_ENV} to a \
             directory with initdb and postgres, or pass --database-url to use an existing server"
        ))
    }))
}
