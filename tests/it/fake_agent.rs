//! The `fake-agent` fixture behaves as the agent tests will rely on (run here without a PTY).

use std::io::Write;
use std::process::{Command, Stdio};

/// A bin of viban-test-support, built next to viban-server (`cargo xtask test` builds both first).
fn fake_agent() -> std::path::PathBuf {
    let bin = viban_test_support::server_bin().unwrap_or_default().with_file_name("fake-agent");
    assert!(bin.is_file(), "{} is missing: run `cargo build -p viban-test-support`", bin.display());
    bin
}

#[test]
fn it_edits_files_answers_questions_and_exits_with_the_chosen_code() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let mut child = Command::new(fake_agent())
        .args(["fix the bug; rm -rf / `x` $(y)", "--write", "notes.md=hello", "--ask", "Proceed?", "--exit", "3"])
        .current_dir(dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()?;
    child.stdin.take().ok_or_else(|| anyhow::anyhow!("no stdin"))?.write_all(b"yes\n")?;
    let out = child.wait_with_output()?;
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3));
    assert!(text.contains("\x1b[1;35mfake-agent"), "prints ANSI colour: {text}");
    assert!(text.contains("task:\x1b[0m fix the bug; rm -rf / `x` $(y)"), "the prompt arrives verbatim: {text}");
    assert!(text.contains("? Proceed?") && text.contains("you said: yes"));
    assert_eq!(std::fs::read_to_string(dir.path().join("notes.md"))?, "hello\n");
    Ok(())
}

#[test]
fn it_floods_output_on_request() -> anyhow::Result<()> {
    let out = Command::new(fake_agent()).args(["--flood", "2"]).stdin(Stdio::null()).output()?;
    assert!(out.status.success());
    assert!(out.stdout.len() >= 2 * 1024 * 1024, "{} bytes", out.stdout.len());
    Ok(())
}
