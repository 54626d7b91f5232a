//! Finding agent binaries the way the user's terminal would: on the login shell's PATH (an app launched from a
//! desktop menu gets a minimal PATH without ~/.local/bin, nvm or npm-global), and asking them for their version.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::profile::Profile;

const SHELL_TIMEOUT: Duration = Duration::from_secs(3);
const VERSION_TIMEOUT: Duration = Duration::from_secs(8);

/// What detection found for one profile.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Detected {
    pub path: Option<PathBuf>,
    pub version: Option<String>,
    pub problem: Option<String>,
}

/// Runs a command with a deadline; its stdout+stderr, or None on timeout/failure to start.
fn output_within(cmd: &mut Command, deadline: Duration) -> Option<(bool, String)> {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().ok()?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() < deadline => std::thread::sleep(Duration::from_millis(20)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
    let out = child.wait_with_output().ok()?;
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    Some((out.status.success(), text))
}

/// PATH as the user's login shell sets it, followed by our own PATH's other entries.
pub fn login_shell_path() -> String {
    let own = std::env::var("PATH").unwrap_or_default();
    let shell = std::env::var("SHELL").ok().filter(|s| Path::new(s).is_absolute()).unwrap_or_else(|| "/bin/sh".into());
    // Markers around the value: profiles may print banners.
    let script = "printf '\\n__VIBAN_PATH__%s__VIBAN_END__\\n' \"$PATH\"";
    let login = output_within(crate::env::scrub(Command::new(&shell).args(["-l", "-c", script])), SHELL_TIMEOUT)
        .and_then(|(_, out)| {
            let start = out.find("__VIBAN_PATH__")? + "__VIBAN_PATH__".len();
            let end = out[start..].find("__VIBAN_END__")? + start;
            Some(out[start..end].to_string())
        })
        .unwrap_or_default();
    let mut seen = std::collections::HashSet::new();
    login.split(':').chain(own.split(':')).filter(|d| !d.is_empty() && seen.insert(*d)).collect::<Vec<_>>().join(":")
}

fn executable(p: &Path) -> bool {
    p.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// `program` as an absolute path: itself when it has a slash, else the first executable on `path`.
pub fn which(program: &str, path: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let p = PathBuf::from(program);
        return executable(&p).then_some(p);
    }
    path.split(':').filter(|d| !d.is_empty()).map(|d| Path::new(d).join(program)).find(|p| executable(p))
}

/// The first line that looks like a version.
fn version_line(text: &str) -> Option<String> {
    let line = text.lines().map(str::trim).find(|l| l.chars().any(|c| c.is_ascii_digit()))?;
    Some(line.chars().take(120).collect())
}

/// Finds the profile's binary and asks it for its version.
pub fn detect(profile: &Profile, path: &str) -> Detected {
    if let Some(problem) = &profile.problem {
        return Detected { problem: Some(problem.clone()), ..Default::default() };
    }
    if profile.runtime == viban_core::RuntimeKind::Container {
        // The command is the image's: what must be here is a container engine.
        let image = profile.container.image.clone().unwrap_or_default();
        return match ["podman", "docker"].iter().find_map(|e| which(e, path)) {
            Some(engine) => {
                Detected { path: Some(engine), version: Some(format!("in a container: {image}")), problem: None }
            }
            None => Detected {
                problem: Some("runs in a container, and no podman or docker was found: install podman".into()),
                ..Default::default()
            },
        };
    }
    if profile.runtime == viban_core::RuntimeKind::Kubernetes {
        let image = profile.kubernetes.image.clone().unwrap_or_default();
        let path = Some(std::path::PathBuf::from("kubernetes"));
        return Detected { path, version: Some(format!("on Kubernetes: {image}")), problem: None };
    }
    let Some(program) = profile.program() else { return Detected::default() };
    let Some(found) = which(program, path) else {
        let hint = profile.install_hint.as_deref().map(|h| format!(" Install it with: {h}")).unwrap_or_default();
        return Detected {
            problem: Some(format!("`{program}` was not found on your login shell's PATH.{hint}")),
            ..Default::default()
        };
    };
    let mut probe = Command::new(&found);
    crate::env::scrub(probe.args(&profile.version_args).env("PATH", path));
    let version = output_within(&mut probe, VERSION_TIMEOUT).and_then(|(_, out)| version_line(&out));
    Detected { path: Some(found), version, problem: None }
}

/// Detects every profile at once (each `--version` can take a second).
pub fn detect_all(profiles: &[Profile], path: &str) -> Vec<Detected> {
    std::thread::scope(|s| {
        let handles: Vec<_> = profiles.iter().map(|p| s.spawn(move || detect(p, path))).collect();
        handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_binaries_on_a_path_and_absolute_ones() {
        assert_eq!(which("sh", "/nonexistent:/bin:/usr/bin"), Some(PathBuf::from("/bin/sh")));
        assert_eq!(which("/bin/sh", ""), Some(PathBuf::from("/bin/sh")));
        assert_eq!(which("definitely-not-an-agent", "/bin:/usr/bin"), None);
    }

    #[test]
    fn login_path_keeps_our_own_entries() {
        let p = login_shell_path();
        for d in std::env::var("PATH").unwrap_or_default().split(':').filter(|d| !d.is_empty()) {
            assert!(p.split(':').any(|x| x == d), "{d} missing from {p}");
        }
    }

    #[test]
    fn version_is_the_first_line_with_digits() {
        assert_eq!(version_line("Welcome\n  1.2.3 (Claude Code)\n"), Some("1.2.3 (Claude Code)".into()));
        assert_eq!(version_line("no digits"), None);
    }
}
