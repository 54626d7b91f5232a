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
    #[error(
        "{path} is not writable by this user (the folder belongs to uid {owner}, mode {mode:o}). Give this user write \
         access (for a container volume: owned by the container's user), or set {HOME_ENV} elsewhere"
    )]
    NotWritable { path: PathBuf, owner: u32, mode: u32 },
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

    /// Creates every directory, private (0700): config may hold API keys, logs hold task titles and screens.
    pub fn create_all(&self) -> Result<(), PathsError> {
        for dir in [&self.data_dir, &self.config_dir, &self.log_dir, &self.cache_dir] {
            create_private_dir(dir)
                .map_err(|source| not_writable(dir).unwrap_or(PathsError::Create { path: dir.clone(), source }))?;
        }
        Ok(())
    }

    /// Corrects modes an older version or a loose umask left: viban's folders 0700, the files it writes in them
    /// (secrets, server.json, config, logs) 0600. Executables in the cache and PostgreSQL's own cluster (which it
    /// keeps private itself) are left alone. Returns one warning per path that could not be fixed (a filesystem
    /// without Unix modes, a file of another owner): viban still runs.
    pub fn tighten_modes(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        let mut fix = |path: &Path, mode: u32| {
            if let Err(e) = restrict(path, mode) {
                warnings.push(format!("could not make {} private (mode {mode:o}): {e}", path.display()));
            }
        };
        for dir in [&self.data_dir, &self.config_dir, &self.log_dir, &self.cache_dir] {
            fix(dir, 0o700);
        }
        let worktrees = self.data_dir.join("worktrees");
        if worktrees.is_dir() {
            fix(&worktrees, 0o700);
        }
        for dir in [&self.data_dir, &self.log_dir] {
            for file in files_in(dir, false) {
                fix(&file, 0o600);
            }
        }
        for file in files_in(&self.config_dir, true) {
            fix(&file, 0o600);
        }
        warnings
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
    /// Update state shared by the shell, the API and the update guard (see docs/update-contract.md).
    pub fn updates_dir(&self) -> PathBuf {
        self.data_dir.join("updates")
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
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    match restrict(dir, 0o700) {
        // Another owner's folder we may write in (e.g. a container volume made for any uid): usable, and
        // `tighten_modes` warns that it could not be made private.
        Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && writable(dir) => Ok(()),
        other => other,
    }
}

#[cfg(unix)]
fn writable(dir: &Path) -> bool {
    let probe = dir.join(format!(".viban-write-check-{}", std::process::id()));
    let ok = std::fs::OpenOptions::new().write(true).create_new(true).open(&probe).is_ok();
    let _ = std::fs::remove_file(&probe);
    ok
}

/// The clearer error for a folder that exists but that we cannot write in.
#[cfg(unix)]
fn not_writable(dir: &Path) -> Option<PathsError> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(dir).ok().filter(|m| m.is_dir())?;
    (!writable(dir)).then(|| PathsError::NotWritable {
        path: dir.to_path_buf(),
        owner: meta.uid(),
        mode: meta.mode() & 0o7777,
    })
}
#[cfg(not(unix))]
fn not_writable(_dir: &Path) -> Option<PathsError> {
    None
}
#[cfg(not(unix))]
fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)
}

/// Regular files (never through symlinks) directly in `dir`, or below it with `recursive`.
fn files_in(dir: &Path, recursive: bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries.flatten() {
        let Ok(kind) = entry.file_type() else { continue };
        if kind.is_file() {
            out.push(entry.path());
        } else if kind.is_dir() && recursive {
            out.extend(files_in(&entry.path(), true));
        }
    }
    out
}

/// Sets `mode` when the current one grants more (never follows a symlink; never loosens).
#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() || meta.permissions().mode() & 0o777 & !mode == 0 {
        return Ok(());
    }
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(meta.permissions().mode() & mode))
}
#[cfg(not(unix))]
fn restrict(_path: &Path, _mode: u32) -> std::io::Result<()> {
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

    #[cfg(unix)]
    #[test]
    fn modes_are_tightened_and_never_loosened() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
        let home = std::env::temp_dir().join(format!("viban-modes-{}", std::process::id()));
        let p = AppPaths::under(&home);
        p.create_all().unwrap_or_else(|e| panic!("{e}"));
        let set = |path: &Path, m: u32| std::fs::set_permissions(path, std::fs::Permissions::from_mode(m));
        for (f, m) in
            [(p.token_file(), 0o644), (p.config_dir.join("agents.toml"), 0o666), (p.log_dir.join("a.log"), 0o640)]
        {
            std::fs::write(&f, "x").unwrap_or_else(|e| panic!("{e}"));
            set(&f, m).unwrap_or_else(|e| panic!("{e}"));
        }
        let exe = p.cache_dir.join("postgres");
        std::fs::write(&exe, "x").unwrap_or_else(|e| panic!("{e}"));
        set(&exe, 0o755).unwrap_or_else(|e| panic!("{e}"));
        set(&p.config_dir, 0o755).unwrap_or_else(|e| panic!("{e}"));
        let warnings = p.tighten_modes();
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(mode(&p.config_dir), 0o700);
        assert_eq!(mode(&p.token_file()), 0o600);
        assert_eq!(mode(&p.config_dir.join("agents.toml")), 0o600);
        assert_eq!(mode(&p.log_dir.join("a.log")), 0o600);
        assert_eq!(mode(&exe), 0o755, "executables in the cache keep their mode");
        let _ = std::fs::remove_dir_all(&home);
    }

    #[test]
    fn explicit_home_wins_and_is_made_absolute() {
        let p = AppPaths::resolve(Some(Path::new("rel/home"))).unwrap_or_else(|e| panic!("{e}"));
        assert!(p.data_dir.is_absolute());
        assert!(p.data_dir.ends_with("rel/home"));
    }
}
