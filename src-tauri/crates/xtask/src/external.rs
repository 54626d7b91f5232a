//! The integration suite against an external PostgreSQL (issue 13): a cluster of its own that accepts only TLS
//! (test-support's `external-pg`), each `TestApp` on a fresh database of it (`VIBAN_TEST_DATABASE_URL`). The tests
//! that are about the embedded server itself (its crashes, its account, its disk) stay on the embedded one.

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::{Context, Result};

use crate::cmd::cargo;
use crate::root;

/// The modules run again on the external server.
const SUITE: &[&str] =
    &["agents::", "api_flow", "api_security", "change_feed", "comments", "land::", "review::", "worktrees"];

pub fn run(pg_bin: &Path) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("viban-external-pg-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    // Reachable by the unprivileged PostgreSQL account when run as root.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755))?;
    let mut pg = Command::new(root().join("target/debug/external-pg"))
        .arg(&dir)
        .env("VIBAN_PG_BIN", pg_bin)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting target/debug/external-pg (built with viban-test-support)")?;
    let mut line = String::new();
    if let Some(out) = pg.stdout.take() {
        BufReader::new(out).read_line(&mut line)?;
    }
    let result = match line.trim().strip_prefix("url=") {
        Some(url) => {
            println!("external PostgreSQL (TLS only) up; running {SUITE:?} against it");
            crate::failures::status_naming_failures(
                cargo()
                    .args(["test", "-q", "--workspace", "--test", "it", "--"])
                    .args(SUITE)
                    .env("VIBAN_TEST_DATABASE_URL", url)
                    .env("VIBAN_PG_BIN", pg_bin)
                    .env("VIBAN_SERVER_BIN", root().join("target/debug/viban-server")),
            )
        }
        None => Err(anyhow::anyhow!("external-pg did not print its URL")),
    };
    // Closing its stdin stops the cluster.
    drop(pg.stdin.take());
    let _ = pg.wait();
    let _ = std::fs::remove_dir_all(&dir);
    // A cluster kept in /var/lib/viban for that home goes with it.
    let _ = Command::new(root().join("target/debug/viban-server"))
        .args(["doctor", "--clean"])
        .env("VIBAN_PG_BIN", pg_bin)
        .output();
    result
}
