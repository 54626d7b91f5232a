//! The agent catalog: the user's `agents.toml` (re-read when it changes on disk), the login-shell PATH, and what
//! detection found, cached until the user asks to re-detect.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use viban_core::AgentInfo;

use crate::detect::{self, Detected};
use crate::profile::{Profile, ProfileError, Profiles, TEMPLATE};

/// Largest profile file accepted.
pub const MAX_CONFIG_BYTES: usize = 256 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{0}")]
    Invalid(#[from] ProfileError),
    #[error("{0}")]
    Io(String),
}

#[derive(Debug, Default)]
struct State {
    loaded: Option<(Option<SystemTime>, Profiles)>,
    path_var: Option<String>,
    detected: Option<Vec<(String, Detected)>>,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    file: PathBuf,
    state: Arc<Mutex<State>>,
}

impl Catalog {
    pub fn new(config_dir: &Path) -> Self {
        Self { file: config_dir.join("agents.toml"), state: Default::default() }
    }

    pub fn file(&self) -> &Path {
        &self.file
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The user's file, or the commented template when there is none yet.
    pub fn text(&self) -> Result<String, CatalogError> {
        match std::fs::read_to_string(&self.file) {
            Ok(t) => Ok(t),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(TEMPLATE.to_string()),
            Err(e) => Err(CatalogError::Io(format!("reading {}: {e}", self.file.display()))),
        }
    }

    /// Current profiles; the file is re-read when its modification time changed. A file that no longer parses
    /// is an error (the built-ins alone would silently run something other than what the user configured).
    pub fn profiles(&self) -> Result<Profiles, CatalogError> {
        let mtime = std::fs::metadata(&self.file).and_then(|m| m.modified()).ok();
        if let Some((seen, p)) = &self.lock().loaded
            && *seen == mtime
        {
            return Ok(p.clone());
        }
        let profiles = Profiles::load(&self.text()?).map_err(|e| match e {
            ProfileError::Parse(m) => ProfileError::Parse(format!("{}: {m}", self.file.display())),
            other => other,
        })?;
        let mut st = self.lock();
        st.loaded = Some((mtime, profiles.clone()));
        st.detected = None;
        Ok(profiles)
    }

    /// Validates and writes the file atomically; nothing is written when it does not parse.
    pub fn save(&self, text: &str) -> Result<(), CatalogError> {
        if text.len() > MAX_CONFIG_BYTES {
            return Err(ProfileError::Parse(format!("the file may be at most {MAX_CONFIG_BYTES} bytes")).into());
        }
        Profiles::load(text)?;
        if let Some(dir) = self.file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| CatalogError::Io(format!("creating {}: {e}", dir.display())))?;
        }
        let tmp = self.file.with_extension("toml.tmp");
        std::fs::write(&tmp, text)
            .and_then(|()| std::fs::rename(&tmp, &self.file))
            .map_err(|e| CatalogError::Io(format!("writing {}: {e}", self.file.display())))?;
        let mut st = self.lock();
        st.loaded = None;
        st.detected = None;
        Ok(())
    }

    /// The login shell's PATH (asked once; `refresh` asks again). Blocking.
    pub fn path_var(&self, refresh: bool) -> String {
        if !refresh && let Some(p) = self.lock().path_var.clone() {
            return p;
        }
        let p = detect::login_shell_path();
        self.lock().path_var = Some(p.clone());
        p
    }

    /// Every profile with what detection found. Blocking (runs `--version`s) unless cached.
    pub fn list(&self, refresh: bool) -> Result<Vec<AgentInfo>, CatalogError> {
        let profiles = self.profiles()?;
        let cached = if refresh { None } else { self.lock().detected.clone() };
        let detected = match cached {
            Some(d) => d,
            None => {
                let path = self.path_var(refresh);
                let found = detect::detect_all(&profiles.list, &path);
                let d: Vec<(String, Detected)> = profiles.list.iter().map(|p| p.id.clone()).zip(found).collect();
                self.lock().detected = Some(d.clone());
                d
            }
        };
        Ok(profiles
            .list
            .iter()
            .map(|p| {
                let d = detected.iter().find(|(id, _)| *id == p.id).map(|(_, d)| d.clone()).unwrap_or_default();
                info(p, d)
            })
            .collect())
    }
}

fn info(p: &Profile, d: Detected) -> AgentInfo {
    AgentInfo {
        id: p.id.clone(),
        name: p.name.clone(),
        builtin: p.builtin,
        command_line: p.display(),
        installed: d.path.is_some(),
        path: d.path.map(|p| p.display().to_string()),
        version: d.version,
        install_hint: p.install_hint.clone(),
        problem: d.problem,
        runtime: p.runtime,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_only_valid_files_and_rereads_edits() -> anyhow::Result<()> {
        let dir = std::env::temp_dir().join(format!("viban-catalog-{}", std::process::id()));
        let c = Catalog::new(&dir);
        assert_eq!(c.text()?, TEMPLATE);
        assert!(c.save("[agents.x]\ncommand = [").is_err());
        assert!(!c.file().exists());
        c.save("[agents.sh]\ncommand = \"sh\"\n")?;
        let list = c.list(false)?;
        let sh = list.iter().find(|a| a.id == "sh").ok_or_else(|| anyhow::anyhow!("sh missing"))?;
        assert!(sh.installed && !sh.builtin);
        let missing = list.iter().find(|a| a.id == "custom").ok_or_else(|| anyhow::anyhow!("custom"))?;
        assert!(!missing.installed && missing.problem.is_some());
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
