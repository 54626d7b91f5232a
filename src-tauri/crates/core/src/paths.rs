//! Where viban keeps its files. `VIBAN_HOME` (or `--home`) redirects every directory at once, so tests and
//! portable installs never touch the user's real data.

use std::path::{Path, PathBuf};

/// The environment variable that redirects every app directory.
pub const HOME_ENV: &str = "VIBAN_HOME";

#[derive(Debug, thiserror::Error)]
pub enum PathsError {
    #[error("could not determine a home directory for viban; set {HOME_ENV} to a writable folder")]
    NoHome,
    #[error("could not create {path}: {source}. Check permissions and free space, or set {HOME_ENV} elsewhere")]
    Create { path: PathBuf, source: std::io::Error },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppPaths {
    /// Database cluster, server.json, lock file, token.
    pub data_dir: PathBuf,
    /// User-editable configuration (agent profiles later).
    pub config_dir: PathBuf,
    /// Rolling logs, PostgreSQL's own log beside them.
    pub log_dir: PathBuf,
    /// Re-creatable files (downloaded or copied binaries).
    pub cache_dir: PathBuf,
}

impl AppPaths {
    /// All directories under one root: what `VIBAN_HOME` / `--home` select.
    pub fn under(home: impl AsRef<Path>) -> Self {
        let home = home.as_ref();
        Self {
            data_dir: home.to_path_buf(),
            config_dir: home.join("config"),
            log_dir: home.join("logs"),
            cache_dir: home.join("cache"),
        }
    }

    /// Explicit home first, then `VIBAN_HOME`, then the platform directories.
    pub fn resolve(explicit_home: Option<&Path>) -> Result<Self, PathsError> {
        if let Some(home) = explicit_home {
            return Ok(Self::under(absolute(home)));
        }
        if let Some(home) = std::env::var_os(HOME_ENV).filter(|v| !v.is_empty()) {
            return Ok(Self::under(absolute(Path::new(&home))));
        }
        let dirs = directories::ProjectDirs::from("dev", "viban", "viban").ok_or(PathsError::NoHome)?;
        let log_dir = dirs.state_dir().map(|d| d.join("logs")).unwrap_or_else(|| dirs.data_local_dir().join("logs"));
        Ok(Self {
            data_dir: dirs.data_local_dir().to_path_buf(),
            config_dir: dirs.config_dir().to_path_buf(),
            log_dir,
            cache_dir: dirs.cache_dir().to_path_buf(),
        })
    }

    /// Creates every directory (mode 0700 for data, where secrets live).
    pub fn create_all(&self) -> Result<(), PathsError> {
        for dir in [&self.data_dir, &self.config_dir, &self.log_dir, &self.cache_dir] {
            std::fs::create_dir_all(dir).map_err(|source| PathsError::Create { path: dir.clone(), source })?;
        }
        set_private(&self.data_dir).map_err(|source| PathsError::Create { path: self.data_dir.clone(), source })
    }

    pub fn server_json(&self) -> PathBuf {
        self.data_dir.join("server.json")
    }
    pub fn token_file(&self) -> PathBuf {
        self.data_dir.join("token")
    }
    pub fn lock_file(&self) -> PathBuf {
        self.data_dir.join("viban.lock")
    }
    /// Root of everything PostgreSQL owns: cluster, socket, port and password files.
    pub fn pg_root(&self) -> PathBuf {
        self.data_dir.join("pg")
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(unix)]
fn set_private(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
}
#[cfg(not(unix))]
fn set_private(_dir: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_redirects_every_directory() {
        let p = AppPaths::under("/x/home");
        for d in [&p.data_dir, &p.config_dir, &p.log_dir, &p.cache_dir] {
            assert!(d.starts_with("/x/home"), "{d:?} escapes the home");
        }
        assert_eq!(p.server_json(), Path::new("/x/home/server.json"));
    }

    #[test]
    fn explicit_home_wins_and_is_made_absolute() {
        let p = AppPaths::resolve(Some(Path::new("rel/home"))).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.data_dir.is_absolute());
        assert!(p.data_dir.ends_with("rel/home"));
    }
}
