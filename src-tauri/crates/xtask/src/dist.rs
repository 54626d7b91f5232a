//! `cargo xtask dist`: the self-contained `viban-server` — the release build, stripped, with the portable
//! PostgreSQL and the built UI packed into it by its own `pack` command (see the server crate's `payload`).

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result};

use crate::cmd::{build_ui, cargo, status};
use crate::root;

pub fn dist(debug: bool) -> Result<PathBuf> {
    let ready = crate::setup::all()?;
    build_ui()?;
    let profile = if debug { "debug" } else { "release" };
    let mut build = cargo();
    build.args(["build", "-p", "viban-server", "--bin", "viban-server"]);
    if !debug {
        build.arg("--release");
    }
    status(&mut build)?;
    let out_dir = root().join("target/dist");
    std::fs::create_dir_all(&out_dir)?;
    // Symbols are a third of the binary and nobody debugs the download: packed from a stripped copy.
    let stripped = out_dir.join("viban-server.stripped");
    let built = root().join("target").join(profile).join("viban-server");
    std::fs::copy(&built, &stripped).with_context(|| format!("copying {}", built.display()))?;
    status(Command::new("strip").arg("--strip-all").arg(&stripped))?;
    let native = ready.pg_bin.parent().context("PostgreSQL bin dir has no parent")?;
    let out = out_dir.join("viban-server");
    let packed = status(
        Command::new(&stripped)
            .arg("pack")
            .arg("--postgres")
            .arg(native)
            .arg("--ui")
            .arg(root().join("ui/dist"))
            .arg("--out")
            .arg(&out),
    );
    let _ = std::fs::remove_file(&stripped);
    packed?;
    println!("self-contained viban-server ({profile}): {}", out.display());
    println!("run it anywhere (Linux x64, glibc): ./viban-server serve --open");
    Ok(out)
}
