//! `viban-server doctor`: what viban finds on this machine, and the fix for what is missing.

use std::fmt::Write;
use std::path::Path;

use viban_core::AppPaths;
use viban_runtime::pg::outside::{self, OnRunning, OutsideCluster, State};
use viban_runtime::pg::{binaries, running_as_root};

/// Whether a container engine can run agents. Required only when a profile runs in a container.
fn container_line(paths: &AppPaths, line: &mut impl FnMut(bool, &str, String) -> bool) -> bool {
    use viban_agents::container::Engine;
    let text = std::fs::read_to_string(paths.config_dir.join("agents.toml")).unwrap_or_default();
    let Ok(profiles) = viban_agents::profile::Profiles::load(&text) else { return true };
    let needed = profiles.list.iter().any(|p| p.runtime == viban_core::RuntimeKind::Container);
    let path = std::env::var("PATH").unwrap_or_default();
    match Engine::find(&profiles.container, &path).and_then(|e| e.probe()) {
        Ok(v) => line(true, "container", v),
        Err(e) if needed => line(false, "container", e),
        Err(e) => {
            line(true, "container", format!("not usable (only needed for profiles with runtime = \"container\"): {e}"))
        }
    }
}

/// Whether the cluster in `[kubernetes]` answers; only when that table exists. Needed when a profile uses it.
fn kubernetes_line(paths: &AppPaths, line: &mut impl FnMut(bool, &str, String) -> bool) -> bool {
    let text = std::fs::read_to_string(paths.config_dir.join("agents.toml")).unwrap_or_default();
    let Ok(profiles) = viban_agents::profile::Profiles::load(&text) else { return true };
    let needed = profiles.list.iter().any(|p| p.runtime == viban_core::RuntimeKind::Kubernetes);
    let Some(settings) = profiles.kubernetes else {
        return if needed { line(false, "kubernetes", viban_agents::kubernetes::NOT_CONFIGURED.into()) } else { true };
    };
    let rt = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => return line(false, "kubernetes", format!("could not check: {e}")),
    };
    let checked = rt.block_on(async {
        tokio::time::timeout(std::time::Duration::from_secs(10), viban_agents::kubernetes::check(&settings))
            .await
            .unwrap_or_else(|_| Err("the cluster did not answer within 10 s".into()))
    });
    match checked {
        Ok(v) => line(true, "kubernetes", v),
        Err(e) => line(!needed, "kubernetes", e),
    }
}

/// One line per check; returns the report and whether everything needed is there.
pub fn report(paths: &AppPaths) -> (String, bool) {
    let mut out = String::new();
    let mut ok = true;
    let mut line = |good: bool, what: &str, detail: String| {
        let _ = writeln!(out, "{} {what:<12} {detail}", if good { "ok     " } else { "MISSING" });
        good
    };
    if let Err(e) = crate::payload::unpack_own(&paths.cache_dir) {
        ok &= line(false, "payload", e.to_string());
    }
    ok &= match binaries::resolve(&paths.cache_dir) {
        Ok(b) => line(true, "postgresql", format!("{} in {} ({})", b.version, b.bin_dir.display(), b.source)),
        Err(e) => line(false, "postgresql", e.to_string()),
    };
    ok &= match std::process::Command::new("git").arg("--version").output() {
        Ok(o) if o.status.success() => line(true, "git", String::from_utf8_lossy(&o.stdout).trim().to_string()),
        _ => line(false, "git", "git is not on PATH; install it (e.g. `apt-get install git`)".into()),
    };
    ok &= writable(&paths.data_dir, &mut line);
    ok &= container_line(paths, &mut line);
    ok &= kubernetes_line(paths, &mut line);
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
    for c in outside::survey(Path::new(outside::BASE)) {
        let _ = writeln!(out, "{}", cluster_line(&c));
    }
    (out, ok)
}

/// A cluster kept in /var/lib/viban (as root, for a home the postgres account cannot reach).
fn cluster_line(c: &OutsideCluster) -> String {
    let root = c.root.display();
    let home = c.home.as_deref().unwrap_or(Path::new("?")).display();
    let (label, detail) = match &c.state {
        State::HomeExists => ("ok     ", format!("{root} (home {home})")),
        State::Orphaned => {
            ("note   ", format!("{root}: its home {home} is gone; `viban-server doctor --clean` removes it"))
        }
        State::Running(pid) => {
            ("note   ", format!("{root}: its home {home} is gone, but PostgreSQL (pid {pid}) still runs on it"))
        }
        State::Unrecorded => (
            "note   ",
            format!("{root}: made by an older viban, its home is unknown; remove it by hand if no home uses it"),
        ),
    };
    format!("{label} {:<12} {detail}", "cluster")
}

/// `doctor --clean`: removes the clusters kept in /var/lib/viban whose home is gone, first stopping a PostgreSQL
/// still running on one when its viban is gone too. One line per thing done.
pub fn clean() -> String {
    let mut out = String::new();
    if !running_as_root() {
        out.push_str("clean: nothing to do (clusters are kept outside their home only when viban runs as root)\n");
        return out;
    }
    let swept = outside::sweep(Path::new(outside::BASE), OnRunning::StopOrphaned);
    for pid in &swept.stopped {
        let _ = writeln!(out, "stopped PostgreSQL (pid {pid}): its viban and its home are gone");
    }
    for c in &swept.removed {
        let home = c.home.as_deref().unwrap_or(Path::new("?")).display();
        let _ = writeln!(out, "removed {} (its home {home} is gone)", c.root.display());
    }
    for e in &swept.errors {
        let _ = writeln!(out, "error   {e}");
    }
    if swept.removed.is_empty() && swept.errors.is_empty() {
        out.push_str("clean: nothing to remove\n");
    }
    out
}

fn writable(dir: &Path, line: &mut impl FnMut(bool, &str, String) -> bool) -> bool {
    if !dir.exists() {
        // Only look: a doctor run must not create a home (`--clean` runs right after one was deleted).
        let parent = dir.ancestors().find(|d| d.exists());
        return match parent {
            Some(p) if nix::unistd::access(p, nix::unistd::AccessFlags::W_OK).is_ok() => {
                line(true, "data dir", format!("{} (will be created)", dir.display()))
            }
            _ => line(
                false,
                "data dir",
                format!("{} cannot be created: its parent is not writable; use --home", dir.display()),
            ),
        };
    }
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
