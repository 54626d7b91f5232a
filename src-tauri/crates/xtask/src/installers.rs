//! The installer tests' packages, made from the debug build the other tests use (no second full build):
//! - N (the configured version) as .deb and .rpm, signed with a throwaway key that the app trusts;
//! - N+1, the same code stamped with the next version (only the desktop crate recompiles), as a signed .deb;
//! - N+2, a correctly signed release whose `viban` cannot start (N+1 repacked with a broken binary);
//! - N+1 signed with another key, for the wrong-key case.
//!
//! Then `node --test tests/installers/` installs them in a clean Debian root (see tests/installers/).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::bundle::{self, Options};
use crate::cmd::{output, status};
use crate::root;

pub struct Fixtures {
    pub dir: PathBuf,
}

fn tauri() -> PathBuf {
    root().join("ui/node_modules/.bin/tauri")
}

fn keypair(dir: &Path, name: &str) -> Result<(String, String)> {
    let key = dir.join(name);
    let _ = std::fs::remove_file(&key);
    let _ = std::fs::remove_file(dir.join(format!("{name}.pub")));
    status(Command::new(tauri()).args(["signer", "generate", "--ci", "-p", "", "-w"]).arg(&key))?;
    let private = std::fs::read_to_string(&key)?.trim().to_string();
    let public = std::fs::read_to_string(dir.join(format!("{name}.pub")))?.trim().to_string();
    Ok((private, public))
}

fn sign(file: &Path, private: &str, version: &str) -> Result<String> {
    status(
        Command::new(tauri())
            .args(["signer", "sign", "--app-version", version, "-p", "", "-k", private])
            .arg(file)
            .env_remove("TAURI_SIGNING_PRIVATE_KEY")
            .env_remove("TAURI_SIGNING_PRIVATE_KEY_PASSWORD"),
    )?;
    Ok(std::fs::read_to_string(format!("{}.sig", file.display()))?.trim().to_string())
}

fn next_version(v: &str, step: u64) -> Result<String> {
    let mut parts: Vec<u64> =
        v.split('.').map(|p| p.parse().with_context(|| format!("version {v} is not x.y.z"))).collect::<Result<_>>()?;
    let Some(patch) = parts.last_mut() else { bail!("empty version") };
    *patch += step;
    Ok(parts.iter().map(u64::to_string).collect::<Vec<_>>().join("."))
}

fn configured_version() -> Result<String> {
    let conf = std::fs::read_to_string(root().join("src-tauri/tauri.conf.json"))?;
    conf.lines()
        .find_map(|l| l.trim().strip_prefix("\"version\": \""))
        .and_then(|rest| rest.split('"').next())
        .map(str::to_string)
        .context("no version in tauri.conf.json")
}

fn only_deb(dir: &Path) -> Result<PathBuf> {
    std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .with_context(|| format!("no .deb in {}", dir.display()))
}

/// N+1's package with its version changed to `version` and `/usr/bin/viban` replaced by a program that fails.
fn broken_release(good: &Path, version: &str, dir: &Path) -> Result<PathBuf> {
    let tree = dir.join("broken-tree");
    if tree.exists() {
        std::fs::remove_dir_all(&tree)?;
    }
    status(Command::new("dpkg-deb").arg("-R").arg(good).arg(&tree))?;
    let control = tree.join("DEBIAN/control");
    let text = std::fs::read_to_string(&control)?;
    let text: String = text
        .lines()
        .map(|l| if l.starts_with("Version:") { format!("Version: {version}") } else { l.to_string() })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&control, format!("{text}\n"))?;
    // md5sums would name the real binary's sum; dpkg does not check it at install.
    std::fs::write(
        tree.join("usr/bin/viban"),
        "#!/bin/sh\necho 'viban: this release is broken on purpose' >&2\nexit 1\n",
    )?;
    let out = dir.join(format!("viban_{version}_amd64.deb"));
    status(Command::new("dpkg-deb").args(["--root-owner-group", "-Zgzip", "-b"]).arg(&tree).arg(&out))?;
    std::fs::remove_dir_all(&tree)?;
    Ok(out)
}

pub fn prepare() -> Result<Fixtures> {
    let dir = root().join("target/installer-test");
    std::fs::create_dir_all(&dir)?;
    let (private, public) = keypair(&dir, "test.key")?;
    let (other_private, _) = keypair(&dir, "other.key")?;
    let n = configured_version()?;
    let (n1, n2) = (next_version(&n, 1)?, next_version(&n, 2)?);
    let signed = |out: &str, version: Option<String>, bundles: &str| -> Result<()> {
        bundle::bundle(&Options {
            release: false,
            version,
            bundles: bundles.into(),
            out: dir.join(out),
            pubkey: Some(public.clone()),
            signing_key: Some(private.clone()),
        })
        .map(|_| ())
    };
    signed("n", None, "deb,rpm")?;
    signed("n1", Some(n1.clone()), "deb")?;
    let good = only_deb(&dir.join("n1"))?;
    // N+1's manifest as `cargo xtask release` writes it (the test puts its server's address for __BASE__), so the
    // real updater is what checks the release tooling's output.
    crate::release::release(&crate::release::Release {
        version: n1.clone(),
        bundle_dir: dir.join("n1"),
        base_url: "__BASE__".into(),
        notes: Some(format!("Release {n1}: made by update.test.mjs through cargo xtask release")),
        out: dir.join("n1-release"),
    })?;
    let broken_dir = dir.join("n2");
    std::fs::create_dir_all(&broken_dir)?;
    let broken = broken_release(&good, &n2, &broken_dir)?;
    sign(&broken, &private, &n2)?;
    let wrong_dir = dir.join("wrong-key");
    std::fs::create_dir_all(&wrong_dir)?;
    let wrong = wrong_dir.join(good.file_name().unwrap_or_default());
    std::fs::copy(&good, &wrong)?;
    sign(&wrong, &other_private, &n1)?;
    std::fs::write(dir.join("versions.json"), format!("{{\"n\":\"{n}\",\"n1\":\"{n1}\",\"n2\":\"{n2}\"}}\n"))?;
    let listing = output(Command::new("ls").args(["-laR"]).arg(&dir))?;
    println!("installers: fixtures in {}\n{listing}", dir.display());
    Ok(Fixtures { dir })
}

/// Makes the fixtures, then runs the clean-root tests against them.
pub fn run() -> Result<()> {
    let fx = prepare()?;
    let n = fx.dir.join("n");
    let pick = |ext: &str| -> Result<PathBuf> {
        std::fs::read_dir(&n)?
            .flatten()
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == ext))
            .with_context(|| format!("no .{ext} in {}", n.display()))
    };
    status(
        Command::new("node")
            .args(["--test", "--test-concurrency=1", "tests/installers/"])
            .current_dir(root())
            .env("VIBAN_DEB", pick("deb")?)
            .env("VIBAN_RPM", pick("rpm")?)
            .env("VIBAN_UPDATE_FIXTURES", &fx.dir),
    )
}
