//! Keeps the embedded PostgreSQL up: learns of its death from `wait()`, restarts it with backoff within a budget,
//! and publishes `Status` on a watch channel that the API, the tray and the UI show.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::pg::{EmbeddedPostgres, PgError, PgProcess};
use crate::{ServiceState, Status};

#[derive(Debug, Clone)]
pub struct RestartPolicy {
    /// Restarts allowed within `window` before giving up (Down).
    pub max_restarts: usize,
    pub window: Duration,
    pub first_backoff: Duration,
    pub max_backoff: Duration,
    /// Fast shutdown, then immediate, then kill, all within this.
    pub stop_timeout: Duration,
}

impl Default for RestartPolicy {
    fn default() -> Self {
        Self {
            max_restarts: 5,
            window: Duration::from_secs(300),
            first_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
            stop_timeout: Duration::from_secs(5),
        }
    }
}

enum Command {
    Restart,
}

/// Owns the PostgreSQL child through a background task.
pub struct Supervisor;

/// Talks to the supervising task. Dropping it does not stop PostgreSQL: call `shutdown`.
pub struct SupervisorHandle {
    status: watch::Receiver<Status>,
    commands: Option<mpsc::Sender<Command>>,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

fn publish(tx: &watch::Sender<Status>, state: ServiceState, pid: Option<i32>) {
    tx.send_modify(|s| {
        s.database = state;
        s.database_pid = pid;
    });
}

impl Supervisor {
    /// Starts PostgreSQL (the cluster must exist) and supervises it until `shutdown`.
    pub async fn start(mut pg: EmbeddedPostgres, policy: RestartPolicy) -> Result<SupervisorHandle, PgError> {
        let process = pg.start().await?;
        let (tx, rx) = watch::channel(Status {
            database: ServiceState::Ready,
            database_address: pg.address(),
            database_pid: Some(process.pid()),
        });
        let (cmd_tx, cmd_rx) = mpsc::channel(4);
        let cancel = CancellationToken::new();
        let task = tokio::spawn(supervise(pg, Some(process), policy, tx, cmd_rx, cancel.clone()));
        Ok(SupervisorHandle { status: rx, commands: Some(cmd_tx), cancel, task: Some(task) })
    }

    /// No embedded server (`--database-url`): status only, always Ready as far as the supervisor knows.
    pub fn external() -> SupervisorHandle {
        let (tx, rx) = watch::channel(Status {
            database: ServiceState::Ready,
            database_address: "external".into(),
            database_pid: None,
        });
        // Keep the sender alive for the handle's life so receivers never see a closed channel.
        let cancel = CancellationToken::new();
        let c = cancel.clone();
        let task = tokio::spawn(async move {
            c.cancelled().await;
            drop(tx);
        });
        SupervisorHandle { status: rx, commands: None, cancel, task: Some(task) }
    }
}

impl SupervisorHandle {
    pub fn status(&self) -> watch::Receiver<Status> {
        self.status.clone()
    }

    /// Stops and starts PostgreSQL again, with a fresh restart budget (the tray's "Restart services").
    pub async fn restart(&self) {
        if let Some(c) = &self.commands {
            let _ = c.send(Command::Restart).await;
        }
    }

    /// Stops PostgreSQL and the supervising task; bounded by `timeout`.
    pub async fn shutdown(mut self, timeout: Duration) {
        self.cancel.cancel();
        if let Some(task) = self.task.take()
            && tokio::time::timeout(timeout, task).await.is_err()
        {
            tracing::error!("supervisor did not stop within {timeout:?}");
        }
    }
}

async fn wait_exit(process: &mut Option<PgProcess>) -> String {
    match process {
        Some(p) => match p.wait().await {
            Ok(status) => status.to_string(),
            Err(e) => e.to_string(),
        },
        None => std::future::pending().await,
    }
}

async fn supervise(
    mut pg: EmbeddedPostgres,
    mut process: Option<PgProcess>,
    policy: RestartPolicy,
    tx: watch::Sender<Status>,
    mut commands: mpsc::Receiver<Command>,
    cancel: CancellationToken,
) {
    let mut recent: VecDeque<Instant> = VecDeque::new();
    loop {
        tokio::select! {
            how = wait_exit(&mut process) => {
                tracing::error!(%how, "PostgreSQL exited unexpectedly");
                publish(&tx, ServiceState::Degraded(format!("PostgreSQL exited ({how}); restarting")), None);
                process = restart(&mut pg, &policy, &mut recent, &tx, &cancel).await;
            }
            Some(Command::Restart) = commands.recv() => {
                if let Some(mut p) = process.take() {
                    publish(&tx, ServiceState::Degraded("restarting PostgreSQL".into()), None);
                    p.stop(policy.stop_timeout).await;
                }
                recent.clear();
                process = restart(&mut pg, &policy, &mut recent, &tx, &cancel).await;
            }
            () = cancel.cancelled() => {
                if let Some(mut p) = process.take() {
                    p.stop(policy.stop_timeout).await;
                }
                publish(&tx, ServiceState::Stopped, None);
                return;
            }
        }
    }
}

/// Starts PostgreSQL again with backoff until it is up, the budget is spent (Down), or shutdown.
async fn restart(
    pg: &mut EmbeddedPostgres,
    policy: &RestartPolicy,
    recent: &mut VecDeque<Instant>,
    tx: &watch::Sender<Status>,
    cancel: &CancellationToken,
) -> Option<PgProcess> {
    let mut backoff = policy.first_backoff;
    loop {
        while recent.front().is_some_and(|t| t.elapsed() > policy.window) {
            recent.pop_front();
        }
        if recent.len() >= policy.max_restarts {
            let reason = format!(
                "PostgreSQL failed {} times within {}s; use Restart services, and see {}",
                recent.len(),
                policy.window.as_secs(),
                pg.log_file.display()
            );
            tracing::error!("{reason}");
            publish(tx, ServiceState::Down(reason), None);
            return None;
        }
        tokio::select! {
            () = tokio::time::sleep(backoff) => {}
            () = cancel.cancelled() => return None,
        }
        recent.push_back(Instant::now());
        match pg.start().await {
            Ok(p) => {
                tracing::info!(pid = p.pid(), "PostgreSQL restarted");
                tx.send_modify(|s| s.database_address = pg.address());
                publish(tx, ServiceState::Ready, Some(p.pid()));
                return Some(p);
            }
            Err(e) => {
                tracing::error!(error = %e, "restarting PostgreSQL failed");
                publish(tx, ServiceState::Degraded(format!("restarting PostgreSQL: {e}")), None);
                backoff = (backoff * 2).min(policy.max_backoff);
            }
        }
    }
}
