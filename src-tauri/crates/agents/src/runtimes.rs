//! Where a run's agent runs: one `Runtime` trait, three implementations — `Local` (a PTY on this machine),
//! `InContainer` (the same PTY around the engine's `run -it`) and `OnCluster` (a Kubernetes Job attached over the
//! API). Each gives back the same handles a PTY does (input and resize, the output pipe, the exit), so everything
//! above — terminal state, transcript, offsets, queue, notifications, review — does not know which one ran it.
//! Reaping after a crash is per runtime (lifecycle.rs): there is no runtime object for a run of a dead process.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;
use uuid::Uuid;
use viban_core::{Run, RuntimeKind};

use crate::container::{ContainerSpec, Engine, WrapIds};
use crate::kubernetes::{Cluster, KubeSettings, KubeSpec};
use crate::live::LiveRun;
use crate::pipe::OutputPipe;
use crate::pty::{Exit, PtyControl, SpawnSpec};
use crate::runs::Runs;

pub(crate) type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What a runtime starts: the run, its live state, the agent's argv and environment, the setup script (for a
/// runtime that runs it where the agent runs).
pub(crate) struct Launch<'a> {
    pub runs: &'a Runs,
    pub run: &'a Run,
    pub live: &'a Arc<LiveRun>,
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub setup: &'a str,
}

/// A started agent: the same handles whatever runs it.
pub(crate) struct Session {
    pub control: PtyControl,
    pub output: Arc<OutputPipe>,
    pub exit: oneshot::Receiver<Exit>,
    /// The local process group to signal (None: nothing of the run is a process here).
    pub pgid: Option<i32>,
}

pub(crate) trait Runtime: Send + Sync {
    fn kind(&self) -> RuntimeKind;

    /// Whether the project's setup script runs on this machine before `launch` (a pod runs it itself).
    fn setup_here(&self) -> bool {
        true
    }

    fn launch<'a>(&'a self, launch: Launch<'a>) -> BoxFuture<'a, Result<Session, String>>;

    /// Why the run ended badly, when the runtime knows more than the exit code. Asked before `remove`.
    fn end_reason(&self, _run: Uuid, _code: Option<i32>) -> BoxFuture<'static, Option<String>> {
        Box::pin(async { None })
    }

    /// Removes what the run has outside this machine's process tree (its container, its Job). Called after the
    /// stop ladder, on every way a run ends; doing it twice is harmless.
    fn remove(&self, _run: Uuid) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

/// The run's PTY around `argv`; with `console`, handed to the child as fd 3 instead (`pty::spawn_console`).
fn spawn_pty(launch: &Launch<'_>, argv: Vec<String>, console: bool) -> Result<Session, String> {
    let (cols, rows) = launch.live.terminal.lock().unwrap_or_else(PoisonError::into_inner).size();
    let (cwd, env) = (PathBuf::from(&launch.run.worktree_path), launch.env.clone());
    let spec = SpawnSpec { argv, cwd, env, cols, rows };
    let terminal = launch.live.terminal.clone();
    let started = if console { crate::pty::spawn_console(&spec, terminal) } else { crate::pty::spawn(&spec, terminal) };
    let (control, output, exit, pid) = started.map_err(|e| e.to_string())?.control();
    Ok(Session { control, output, exit, pgid: Some(pid) })
}

/// Today's PTY on the host, as the user.
pub(crate) struct Local;

impl Runtime for Local {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Local
    }

    fn launch<'a>(&'a self, launch: Launch<'a>) -> BoxFuture<'a, Result<Session, String>> {
        Box::pin(async move {
            let argv = launch.argv.clone();
            spawn_pty(&launch, argv, false)
        })
    }
}

/// The agent in a container (container.rs), through the engine's TTY in the run's PTY.
pub(crate) struct InContainer {
    pub engine: Engine,
    pub spec: ContainerSpec,
}

impl Runtime for InContainer {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Container
    }

    fn launch<'a>(&'a self, launch: Launch<'a>) -> BoxFuture<'a, Result<Session, String>> {
        Box::pin(async move {
            let inner = &launch.runs.inner;
            let ids = WrapIds { run: launch.run.id, home: crate::container::home_label(&inner.data_dir) };
            let cwd = PathBuf::from(&launch.run.worktree_path);
            crate::container::mountable(&cwd)?;
            let wrapped = self.engine.wrap(&self.spec, &ids, &cwd, &launch.env, &launch.argv);
            let detail = format!("{} · {}", self.spec.image, self.spec.limits());
            inner.db.set_run_runtime(launch.run.id, self.kind().as_str(), &detail).await.map_err(|e| e.to_string())?;
            let direct = self.engine.console(&self.spec) == crate::container::Console::Direct;
            spawn_pty(&launch, wrapped, direct)
        })
    }

    fn end_reason(&self, run: Uuid, code: Option<i32>) -> BoxFuture<'static, Option<String>> {
        let engine = self.engine.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || crate::container::end_reason(&engine, run, code)).await.ok().flatten()
        })
    }

    fn remove(&self, run: Uuid) -> BoxFuture<'static, ()> {
        let engine = self.engine.clone();
        Box::pin(async move {
            if tokio::task::spawn_blocking(move || engine.remove(run)).await.unwrap_or(false) {
                tracing::info!(%run, "removed the run's container");
            }
        })
    }
}

/// How long a stopped pod gets to commit and push what its agent did after the Ctrl-C, before its Job goes.
const STOP_GRACE: Duration = Duration::from_secs(15);

/// The attached pod, for a stop: its terminal, and whether its end (work pushed and fetched) was seen.
pub(crate) struct PodLink {
    pub control: OnceLock<PtyControl>,
    pub ended: tokio::sync::watch::Sender<bool>,
}

/// The agent as a Kubernetes Job (kubernetes.rs, kube_session.rs).
pub(crate) struct OnCluster {
    pub spec: KubeSpec,
    pub settings: KubeSettings,
    /// Known once connected: a stop while the pod is pending deletes the Job through it.
    cluster: OnceLock<Cluster>,
    pub link: Arc<PodLink>,
}

impl OnCluster {
    pub fn new(spec: KubeSpec, settings: KubeSettings) -> Self {
        let link = Arc::new(PodLink { control: OnceLock::new(), ended: tokio::sync::watch::Sender::new(false) });
        Self { spec, settings, cluster: OnceLock::new(), link }
    }
}

impl Runtime for OnCluster {
    fn kind(&self) -> RuntimeKind {
        RuntimeKind::Kubernetes
    }

    fn setup_here(&self) -> bool {
        false
    }

    fn launch<'a>(&'a self, launch: Launch<'a>) -> BoxFuture<'a, Result<Session, String>> {
        Box::pin(crate::kube_session::launch(self, launch))
    }

    /// A pod's agent has no process here for the ladder: it gets a Ctrl-C through its TTY, so the pod's script
    /// still commits and pushes its work (brought back into the worktree), and then the Job goes either way.
    fn remove(&self, run: Uuid) -> BoxFuture<'static, ()> {
        let (cluster, link) = (self.cluster.get().cloned(), self.link.clone());
        Box::pin(async move {
            let Some(cluster) = cluster else { return };
            if let Some(control) = link.control.get()
                && !*link.ended.borrow()
                && control.write(vec![0x03]).is_ok()
            {
                let mut ended = link.ended.subscribe();
                let _ = tokio::time::timeout(STOP_GRACE, ended.wait_for(|e| *e)).await;
            }
            crate::kubernetes::delete_job(&cluster, &crate::kubernetes::job_name(run)).await;
        })
    }
}

impl OnCluster {
    pub(crate) fn connected(&self, cluster: Cluster) {
        let _ = self.cluster.set(cluster);
    }
}
