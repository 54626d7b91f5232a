//! Small commands and the process helpers every xtask command uses.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result, bail};

use crate::root;

/// Runs a command with inherited output; fails with its exit status.
pub fn status(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let st = cmd.status().with_context(|| format!("could not run {shown}"))?;
    if !st.success() {
        bail!("{shown} failed ({st})");
    }
    Ok(())
}

/// Runs a command and returns its stdout.
pub fn output(cmd: &mut Command) -> Result<String> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().with_context(|| format!("could not run {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Every debug build of the test command selects the whole workspace and all its targets: cargo resolves
/// features per selection, so `-p a -p b` builds (~145 units each) were extra copies of the same crates, and
/// a fresh clone ran out of disk on CI.
pub const WORKSPACE_BUILD: [&str; 3] = ["build", "--workspace", "--all-targets"];

static NO_INCREMENTAL: AtomicBool = AtomicBool::new(false);

/// The test command builds once per clone: incremental state (several GB) would only fill the disk.
pub fn without_incremental() {
    NO_INCREMENTAL.store(true, Ordering::Relaxed);
}

pub fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    if NO_INCREMENTAL.load(Ordering::Relaxed) && std::env::var_os("CARGO_INCREMENTAL").is_none() {
        c.env("CARGO_INCREMENTAL", "0");
    }
    c
}

pub fn npm(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("npm");
    c.args(args).current_dir(dir);
    c
}

pub fn build_ui() -> Result<()> {
    status(&mut npm(&root().join("ui"), &["run", "build", "--silent"]))
}

pub fn run(headless: bool, release: bool, args: &[String]) -> Result<()> {
    let ready = crate::setup::all()?;
    build_ui()?;
    if !headless {
        let mut build = cargo();
        build.args(["build", "-p", "viban-desktop"]);
        if release {
            build.arg("--release");
        }
        status(&mut build)?;
        let bin = root().join("target").join(if release { "release" } else { "debug" }).join("viban");
        return status(
            Command::new(bin)
                .args(args)
                .env("VIBAN_PG_BIN", &ready.pg_bin)
                .env("VIBAN_UI_DIR", root().join("ui/dist"))
                .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1"),
        );
    }
    let mut build = cargo();
    build.args(["build", "-p", "viban-server"]);
    if release {
        build.arg("--release");
    }
    status(&mut build)?;
    let profile = if release { "release" } else { "debug" };
    let bin = root().join("target").join(profile).join("viban-server");
    let mut serve = Command::new(bin);
    serve.arg("serve").args(args).env("VIBAN_PG_BIN", &ready.pg_bin).env("VIBAN_UI_DIR", root().join("ui/dist"));
    status(&mut serve)
}

pub fn gen_types(check: bool) -> Result<()> {
    let mut c = cargo();
    c.args(["test", "-q", "-p", "viban-api", "--lib", "openapi::tests::the_committed_typescript_types_are_fresh"]);
    if !check {
        c.env("VIBAN_WRITE_TYPES", "1");
    }
    status(&mut c)
}

/// PyPI's openapi-spec-validator, pinned, installed under target/ (no venv needed, nothing system-wide).
const OPENAPI_VALIDATOR: &str = "openapi-spec-validator==0.9.0";

/// The API's OpenAPI document passes a real validator (client generators rely on it).
pub fn validate_openapi() -> Result<()> {
    let tools = root().join("target/pytools");
    if !tools.join("openapi_spec_validator").is_dir() {
        status(
            Command::new("python3")
                .args(["-m", "pip", "install", "-q", "--disable-pip-version-check", "--target"])
                .arg(&tools)
                .arg(OPENAPI_VALIDATOR),
        )?;
    }
    let doc = root().join("target/openapi.json");
    status(
        cargo()
            // `--workspace`: the same feature set as the other builds (only viban-api has this test).
            .args(["test", "-q", "--workspace", "--lib", "openapi::tests::operation_ids_are_unique"])
            .env("VIBAN_WRITE_OPENAPI", &doc),
    )?;
    status(Command::new("python3").args(["-m", "openapi_spec_validator"]).arg(&doc).env("PYTHONPATH", &tools))
}

/// Headless crates must never depend on tauri: they run without a display (server, tests, CI).
pub fn check_layering() -> Result<()> {
    let crates = std::fs::read_dir(root().join("src-tauri/crates")).context("reading src-tauri/crates")?;
    for entry in crates.flatten() {
        let manifest = entry.path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else { continue };
        let Some(name) = text.lines().find_map(|l| l.strip_prefix("name = ")) else { continue };
        let name = name.trim_matches('"');
        let tree = output(cargo().args(["tree", "-q", "-p", name, "-e", "normal,build", "--prefix", "none"]))?;
        if let Some(bad) = tree.lines().find(|l| l.starts_with("tauri")) {
            bail!("{name} depends on {bad}: headless crates must not depend on tauri");
        }
    }
    println!("check-layering: no headless crate depends on tauri");
    Ok(())
}

pub fn bench(quick: bool) -> Result<()> {
    let ready = crate::setup::all()?;
    status(cargo().args([
        "build",
        "--release",
        "-p",
        "viban-server",
        "-p",
        "viban-bench",
        "-p",
        "viban-desktop",
        "-p",
        "viban-test-support",
        "--bin",
        "viban-server",
        "--bin",
        "viban-bench",
        "--bin",
        "viban",
        "--bin",
        "fake-agent",
        // The WebKitGTK floor the desktop's idle memory is compared with.
        "--example",
        "webkit-floor",
        // What the packages ship (`cargo xtask bundle` builds the same), so the bundle below reuses this build.
        "--features",
        "viban-desktop/custom-protocol",
    ]))?;
    let (_xvfb, display) = crate::desktop::virtual_display()?;
    let mut c = Command::new("dbus-run-session");
    c.arg("--").arg(root().join("target/release/viban-bench"));
    c.env("DISPLAY", display)
        .env("VIBAN_DESKTOP_BIN", root().join("target/release/viban"))
        .env("VIBAN_PG_BIN", &ready.pg_bin)
        .env("VIBAN_SERVER_BIN", root().join("target/release/viban-server"))
        .env("VIBAN_FAKE_AGENT", root().join("target/release/fake-agent"))
        .env("VIBAN_FLOOR_BIN", root().join("target/release/examples/webkit-floor"))
        .arg("--out")
        .arg(root().join("bench-results/latest.md"));
    if quick {
        c.arg("--quick");
    }
    status(&mut c)?;
    server_bench(quick)?;
    installers_bench()
}

/// The server shapes (bench-results/server.md): the self-contained binary, the image, deploy and rollback.
pub fn server_bench(quick: bool) -> Result<()> {
    let dist = crate::dist::dist(false)?;
    let ready = crate::setup::all()?;
    status(
        Command::new("node")
            .arg("tests/installers/bench-server.mjs")
            .arg("--out")
            .arg(root().join("bench-results/server.md"))
            .current_dir(root())
            .env("VIBAN_BENCH_ROUNDS", if quick { "3" } else { "5" })
            .env("VIBAN_DIST_BIN", dist)
            .env("VIBAN_SERVER_BIN", root().join("target/release/viban-server"))
            .env("VIBAN_PG_BIN", &ready.pg_bin)
            .env("VIBAN_UI_DIR", root().join("ui/dist")),
    )
}

/// The release .deb's size and installed size, and the first launch on a clean Debian root
/// (bench-results/installers.md); the update timings come from the last installer test run.
fn installers_bench() -> Result<()> {
    let out = root().join("target/bundle-out");
    crate::bundle::bundle(&crate::bundle::Options {
        release: true,
        version: None,
        bundles: "deb,rpm".into(),
        out: out.clone(),
        pubkey: None,
        signing_key: None,
    })?;
    let deb = std::fs::read_dir(&out)?
        .flatten()
        .map(|e| e.path())
        .find(|p| p.extension().is_some_and(|e| e == "deb"))
        .context("the bundle made no .deb")?;
    status(
        Command::new("node")
            .arg("tests/installers/bench.mjs")
            .arg("--deb")
            .arg(&deb)
            .arg("--out")
            .arg(root().join("bench-results/installers.md"))
            .arg("--update-timings")
            .arg(root().join("target/installer-test/update-timings.json"))
            .current_dir(root()),
    )
}
