//! The per-install token (tools) and the key that signs browser sessions: made once, kept in 0600 files,
//! replaced together by a rotation.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use viban_api::{Credentials, Secrets, random_secret};
use viban_core::AppPaths;

use crate::{ServerFile, StartError};

pub fn session_key_file(paths: &AppPaths) -> PathBuf {
    paths.data_dir.join("session-key")
}

/// A secret kept in `path`, made on first use.
pub fn read_or_create(path: &Path) -> std::io::Result<String> {
    if let Ok(t) = std::fs::read_to_string(path) {
        let t = t.trim();
        if t.len() >= 32 {
            return Ok(t.to_string());
        }
    }
    let secret = random_secret();
    write_secret(path, &secret)?;
    Ok(secret)
}

/// Atomically (temp file + rename), mode 0600.
pub fn write_secret(path: &Path, secret: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(secret.as_bytes())?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// Writes rotated secrets: the token file (unless the operator fixed the token), the session key, and the
/// token in `server.json` so tools keep finding a working one.
pub fn persist(paths: &AppPaths, secrets: &Secrets, token_fixed: bool) -> std::io::Result<()> {
    if !token_fixed {
        write_secret(&paths.token_file(), &secrets.token)?;
    }
    write_secret(&session_key_file(paths), &secrets.session_key)?;
    if let Ok(mut file) = ServerFile::read(&paths.server_json()) {
        file.token = secrets.token.clone();
        file.write(&paths.server_json())?;
    }
    Ok(())
}

/// The credentials a start serves with: `explicit` (the operator's `--token`/`--token-file`/`VIBAN_TOKEN`) or
/// the install token from the data dir.
pub fn credentials(paths: &AppPaths, explicit: Option<String>) -> Result<Arc<Credentials>, StartError> {
    let write_err = |path: PathBuf| move |source| StartError::Write { path, source };
    let token_fixed = explicit.is_some();
    let token = match explicit {
        Some(t) => t,
        None => read_or_create(&paths.token_file()).map_err(write_err(paths.token_file()))?,
    };
    let session_key = read_or_create(&session_key_file(paths)).map_err(write_err(session_key_file(paths)))?;
    let p = paths.clone();
    let persist: viban_api::PersistSecrets = Box::new(move |s| persist(&p, s, token_fixed));
    Ok(Arc::new(Credentials::new(Secrets { token, session_key }, token_fixed, Some(persist))))
}

/// Rotation for a stopped server: new token (unless `token_fixed`) and session key on disk.
pub fn rotate_offline(paths: &AppPaths) -> std::io::Result<()> {
    let secrets = Secrets { token: random_secret(), session_key: random_secret() };
    persist(paths, &secrets, false)
}
