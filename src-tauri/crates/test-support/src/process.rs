use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::Reply;

/// The `viban-server` binary as a separate process, for what only a process can show: signals, `kill -9`,
/// a second instance, the exact stdout line.
pub struct ServerProcess {
    child: Child,
    pub home: PathBuf,
    pub url: String,
    pub token: String,
    pub pid: i32,
    client: reqwest::Client,
}

/// `VIBAN_SERVER_BIN`, else the debug build in this workspace (`cargo xtask test` builds it first).
pub fn server_bin() -> anyhow::Result<PathBuf> {
    let bin = std::env::var_os("VIBAN_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../target/debug/viban-server")));
    anyhow::ensure!(bin.is_file(), "{} is missing: run `cargo build -p viban-server` first", bin.display());
    Ok(bin)
}

fn command(home: &Path, args: &[&str]) -> anyhow::Result<Command> {
    command_of(&server_bin()?, home, args)
}

fn command_of(bin: &Path, home: &Path, args: &[&str]) -> anyhow::Result<Command> {
    let mut cmd = Command::new(bin);
    cmd.arg("serve").arg("--home").arg(home).args(args);
    cmd.env_remove("VIBAN_HOME").env_remove("VIBAN_DATABASE_URL").env_remove("VIBAN_TOKEN");
    cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(false);
    Ok(cmd)
}

impl ServerProcess {
    /// Starts `viban-server serve --home HOME ARGS…` and waits for its `listening on` line.
    pub async fn spawn(home: &Path, args: &[&str]) -> anyhow::Result<Self> {
        Self::spawn_with_env(home, args, &[]).await
    }

    /// `spawn` with extra environment variables.
    pub async fn spawn_with_env(home: &Path, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Self> {
        crate::open_temp_parents(home)?;
        Self::start(home, args, env).await
    }

    /// `spawn` without opening the home's parents (see `open_temp_parents`): as root, a home below a private temp
    /// dir then keeps its cluster in /var/lib/viban. For tests of exactly that; they remove the cluster themselves.
    pub async fn spawn_with_closed_parents(home: &Path, args: &[&str]) -> anyhow::Result<Self> {
        Self::start(home, args, &[]).await
    }

    /// Starts another binary (e.g. a self-contained copy) as a machine with nothing else would: an empty
    /// environment but `PATH=/usr/bin:/bin` and `HOME`, which is the home.
    pub async fn spawn_alone(bin: &Path, home: &Path, args: &[&str]) -> anyhow::Result<Self> {
        crate::open_temp_parents(home)?;
        let mut cmd = command_of(bin, home, args)?;
        cmd.env_clear().env("PATH", "/usr/bin:/bin").env("HOME", home);
        Self::start_command(cmd, home).await
    }

    async fn start(home: &Path, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Self> {
        let mut cmd = command(home, args)?;
        cmd.envs(env.iter().copied());
        Self::start_command(cmd, home).await
    }

    async fn start_command(mut cmd: Command, home: &Path) -> anyhow::Result<Self> {
        let mut child = cmd.spawn()?;
        let pid = child.id().and_then(|p| i32::try_from(p).ok()).unwrap_or(0);
        let stdout = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let mut stderr = child.stderr.take().ok_or_else(|| anyhow::anyhow!("no stderr"))?;
        // Keep draining stderr so the server never blocks on a full pipe.
        let stderr_text = tokio::spawn(async move {
            let mut s = String::new();
            let _ = stderr.read_to_string(&mut s).await;
            s
        });
        let mut lines = BufReader::new(stdout).lines();
        let first = tokio::time::timeout(Duration::from_secs(60), lines.next_line()).await;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let url = match first {
            Ok(Ok(Some(line))) => line
                .strip_prefix("viban-server listening on ")
                .map(str::to_string)
                .ok_or_else(|| anyhow::anyhow!("unexpected first line: {line}"))?,
            other => {
                let _ = child.start_kill();
                let _ = child.wait().await;
                let err = stderr_text.await.unwrap_or_default();
                anyhow::bail!("viban-server did not start ({other:?}); stderr:\n{err}");
            }
        };
        let file: Value = serde_json::from_slice(&std::fs::read(home.join("server.json"))?)?;
        let token = file["token"].as_str().unwrap_or_default().to_string();
        anyhow::ensure!(file["url"].as_str() == Some(url.as_str()), "server.json disagrees with stdout: {file}");
        Ok(Self { child, home: home.to_path_buf(), url, token, pid, client: reqwest::Client::new() })
    }

    /// Runs a server that is expected to fail at start; returns its exit status and stderr.
    pub async fn expect_failure(
        home: &Path,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> anyhow::Result<(ExitStatus, String)> {
        crate::open_temp_parents(home)?;
        let mut cmd = command(home, args)?;
        cmd.envs(env.iter().copied());
        let out = tokio::time::timeout(Duration::from_secs(60), cmd.output()).await??;
        Ok((out.status, String::from_utf8_lossy(&out.stderr).into_owned()))
    }

    pub fn signal(&self, sig: Signal) {
        let _ = kill(Pid::from_raw(self.pid), sig);
    }

    pub async fn wait_exit(&mut self, deadline: Duration) -> anyhow::Result<ExitStatus> {
        Ok(tokio::time::timeout(deadline, self.child.wait()).await??)
    }

    pub async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Reply> {
        let mut req = self.client.request(method, format!("{}{path}", self.url)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status: StatusCode = res.status();
        let bytes = res.bytes().await?;
        Ok(Reply { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) })
    }
}

impl Drop for ServerProcess {
    /// A failed test must not leave a server or its PostgreSQL behind.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            self.signal(Signal::SIGTERM);
            for _ in 0..100 {
                if !matches!(self.child.try_wait(), Ok(None)) {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = self.child.start_kill();
        }
        let outside = viban_runtime::pg::outside::root_for_home(&self.home).join("data");
        for data in [self.home.join("pg/data"), outside] {
            for pid in crate::processes_in(&data) {
                let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
            }
        }
        // A test that deleted its home before this drop: its cluster kept outside goes too.
        if !self.home.exists() {
            viban_runtime::pg::outside::remove_for_home(&self.home);
        }
    }
}
