//! `cargo deny` in the test command: licences, bans and sources always; advisories only when an offline snapshot
//! of the RustSec database sits beside the checkout (`../shared/rustsec-advisory-db`: `crates/` and a `SNAPSHOT`
//! file holding "<commit> <ISO date>"). The database lives only on GitHub, which builds here cannot reach, and no
//! package registry they can reach ships it; without a snapshot the step says so instead of passing silently.

use std::process::Command;

use anyhow::{Context, Result};

use crate::cmd::status;
use crate::root;

/// Where cargo-deny looks for the database of its default url, under `db-path` (deny.toml).
const DB_DIR: &str = "target/advisory-dbs/advisory-db-3157b0e258782691";

fn deny(args: &[&str]) -> Result<()> {
    // Errors only: the 48 duplicate-version warnings (mostly tauri's) show with `cargo deny check bans`.
    status(
        Command::new("cargo-deny")
            .current_dir(root())
            .args(["--offline", "--locked", "-L", "error", "check"])
            .args(args),
    )
}

pub fn check() -> Result<()> {
    deny(&["licenses", "bans", "sources"])?;
    let snapshot = root().join("../shared/rustsec-advisory-db");
    let Ok(stamp) = std::fs::read_to_string(snapshot.join("SNAPSHOT")) else {
        println!(
            "cargo deny: advisories NOT checked: there is no offline RustSec snapshot at {} (the database is only on \
             GitHub, out of reach here)",
            snapshot.display()
        );
        return Ok(());
    };
    let date = stamp.split_whitespace().nth(1).context("SNAPSHOT should hold \"<commit> <ISO date>\"")?;
    // cargo-deny opens the database as it is on disk (`--offline`) and dates it by .git/FETCH_HEAD's mtime.
    let db = root().join(DB_DIR);
    let _ = std::fs::remove_dir_all(&db);
    std::fs::create_dir_all(db.join(".git"))?;
    status(Command::new("cp").arg("-r").arg(snapshot.join("crates")).arg(&db))?;
    std::fs::write(db.join(".git/FETCH_HEAD"), "")?;
    status(Command::new("touch").arg("-d").arg(date).arg(db.join(".git/FETCH_HEAD")))?;
    println!("cargo deny: advisories from the RustSec snapshot of {date}");
    deny(&["advisories"])
}
