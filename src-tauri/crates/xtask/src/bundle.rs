//! `cargo xtask bundle`: the `.deb` and `.rpm`, made by Tauri's own bundler (the updater depends on the bundle-type
//! marker only it writes) from binaries cargo built, with PostgreSQL and the UI as resources.
//!
//! The bundler keeps no symlinks in resources and the npm PostgreSQL package ships none (its install script makes
//! them), so each shared library is staged under the name the binaries ask for (its SONAME) and the static and
//! link-time-only files are dropped. The staged tree is checked to run (`ldd` finds every library, `postgres
//! --version` answers) before anything is packaged.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::cmd::{cargo, output, status};
use crate::root;

pub struct Options {
    pub release: bool,
    /// Stamped into the app (the updater compares it) and the packages' names.
    pub version: Option<String>,
    /// `deb,rpm` by default; `appimage` needs downloads from GitHub (CI only).
    pub bundles: String,
    /// Where the packages are collected and listed.
    pub out: PathBuf,
    /// Overrides the updater's public key (tests sign with a throwaway key).
    pub pubkey: Option<String>,
    /// Signs for the updater with this key (no password) instead of `TAURI_SIGNING_PRIVATE_KEY`'s.
    pub signing_key: Option<String>,
}

impl Options {
    fn profile(&self) -> &'static str {
        if self.release { "release" } else { "debug" }
    }

    /// The configuration merged over tauri.conf.json, for cargo (`TAURI_CONFIG`) and the bundler alike.
    fn overrides(&self) -> String {
        let mut parts = Vec::new();
        if let Some(v) = &self.version {
            parts.push(format!("\"version\":{}", json_string(v)));
        }
        if let Some(k) = &self.pubkey {
            parts.push(format!("\"plugins\":{{\"updater\":{{\"pubkey\":{}}}}}", json_string(k)));
        }
        format!("{{{}}}", parts.join(","))
    }
}

fn json_string(s: &str) -> String {
    let escaped: String = s
        .chars()
        .flat_map(|c| match c {
            '"' => vec!['\\', '"'],
            '\\' => vec!['\\', '\\'],
            '\n' => vec!['\\', 'n'],
            c => vec![c],
        })
        .collect();
    format!("\"{escaped}\"")
}

fn stage_dir() -> PathBuf {
    root().join("target/bundle-stage")
}

pub fn bundle(opts: &Options) -> Result<Vec<PathBuf>> {
    let ready = crate::setup::all()?;
    crate::cmd::build_ui()?;
    build(opts)?;
    stage(&ready.pg_bin, opts.profile())?;
    if opts.release {
        // Symbols are a third of the binaries' size; a user's crash report needs only the build id.
        strip(&root().join("target/release/viban"))?;
        strip(&stage_dir().join(format!("bin/viban-server-{}", host_triple()?)))?;
    }
    run_bundler(opts)?;
    let packages = collect(opts)?;
    println!("\nbundle: {} package(s) in {}", packages.len(), opts.out.display());
    for p in &packages {
        let size = std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
        println!("  {:>8.1} MB  {}", size as f64 / 1_048_576.0, p.file_name().unwrap_or_default().to_string_lossy());
    }
    Ok(packages)
}

fn build(opts: &Options) -> Result<()> {
    let mut c = cargo();
    if opts.release {
        c.args(["build", "-p", "viban-desktop", "-p", "viban-server", "--bin", "viban", "--bin", "viban-server"]);
        // Production assets (Tauri's `custom-protocol`): what `tauri build` would turn on.
        c.args(["--release", "--features", "viban-desktop/custom-protocol"]);
    } else {
        // The test command's own selection, so only the desktop crate (stamped by TAURI_CONFIG) rebuilds.
        c.args(crate::cmd::WORKSPACE_BUILD);
    }
    c.env("TAURI_CONFIG", opts.overrides());
    status(&mut c)
}

fn host_triple() -> Result<String> {
    let v = output(Command::new("rustc").arg("-vV"))?;
    v.lines().find_map(|l| l.strip_prefix("host: ")).map(str::to_string).context("rustc -vV printed no host triple")
}

/// Fills target/bundle-stage: `bin/viban-server-<triple>` (Tauri's external-binary naming), `ui/`, `postgresql/`.
fn stage(pg_bin: &Path, profile: &str) -> Result<()> {
    let dir = stage_dir();
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(dir.join("bin"))?;
    let server = root().join("target").join(profile).join("viban-server");
    std::fs::copy(&server, dir.join(format!("bin/viban-server-{}", host_triple()?)))
        .with_context(|| format!("copying {}", server.display()))?;
    copy_tree(&root().join("ui/dist"), &dir.join("ui"))?;
    let native = pg_bin.parent().context("PostgreSQL bin dir has no parent")?;
    stage_postgres(native, &dir.join("postgresql"))?;
    check_postgres(&dir.join("postgresql"))
}

fn strip(binary: &Path) -> Result<()> {
    status(Command::new("strip").arg("--strip-all").arg(binary))
}

/// Modules that cannot load without an interpreter the package does not ship (Perl, Python, Tcl), and the
/// extension build kit: left out of the package.
fn unshippable_module(name: &str) -> bool {
    name == "pgxs" || ["plperl", "plpython3", "pltcl"].iter().any(|lang| name.contains(lang))
}

fn copy_tree(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from).with_context(|| format!("reading {}", from.display()))? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let meta = std::fs::metadata(&src)?;
        if meta.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            std::fs::copy(&src, &dst).with_context(|| format!("copying {}", src.display()))?;
        }
    }
    Ok(())
}

/// `bin/` and `share/` as they are; `lib/` without static archives and link-only names, each shared library under
/// its SONAME (what the binaries' dynamic sections ask for), modules in `lib/postgresql/` as they are.
fn stage_postgres(native: &Path, to: &Path) -> Result<()> {
    copy_tree(&native.join("bin"), &to.join("bin"))?;
    copy_tree(&native.join("share"), &to.join("share"))?;
    let lib = native.join("lib");
    std::fs::create_dir_all(to.join("lib"))?;
    std::fs::create_dir_all(to.join("lib/postgresql"))?;
    for entry in std::fs::read_dir(lib.join("postgresql"))?.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_file() && !unshippable_module(&name) {
            std::fs::copy(entry.path(), to.join("lib/postgresql").join(&name))?;
        }
    }
    for entry in std::fs::read_dir(&lib)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let meta = std::fs::symlink_metadata(&path)?;
        if !meta.is_file() || name.ends_with(".a") || !name.contains(".so") {
            continue;
        }
        let staged = soname(&path)?.unwrap_or(name);
        std::fs::copy(&path, to.join("lib").join(&staged)).with_context(|| format!("copying {}", path.display()))?;
    }
    Ok(())
}

fn soname(lib: &Path) -> Result<Option<String>> {
    let dynamic = output(Command::new("readelf").arg("-d").arg(lib))?;
    Ok(dynamic.lines().find(|l| l.contains("(SONAME)")).and_then(|l| {
        let start = l.find('[')? + 1;
        let end = l.rfind(']')?;
        Some(l[start..end].to_string())
    }))
}

/// Every staged ELF finds its libraries, and the server runs.
fn check_postgres(pg: &Path) -> Result<()> {
    let mut missing = Vec::new();
    for sub in ["bin", "lib"] {
        for entry in std::fs::read_dir(pg.join(sub))?.flatten() {
            let path = entry.path();
            if !path.is_file() {
                continue;
            }
            let Ok(out) = Command::new("ldd").arg(&path).output() else { continue };
            let text = String::from_utf8_lossy(&out.stdout);
            missing.extend(
                text.lines()
                    .filter(|l| l.contains("not found"))
                    .map(|l| format!("{}: {}", path.file_name().unwrap_or_default().to_string_lossy(), l.trim())),
            );
        }
    }
    if !missing.is_empty() {
        bail!("staged PostgreSQL has unresolved libraries:\n  {}", missing.join("\n  "));
    }
    let v = output(Command::new(pg.join("bin/postgres")).arg("--version"))?;
    if !v.contains("PostgreSQL") {
        bail!("staged postgres --version printed: {v}");
    }
    println!("bundle: staged {} with every library resolved", v.trim());
    Ok(())
}

fn run_bundler(opts: &Options) -> Result<()> {
    let tauri = root().join("ui/node_modules/.bin/tauri");
    if !tauri.is_file() {
        bail!("{} is missing: run `cargo xtask setup` (it installs the UI's npm packages)", tauri.display());
    }
    let out_dir = root().join("target").join(opts.profile()).join("bundle");
    if out_dir.exists() {
        std::fs::remove_dir_all(&out_dir).with_context(|| format!("clearing {}", out_dir.display()))?;
    }
    let mut c = Command::new(&tauri);
    c.current_dir(root().join("src-tauri"))
        .args(["bundle", "--ci", "--bundles", &opts.bundles, "--config"])
        .arg(root().join("installers/linux/bundle.conf.json"))
        .args(["--config", &opts.overrides()]);
    if !opts.release {
        c.arg("--debug");
    }
    if let Some(key) = &opts.signing_key {
        c.env("TAURI_SIGNING_PRIVATE_KEY", key).env("TAURI_SIGNING_PRIVATE_KEY_PASSWORD", "");
    } else if std::env::var_os("TAURI_SIGNING_PRIVATE_KEY").is_none() {
        // Without a key the bundler would refuse to make updater signatures; unsigned packages still install.
        c.args(["--config", "{\"bundle\":{\"createUpdaterArtifacts\":false}}"]);
        println!("bundle: TAURI_SIGNING_PRIVATE_KEY is not set: packages are not signed for the updater");
    }
    status(&mut c)
}

fn collect(opts: &Options) -> Result<Vec<PathBuf>> {
    let from = root().join("target").join(opts.profile()).join("bundle");
    // Packages of an earlier run would be listed (and released) as if made now.
    if opts.out.exists() {
        std::fs::remove_dir_all(&opts.out).with_context(|| format!("clearing {}", opts.out.display()))?;
    }
    std::fs::create_dir_all(&opts.out)?;
    let mut out = Vec::new();
    for kind in ["deb", "rpm", "appimage"] {
        let Ok(entries) = std::fs::read_dir(from.join(kind)) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            let keep = [".deb", ".rpm", ".AppImage", ".sig"].iter().any(|ext| name.ends_with(ext));
            if path.is_file() && keep {
                let dst = opts.out.join(&name);
                std::fs::copy(&path, &dst).with_context(|| format!("copying {}", path.display()))?;
                out.push(dst);
            }
        }
    }
    if !out.iter().any(|p| p.extension().is_some_and(|e| e == "deb" || e == "rpm")) {
        bail!("the bundler made no package in {}", from.display());
    }
    out.sort();
    Ok(out)
}
