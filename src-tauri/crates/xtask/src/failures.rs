//! Runs a test command and names what failed in its error. CI keeps only the tail of the output, where the
//! summary is: a failed step must say which tests failed and why, not only the runner's exit status.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

/// At most this many failures are named in the summary; the full output is above it.
const NAMED: usize = 12;

/// What a test runner's stdout says failed: cargo's libtest (`test x ... FAILED`, `thread 'x' panicked at`) and
/// node's TAP reporter (`not ok 3 - x`), in the order they were printed.
#[derive(Default)]
struct Failures {
    lines: Vec<String>,
    /// The line after `panicked at …:`, or after a TAP `error: |-`, is the failure's message.
    message_next: bool,
    /// Inside a TAP failure's YAML block, before its `error:` line.
    tap_error_pending: bool,
}

impl Failures {
    fn read(&mut self, line: &str) {
        let trimmed = line.trim();
        if std::mem::take(&mut self.message_next) && !trimmed.is_empty() {
            self.push(format!("    {}", clip(trimmed)));
        }
        if self.tap_error_pending {
            if let Some(error) = trimmed.strip_prefix("error: ") {
                self.tap_error_pending = false;
                match error {
                    "|-" | "|" | ">-" | ">" => self.message_next = true,
                    _ => self.push(format!("    {}", clip(error))),
                }
            } else if trimmed == "..." {
                self.tap_error_pending = false;
            }
        }
        let libtest_name = trimmed
            .strip_prefix("test ")
            .and_then(|t| t.strip_suffix(" ... FAILED"))
            // With `-q` only the failure's captured output names it.
            .or_else(|| trimmed.strip_prefix("---- ").and_then(|t| t.strip_suffix(" stdout ----")));
        if let Some(name) = libtest_name {
            self.push(format!("FAILED {name}"));
        } else if trimmed.starts_with("thread '") && trimmed.contains("' panicked at ") {
            self.push(format!("  {}", clip(trimmed)));
            self.message_next = trimmed.ends_with(':');
        } else if let Some(rest) = trimmed.strip_prefix("not ok ") {
            // TAP: `not ok N - name`; a subtest's failure is nested and indented, its parent fails too.
            let name = rest.split_once(" - ").map_or(rest, |(_, n)| n);
            self.push(format!("FAILED {}", clip(name)));
            self.tap_error_pending = true;
        }
    }

    fn push(&mut self, line: String) {
        if self.lines.len() < NAMED * 3 && !self.lines.contains(&line) {
            self.lines.push(line);
        }
    }
}

fn clip(s: &str) -> String {
    const MAX: usize = 240;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// Like `cmd::status`, with stdout passed through line by line and the failures it names added to the error.
pub fn status_naming_failures(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let mut child = cmd.stdout(Stdio::piped()).spawn().with_context(|| format!("could not run {shown}"))?;
    let mut failures = Failures::default();
    if let Some(out) = child.stdout.take() {
        let mut stdout = std::io::stdout().lock();
        for line in BufReader::new(out).split(b'\n') {
            let line = String::from_utf8_lossy(&line.context("reading the test output")?).into_owned();
            // Passed through even if our own stdout is gone: the child must not block on a full pipe.
            let _ = writeln!(stdout, "{line}");
            failures.read(&line);
        }
    }
    let st = child.wait().with_context(|| format!("waiting for {shown}"))?;
    if st.success() {
        return Ok(());
    }
    if failures.lines.is_empty() {
        bail!("{shown} failed ({st})");
    }
    bail!("{shown} failed ({st}):\n{}", failures.lines.join("\n"))
}

#[cfg(test)]
mod tests {
    use super::Failures;

    fn read(text: &str) -> Vec<String> {
        let mut f = Failures::default();
        text.lines().for_each(|l| f.read(l));
        f.lines
    }

    #[test]
    fn names_libtest_failures_with_their_panic_message() {
        let out = "test a::ok ... ok\ntest agents::runs::lands ... FAILED\n\nfailures:\n\n---- agents::runs::lands stdout \
                   ----\n\nthread 'agents::runs::lands' panicked at tests/src/agents/runs.rs:88:5:\nassertion `left == \
                   right` failed\n  left: 1\n\nfailures:\n    agents::runs::lands\n";
        assert_eq!(
            read(out),
            [
                "FAILED agents::runs::lands",
                "  thread 'agents::runs::lands' panicked at tests/src/agents/runs.rs:88:5:",
                "    assertion `left == right` failed",
            ]
        );
    }

    #[test]
    fn names_quiet_libtest_failures() {
        let out = "..F.\nfailures:\n\n---- mcp::token stdout ----\nthread 'mcp::token' panicked at tests/src/mcp.rs:9:1:\nboom\n";
        assert_eq!(
            read(out),
            ["FAILED mcp::token", "  thread 'mcp::token' panicked at tests/src/mcp.rs:9:1:", "    boom"]
        );
    }

    #[test]
    fn names_tap_failures_with_their_error_once() {
        let out = "ok 1 - board\n    not ok 2 - drags a card\n      ---\n      location: 'x'\n      error: |-\n        \
                   card did not move\n        second line\n      ...\nnot ok 3 - board.test.mjs\n  ---\n  error: '1 \
                   subtest failed'\n  ...\nnot ok 3 - board.test.mjs\n";
        assert_eq!(
            read(out),
            ["FAILED drags a card", "    card did not move", "FAILED board.test.mjs", "    '1 subtest failed'"]
        );
    }

    #[test]
    fn passing_output_names_nothing() {
        assert!(read("running 3 tests\ntest a ... ok\ntest result: ok. 3 passed\nok 1 - x\n").is_empty());
    }
}
