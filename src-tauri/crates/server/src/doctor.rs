//! `viban-server doctor`: what viban finds on this machine, and the fix for what is missing.

use std::fmt::Write;
use std::path::Path;

use viban_core::AppPaths;
use viban_runtime::pg::{binaries, running_as_root};

/// One line per check; returns the report and whether everything needed is there.
pub fn report(paths: &AppPaths) -> (String, bool) {
    let mut out = String::new();
    let mut ok = true;
    let mut line = |good: bool, what: &str, detail: String| {
        let _ = writeln!(out, "{} {what:<12} {detail}", if good { "ok     " } else { "MISSING" });
        good
    };
    ok &= match binaries::resolve(&paths.cache_dir) {
        Ok(b) => line(true, "postgresql", format!("{} in {} ({})", b.version, b.bin_dir.display(), b.source)),
        Err(e) => line(false, "postgresql", e.to_string()),
    };
    ok &= match std::process::Command::new("git").arg("--version").output() {
        Ok(o) if o.status.success() => line(true, "git", String::from_utf8_lossy(&o.stdout).trim().to_string()),
        _ => line(false, "git", "git is not on PATH; install it (e.g. `apt-get install git`)".into()),
    };
    ok &= writable(&paths.data_dir, &mut line);
    let _ = line(true, "config", paths.config_dir.display().to_string());
    let _ = line(true, "logs", paths.log_dir.display().to_string());
    ok &= match free_bytes(&paths.data_dir) {
        Some(free) if free < 512 * 1024 * 1024 => line(
            false,
            "disk",
            format!("only {} MiB free at {}; free some space", free >> 20, paths.data_dir.display()),
        ),
        Some(free) => line(true, "disk", format!("{} MiB free", free >> 20)),
        None => line(false, "disk", "could not read free space".into()),
    };
    if running_as_root() {
        let _ = line(true, "root", "running as root: PostgreSQL will run as the unprivileged account viban-pg".into());
    }
    (out, ok)
}

fn writable(dir: &Path, line: &mut impl FnMut(bool, &str, String) -> bool) -> bool {
    let probe = dir.join(".doctor-probe");
    let res = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&probe, b"ok"));
    let _ = std::fs::remove_file(&probe);
    match res {
        Ok(()) => line(true, "data dir", format!("{} (writable)", dir.display())),
        Err(e) => line(
            false,
            "data dir",
            format!("{} is not writable: {e}; fix its permissions or use --home", dir.display()),
        ),
    }
}

fn free_bytes(dir: &Path) -> Option<u64> {
    let existing = dir.ancestors().find(|d| d.exists())?;
    let st = nix::sys::statvfs::statvfs(existing).ok()?;
    Some(st.blocks_available() * st.fragment_size())
}
