//! Starting processes that must outlive their parent: the guard (from a copy of `viban-server` outside the
//! package's files) and, after a rollback, the previous version of the app.

use std::ffi::OsStr;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use viban_core::AppPaths;

use crate::files::create_private_dir;
use crate::install::on_path;
use crate::{Result, UpdateError};

/// The `viban-server` subcommand that runs [`crate::guard`].
pub const GUARD_SUBCOMMAND: &str = "update-guard";
/// Names the `viban-server` binary to copy for the guard (tests, unusual layouts).
pub const SERVER_BIN_ENV: &str = "VIBAN_SERVER_BIN";

/// `$VIBAN_SERVER_BIN`, else `viban-server` beside the running executable, else the first on PATH.
pub fn find_server_binary() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os(SERVER_BIN_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let beside = std::env::current_exe().ok().and_then(|e| e.parent().map(Path::to_path_buf)).unwrap_or_default();
    let candidate = beside.join("viban-server");
    if candidate.is_file() {
        return Ok(candidate);
    }
    on_path("viban-server").ok_or(UpdateError::ServerBinaryNotFound { beside })
}

/// Copies the running `viban-server` to `<cache>/update-guard/viban-server` (a 0700 folder: a package upgrade or
/// rollback never touches it) and starts `<copy> update-guard --pending <pending_path> --log-file <log>` with
/// stdin from /dev/null and its output appended to `<log dir>/update-guard.log`. The guard calls `setsid` first
/// thing, so it survives the app that started it and its session. Returns the guard's pid.
pub fn spawn_guard(paths: &AppPaths, pending_path: &Path) -> Result<u32> {
    spawn_guard_from(&find_server_binary()?, paths, pending_path)
}

/// [`spawn_guard`] with the `viban-server` binary to copy given.
pub fn spawn_guard_from(source: &Path, paths: &AppPaths, pending_path: &Path) -> Result<u32> {
    let dir = paths.cache_dir.join("update-guard");
    create_private_dir(&dir)?;
    let copy = dir.join("viban-server");
    let tmp = dir.join(format!(".viban-server.{}.tmp", std::process::id()));
    let copied = std::fs::copy(source, &tmp)
        .and_then(|_| std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o700)))
        .and_then(|()| std::fs::rename(&tmp, &copy));
    if let Err(e) = copied {
        let _ = std::fs::remove_file(&tmp);
        return Err(UpdateError::write(&copy, e));
    }
    let log = paths.log_dir.join("update-guard.log");
    create_private_dir(&paths.log_dir)?;
    let mut cmd = Command::new(&copy);
    cmd.arg(GUARD_SUBCOMMAND).arg("--pending").arg(pending_path).arg("--log-file").arg(&log);
    // Not in the package's folders: a working directory there would be removed under the guard.
    cmd.current_dir("/");
    let pid = spawn_with_output(cmd, Some(&log), &format!("the update guard ({})", copy.display()))?;
    tracing::info!(pid, exe = %copy.display(), pending = %pending_path.display(), "update guard started");
    Ok(pid)
}

/// Starts `exe args…` in its own process group with the current environment, stdin from /dev/null and
/// stdout/stderr appended to `log` (or discarded), and does not wait for it. Returns its pid.
pub fn spawn_detached(exe: &Path, args: &[impl AsRef<OsStr>], log: Option<&Path>) -> Result<u32> {
    let mut cmd = Command::new(exe);
    cmd.args(args).process_group(0);
    spawn_with_output(cmd, log, &exe.display().to_string())
}

/// Puts this process in a new session (no controlling terminal, not in the starter's process group), so that
/// closing the app or its terminal does not reach it. Called first by `viban-server update-guard`.
pub fn detach_session() {
    if let Err(e) = nix::unistd::setsid() {
        tracing::debug!("setsid: {e} (already a group leader; carrying on)");
    }
}

fn spawn_with_output(mut cmd: Command, log: Option<&Path>, what: &str) -> Result<u32> {
    cmd.stdin(Stdio::null());
    let opened = log.and_then(|path| {
        let file = std::fs::OpenOptions::new().create(true).append(true).mode(0o600).open(path);
        match file.and_then(|f| Ok((f.try_clone()?, f))) {
            Ok(pair) => Some(pair),
            Err(e) => {
                tracing::warn!(log = %path.display(), "could not open the log; output is discarded: {e}");
                None
            }
        }
    });
    match opened {
        Some((out, err)) => cmd.stdout(out).stderr(err),
        None => cmd.stdout(Stdio::null()).stderr(Stdio::null()),
    };
    let child = cmd.spawn().map_err(|source| UpdateError::Spawn { what: what.to_string(), source })?;
    Ok(child.id())
}
