//! `cargo xtask test`: every check and test, in one command, with one summary line at the end.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Instant, SystemTime};

use anyhow::{Result, bail};

use crate::cmd::{cargo, npm, status};
use crate::failures::status_naming_failures;
use crate::root;

struct Outcome {
    name: &'static str,
    ok: bool,
    secs: f64,
    error: Option<String>,
}

fn step(results: &mut Vec<Outcome>, name: &'static str, f: impl FnOnce() -> Result<()>) -> bool {
    println!("\n==== {name}");
    let t = Instant::now();
    let r = f();
    let ok = r.is_ok();
    results.push(Outcome { name, ok, secs: t.elapsed().as_secs_f64(), error: r.err().map(|e| format!("{e:#}")) });
    ok
}

/// The user's real viban directories: tests must never touch them.
fn real_dirs() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default();
    [".local/share/viban", ".config/viban", ".local/state/viban", ".cache/viban"].iter().map(|d| home.join(d)).collect()
}

fn snapshot(dirs: &[PathBuf]) -> Vec<Option<SystemTime>> {
    dirs.iter().map(|d| std::fs::metadata(d).and_then(|m| m.modified()).ok()).collect()
}

/// Where viban, as root, keeps clusters the postgres account can reach outside their home.
const MACHINE_DIR: &str = "/var/lib/viban";

/// Entries of /var/lib/viban a test could leave behind: clusters and half-removed ones. Lock files and the copies of
/// PostgreSQL binaries (`pg-bin-*`) are machine-wide, shared by every run, and never per test.
fn machine_entries() -> BTreeSet<String> {
    let Ok(entries) = std::fs::read_dir(MACHINE_DIR) else { return BTreeSet::new() };
    entries
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock") && !n.starts_with("pg-bin-"))
        .collect()
}

pub fn all(e2e: bool) -> Result<()> {
    crate::cmd::without_incremental();
    let mut results = Vec::new();
    let mut pg_bin = PathBuf::new();
    let mut nginx = PathBuf::new();
    let mut agent_clis = None;
    let set_up = step(&mut results, "setup", || {
        let ready = crate::setup::all()?;
        (pg_bin, nginx, agent_clis) = (ready.pg_bin, ready.nginx, ready.agent_clis);
        Ok(())
    });
    if !set_up {
        return summarize(results);
    }
    let real = real_dirs();
    let before = snapshot(&real);
    let machine_before = machine_entries();
    step(&mut results, "cargo fmt --check", || status(cargo().args(["fmt", "--all", "--check"])));
    step(&mut results, "clippy", || {
        status(cargo().args(["clippy", "-q", "--workspace", "--all-targets", "--", "-D", "warnings"]))
    });
    step(&mut results, "check-layering", crate::cmd::check_layering);
    // Called directly: run through the toolchain's cargo (not rustup's proxy), it takes "machete" for a path.
    step(&mut results, "unused dependencies (cargo machete)", || status(Command::new("cargo-machete").arg(root())));
    step(&mut results, "licences, bans, sources, advisories (cargo deny)", crate::deny::check);
    let built = step(&mut results, "build (workspace, all targets)", || {
        // Also the binaries tests run as processes: the server, and the fake agent (a bin of viban-test-support).
        status(cargo().args(crate::cmd::WORKSPACE_BUILD).arg("-q"))
    });
    step(&mut results, "openapi document (openapi-spec-validator)", crate::cmd::validate_openapi);
    step(&mut results, "rust tests (incl. generated-types freshness)", || {
        let mut tests = cargo();
        if let Some(bin) = &agent_clis {
            tests.env("VIBAN_AGENT_CLIS", bin);
        }
        status_naming_failures(
            tests
                .args(["test", "--workspace", "--no-fail-fast"])
                .env("VIBAN_PG_BIN", &pg_bin)
                .env("VIBAN_NGINX_BIN", &nginx)
                .env("VIBAN_SERVER_BIN", root().join("target/debug/viban-server")),
        )
    });
    if built {
        step(&mut results, "rust integration tests on an external PostgreSQL (TLS only)", || {
            crate::external::run(&pg_bin)
        });
    }
    let ui = root().join("ui");
    step(&mut results, "ui typecheck", || status(&mut npm(&ui, &["run", "typecheck", "--silent"])));
    step(&mut results, "ui lint (eslint)", || status(&mut npm(&ui, &["run", "lint", "--silent"])));
    step(&mut results, "ui unit tests (vitest)", || status(&mut npm(&ui, &["test", "--silent"])));
    let ui_built = step(&mut results, "ui build", crate::cmd::build_ui);
    if e2e && built && ui_built {
        step(&mut results, "browser e2e (playwright + chromium)", || {
            status_naming_failures(
                Command::new("node")
                    .args(["--test", "--test-concurrency=1", "tests/e2e/"])
                    .current_dir(root())
                    .env("VIBAN_PG_BIN", &pg_bin)
                    .env("VIBAN_SERVER_BIN", root().join("target/debug/viban-server"))
                    .env("VIBAN_UI_DIR", root().join("ui/dist")),
            )
        });
    }
    if built && ui_built {
        step(&mut results, "container image (podman: the Containerfile's runtime stage on a debootstrap base)", || {
            status(
                Command::new("node")
                    .args(["--test", "tests/installers/container.test.mjs"])
                    .current_dir(root())
                    .env("VIBAN_CONTAINER_TEST", "1")
                    .env("VIBAN_PG_BIN", &pg_bin)
                    .env("VIBAN_SERVER_BIN", root().join("target/debug/viban-server"))
                    .env("VIBAN_FAKE_AGENT_BIN", root().join("target/debug/fake-agent"))
                    .env("VIBAN_UI_DIR", root().join("ui/dist")),
            )
        });
    }
    if built {
        step(&mut results, "desktop e2e (Xvfb, tray, WebDriver)", || crate::desktop::tests(&pg_bin));
        // Last: it stamps other versions into the debug desktop binary (only that crate recompiles).
        step(&mut results, "installers (clean Debian root: .deb/.rpm, update, rollback)", crate::installers::run);
    }
    step(&mut results, "hermetic (user dirs, /var/lib/viban)", || {
        if snapshot(&real) != before {
            bail!("a test touched the real viban directories: {real:?}");
        }
        let left: Vec<String> = machine_entries().difference(&machine_before).cloned().collect();
        if !left.is_empty() {
            bail!("tests left these behind in {MACHINE_DIR}: {}", left.join(", "));
        }
        Ok(())
    });
    summarize(results)
}

fn summarize(results: Vec<Outcome>) -> Result<()> {
    println!("\n==== summary");
    for r in &results {
        println!("{} {:<48} {:>6.1}s", if r.ok { "PASS" } else { "FAIL" }, r.name, r.secs);
        if let Some(e) = &r.error {
            println!("     {e}");
        }
    }
    let failed = results.iter().filter(|r| !r.ok).count();
    let passed = results.len() - failed;
    println!("xtask: {passed} passed, {failed} failed");
    if failed > 0 {
        bail!("{failed} step(s) failed");
    }
    Ok(())
}
