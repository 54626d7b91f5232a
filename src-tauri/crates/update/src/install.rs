//! Reinstalling the kept package: `dpkg -i` / `rpm -U --oldpackage --replacepkgs`, as root directly, else through
//! `pkexec`, else `sudo -n`; tests inject their own [`Installer`].

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::{PackageFormat, Result, UpdateError};

/// How often, and how long apart, a reinstall is retried while another install holds the package database lock.
const LOCK_RETRIES: u32 = 6;
const LOCK_PAUSE: Duration = Duration::from_secs(5);

/// The package manager command that reinstalls a package, without any privilege prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallCommand {
    pub program: String,
    pub args: Vec<OsString>,
}

impl InstallCommand {
    pub fn reinstall(format: PackageFormat, package: &Path) -> Self {
        let (program, flags): (&str, &[&str]) = match format {
            PackageFormat::Deb => ("dpkg", &["-i"]),
            PackageFormat::Rpm => ("rpm", &["-U", "--oldpackage", "--replacepkgs"]),
        };
        let mut args: Vec<OsString> = flags.iter().map(OsString::from).collect();
        args.push(package.as_os_str().to_owned());
        Self { program: program.to_string(), args }
    }

    /// `program arg…`, each word shell-quoted when needed: what a user can paste into a terminal.
    pub fn display(&self, prefix: &[&str]) -> String {
        let mut words: Vec<String> = prefix.iter().map(|w| shell_quote(w)).collect();
        words.push(shell_quote(&self.program));
        words.extend(self.args.iter().map(|a| shell_quote(&a.to_string_lossy())));
        words.join(" ")
    }
}

/// Runs an [`InstallCommand`]; Err carries a message that names the exact command the user can run instead.
pub trait Installer: Send + Sync {
    fn install(&self, command: &InstallCommand) -> Result<()>;
}

/// The real one: root runs the command itself; others go through `pkexec` (a password dialog in a desktop
/// session), else `sudo -n` (only works without a password), else fail saying what to run.
#[derive(Debug, Clone, Default)]
pub struct SystemInstaller;

/// How the command gets root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Elevation {
    AlreadyRoot,
    Pkexec,
    SudoNoPassword,
    Unavailable,
}

pub(crate) fn elevation(is_root: bool, has_pkexec: bool, has_sudo: bool) -> Elevation {
    match (is_root, has_pkexec, has_sudo) {
        (true, _, _) => Elevation::AlreadyRoot,
        (false, true, _) => Elevation::Pkexec,
        (false, false, true) => Elevation::SudoNoPassword,
        (false, false, false) => Elevation::Unavailable,
    }
}

impl Installer for SystemInstaller {
    fn install(&self, command: &InstallCommand) -> Result<()> {
        let how = elevation(nix::unistd::geteuid().is_root(), on_path("pkexec").is_some(), on_path("sudo").is_some());
        let prefix: &[&str] = match how {
            Elevation::AlreadyRoot => &[],
            Elevation::Pkexec => &["pkexec"],
            Elevation::SudoNoPassword => &["sudo", "-n"],
            Elevation::Unavailable => {
                return Err(UpdateError::Reinstall {
                    command: command.display(&["sudo"]),
                    detail: "it needs root, and neither pkexec nor sudo is installed".into(),
                });
            }
        };
        run_with_lock_retries(prefix, command)
    }
}

fn run_with_lock_retries(prefix: &[&str], command: &InstallCommand) -> Result<()> {
    let manual = command.display(&["sudo"]);
    for attempt in 1..=LOCK_RETRIES {
        let shown = command.display(prefix);
        tracing::info!(command = %shown, attempt, "reinstalling the previous version");
        let (program, args) = argv(prefix, command);
        let out = Command::new(program).args(args).stdin(Stdio::null()).output().map_err(|e| {
            UpdateError::Reinstall { command: manual.clone(), detail: format!("could not run {shown}: {e}") }
        })?;
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        let locked = stderr.contains("lock") && !stderr.contains("not authorized");
        if locked && attempt < LOCK_RETRIES {
            tracing::warn!(%stderr, "the package database is locked by another install; retrying in 5 s");
            std::thread::sleep(LOCK_PAUSE);
            continue;
        }
        let detail = match (prefix.first(), out.status.code()) {
            (Some(&"pkexec"), Some(126)) => "the password dialog was dismissed".to_string(),
            (Some(&"pkexec"), Some(127)) => "pkexec did not authorize it".to_string(),
            (Some(&"sudo"), _) if stderr.contains("password") => "sudo needs a password".to_string(),
            _ if locked => "the package database stayed locked by another install for 30 s".to_string(),
            _ => format!("{shown} failed ({}): {}", out.status, last_lines(&stderr, 5)),
        };
        return Err(UpdateError::Reinstall { command: manual, detail });
    }
    Err(UpdateError::Reinstall { command: manual, detail: "the package database stayed locked".into() })
}

/// Runs `prefix… program args…` (tests: a script that records its argv; or `["sudo", "-n"]`).
#[derive(Debug, Clone)]
pub struct PrefixInstaller {
    pub prefix: Vec<String>,
}

impl Installer for PrefixInstaller {
    fn install(&self, command: &InstallCommand) -> Result<()> {
        let prefix: Vec<&str> = self.prefix.iter().map(String::as_str).collect();
        let shown = command.display(&prefix);
        let (program, args) = argv(&prefix, command);
        let out =
            Command::new(program).args(args).stdin(Stdio::null()).output().map_err(|e| UpdateError::Reinstall {
                command: command.display(&["sudo"]),
                detail: format!("could not run {shown}: {e}"),
            })?;
        if out.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        Err(UpdateError::Reinstall {
            command: command.display(&["sudo"]),
            detail: format!("{shown} failed ({}): {}", out.status, last_lines(stderr.trim(), 5)),
        })
    }
}

fn argv(prefix: &[&str], command: &InstallCommand) -> (OsString, Vec<OsString>) {
    let mut words: Vec<OsString> = prefix.iter().map(OsString::from).collect();
    words.push(OsString::from(&command.program));
    words.extend(command.args.iter().cloned());
    let program = words.remove(0);
    (program, words)
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join(" / ")
}

/// The first executable `name` on PATH.
pub(crate) fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0))
}

pub(crate) fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | ':' | '=' | '+' | ','));
    if plain { word.to_string() } else { format!("'{}'", word.replace('\'', r"'\''")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_per_format_and_how_they_are_shown() {
        let deb = InstallCommand::reinstall(PackageFormat::Deb, Path::new("/d/kept/viban_0.1.0_amd64.deb"));
        assert_eq!(deb.display(&[]), "dpkg -i /d/kept/viban_0.1.0_amd64.deb");
        let rpm = InstallCommand::reinstall(PackageFormat::Rpm, Path::new("/home/a b/viban-0.1.0-1.x86_64.rpm"));
        assert_eq!(
            rpm.display(&["sudo"]),
            "sudo rpm -U --oldpackage --replacepkgs '/home/a b/viban-0.1.0-1.x86_64.rpm'"
        );
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }

    #[test]
    fn root_needs_no_prefix_then_pkexec_then_sudo() {
        assert_eq!(elevation(true, false, false), Elevation::AlreadyRoot);
        assert_eq!(elevation(false, true, true), Elevation::Pkexec);
        assert_eq!(elevation(false, false, true), Elevation::SudoNoPassword);
        assert_eq!(elevation(false, false, false), Elevation::Unavailable);
    }

    #[test]
    fn a_failing_installer_names_the_command_to_run() {
        let cmd = InstallCommand::reinstall(PackageFormat::Deb, Path::new("/k/viban_0.1.0_amd64.deb"));
        let err = PrefixInstaller { prefix: vec!["false".into()] }.install(&cmd).map(|_| ()).err();
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("run: sudo dpkg -i /k/viban_0.1.0_amd64.deb"), "{text}");
    }
}

/// The lock file the package manager takes for an install (`fcntl` write lock).
fn lock_file(format: PackageFormat) -> &'static str {
    match format {
        PackageFormat::Deb => "/var/lib/dpkg/lock-frontend",
        PackageFormat::Rpm => "/var/lib/rpm/.rpm.lock",
    }
}

/// Whether another install holds the package database (checked before installing, so the user gets the real reason
/// instead of a bare "install failed"): the holder's pid when it does. Unknown (no file, no access) counts as free.
pub fn package_database_holder(format: PackageFormat) -> Option<u32> {
    lock_holder(Path::new(lock_file(format)))
}

/// The pid holding a conflicting `fcntl` write lock on `path`, if any.
pub fn lock_holder(path: &Path) -> Option<u32> {
    let file = std::fs::File::open(path).ok()?;
    let mut probe = libc::flock {
        l_type: libc::F_WRLCK as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    nix::fcntl::fcntl(&file, nix::fcntl::FcntlArg::F_GETLK(&mut probe)).ok()?;
    (probe.l_type != libc::F_UNLCK as libc::c_short).then(|| u32::try_from(probe.l_pid).unwrap_or(0))
}

#[cfg(test)]
mod lock_tests {
    use super::lock_holder;

    // The flock struct packed by perl below is x86_64's layout.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn a_lock_held_by_another_process_is_seen_and_a_free_file_is_not() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("lock");
        std::fs::write(&path, b"")?;
        assert_eq!(lock_holder(&path), None, "nobody holds it yet");
        assert_eq!(lock_holder(&dir.path().join("missing")), None);
        // Another process takes the write lock the way dpkg does (fcntl, via flock(1)'s -x would be flock(2): use
        // perl's fcntl from the base system instead).
        let script = format!(
            "use Fcntl; open(my $f, '+<', '{}') or die; my $l = pack('s s x4 q q i x4', F_WRLCK, 0, 0, 0, 0); \
             fcntl($f, F_SETLK, $l) or die \"lock: $!\"; print \"locked\\n\"; $| = 1; sleep 30;",
            path.display()
        );
        let mut child =
            std::process::Command::new("perl").args(["-e", &script]).stdout(std::process::Stdio::piped()).spawn()?;
        let mut line = String::new();
        if let Some(out) = child.stdout.as_mut() {
            use std::io::BufRead;
            std::io::BufReader::new(out).read_line(&mut line)?;
        }
        let seen = lock_holder(&path);
        let _ = child.kill();
        let _ = child.wait();
        assert_eq!(line.trim(), "locked");
        assert_eq!(seen, Some(child.id()));
        Ok(())
    }
}
