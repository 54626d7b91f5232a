//! The project's setup script, before the agent starts. Its output (stdout and stderr merged, in the order it was
//! written) reaches the run's transcript as it comes: each chunk is stored, then fed to the run's terminal and
//! broadcast to live viewers, exactly like agent output (a byte counts as shown only after it is stored). The
//! script runs in its own process group, which a stop signals as a whole.

use std::path::Path;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::io::AsyncReadExt;

use crate::live::LiveRun;
use crate::procs::{self, Ladder};
use crate::runs::Runs;

/// Setup script output kept in the transcript at most (the rest is read and dropped so the script never blocks).
const MAX_SETUP_OUTPUT: u64 = 1024 * 1024;
const READ_BUF: usize = 16 * 1024;
const HEADER: &[u8] = b"\x1b[2m$ setup script\x1b[0m\r\n";
const TRUNCATED: &[u8] = b"\r\n\x1b[2m[setup script output truncated at 1 MiB]\x1b[0m\r\n";

/// Bare "\n" becomes "\r\n" (a terminal needs both); `prev_cr` carries whether the previous chunk ended in "\r".
pub(crate) fn crlf(data: &[u8], prev_cr: &mut bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 8);
    for &b in data {
        if b == b'\n' && !*prev_cr {
            out.push(b'\r');
        }
        out.push(b);
        *prev_cr = b == b'\r';
    }
    out
}

impl Runs {
    /// Runs the setup script in the run's worktree, streaming its output into the transcript from offset 0.
    /// Errors are the words the run's `error` shows (a stopped run is recorded as stopped by the caller).
    pub(crate) async fn run_setup(
        &self,
        live: &Arc<LiveRun>,
        script: &str,
        cwd: &Path,
        env: &[(String, String)],
    ) -> Result<(), String> {
        let mut cmd = tokio::process::Command::new("/bin/sh");
        // stderr joins stdout first thing, so both arrive in one stream in the order they were written.
        cmd.arg("-c").arg(format!("exec 2>&1\n{script}")).current_dir(cwd);
        for k in crate::env::withheld() {
            cmd.env_remove(k);
        }
        cmd.envs(env.iter().cloned()).kill_on_drop(true).process_group(0);
        cmd.stdin(std::process::Stdio::null()).stdout(std::process::Stdio::piped());
        cmd.stderr(std::process::Stdio::null());
        let mut child = cmd.spawn().map_err(|e| format!("the setup script could not start: {e}"))?;
        let pgid = child.id().map(|p| p as i32);
        live.set_pgid(pgid);
        // A stop that came just before the group was known signalled only the run's marker: stop the group too.
        if self.stop_requested(live.id) {
            self.stop_group(pgid, live).await;
        }
        let streamed = match child.stdout.take() {
            Some(out) => self.stream_setup(live, out).await,
            None => Err("the setup script's output could not be read".to_string()),
        };
        if streamed.is_err() {
            self.stop_group(pgid, live).await;
        }
        let status = child.wait().await;
        live.set_pgid(None);
        streamed?;
        if self.stop_requested(live.id) {
            return Err("stopped while the setup script ran".into());
        }
        let status = status.map_err(|e| format!("waiting for the setup script failed: {e}"))?;
        if !status.success() {
            return Err(format!("the project's setup script failed ({status}); the agent was not started"));
        }
        Ok(())
    }

    /// Whatever is left of the setup script's group (and anything carrying the run's marker) goes.
    async fn stop_group(&self, pgid: Option<i32>, live: &LiveRun) {
        let run = live.id.to_string();
        let quick = Ladder {
            after_int: Duration::from_millis(300),
            after_term: Duration::from_millis(1000),
            after_kill: self.inner.ladder.after_kill,
        };
        let _ = tokio::task::spawn_blocking(move || procs::stop_ladder(pgid, &run, quick)).await;
    }

    /// Reads the script's output until it closes, storing and showing each chunk as it arrives.
    async fn stream_setup(&self, live: &LiveRun, mut out: tokio::process::ChildStdout) -> Result<(), String> {
        let mut offset = 0u64;
        self.store_setup_chunk(live, &mut offset, HEADER).await?;
        let (mut buf, mut prev_cr, mut truncated) = (vec![0u8; READ_BUF], false, false);
        loop {
            let n = match out.read(&mut buf).await {
                Ok(0) => return Ok(()),
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    tracing::warn!(run = %live.id, error = %e, "reading the setup script's output failed");
                    return Ok(());
                }
            };
            if offset >= MAX_SETUP_OUTPUT {
                if !truncated {
                    truncated = true;
                    self.store_setup_chunk(live, &mut offset, TRUNCATED).await?;
                }
                continue;
            }
            let data = crlf(&buf[..n], &mut prev_cr);
            self.store_setup_chunk(live, &mut offset, &data).await?;
        }
    }

    /// Stores one chunk through the transcript (retried while the store fails, as agent output is), then feeds
    /// the terminal. Gives up only when viban shuts down.
    async fn store_setup_chunk(&self, live: &LiveRun, offset: &mut u64, data: &[u8]) -> Result<(), String> {
        let bytes = Bytes::copy_from_slice(data);
        live.transcript
            .write(*offset, Instant::now(), bytes)
            .await
            .map_err(|e| format!("the setup script's output could not be stored: {e}"))?;
        // No stdin: the terminal's answers to queries have nobody to go to.
        let _ = live.terminal.lock().unwrap_or_else(PoisonError::into_inner).process(data);
        *offset += data.len() as u64;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::crlf;

    #[test]
    fn bare_newlines_get_a_carriage_return_across_chunks() {
        let mut cr = false;
        assert_eq!(crlf(b"a\nb\r\n", &mut cr), b"a\r\nb\r\n".to_vec());
        assert_eq!(crlf(b"c\r", &mut cr), b"c\r".to_vec());
        assert_eq!(crlf(b"\nd\n", &mut cr), b"\nd\r\n".to_vec());
    }
}
