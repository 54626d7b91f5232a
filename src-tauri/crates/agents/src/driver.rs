//! One run from leaving the queue to its recorded end: setup script (setup.rs), spawn in a PTY, ledger entry, output to the
//! store, `wait()`, leftovers stopped, status and notification.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;
use viban_core::{Run, RunKind, RunStatus, RuntimeKind, TaskStatus};
use viban_db::{CardMove, DbError, RunEnd};

use crate::container::{ContainerSpec, Engine};
use crate::kubernetes::KubeSpec;
use crate::live::{LiveRun, RunIds, store_output};
use crate::procs::{self, Ladder, MARKER_VAR};
use crate::pty::Exit;
use crate::runs::{Runs, lock};
use crate::runtimes::{InContainer, Launch, Local, OnCluster, Runtime, Session};
use crate::terminal::Terminal;
use crate::transcript::{StoreTrouble, Transcript};

/// What a run starts: the argv and environment, and where it runs.
struct Launched {
    argv: Vec<String>,
    env: Vec<(String, String)>,
    runtime: Arc<dyn Runtime>,
}

/// After the agent exited, how long its output may still take to reach the store (grandchildren can hold the PTY;
/// a full disk or a restarting database pauses the store).
const DRAIN: Duration = Duration::from_secs(60);

pub(crate) struct Trouble(pub(crate) Runs);

impl StoreTrouble for Trouble {
    fn paused(&self, run: Uuid, error: &DbError) {
        tracing::error!(%run, %error, "storing output failed; the agent's output is paused until it works again");
        if matches!(error, DbError::DiskFull(_)) {
            self.0.inner.notifier.notify(
                "Disk full: an agent is paused",
                "viban cannot store its output. Free some disk space; it continues on its own, nothing is lost.",
            );
        }
    }
    fn resumed(&self, run: Uuid) {
        tracing::info!(%run, "storing output works again");
    }
}

impl Runs {
    pub(crate) async fn drive(&self, id: Uuid) {
        let end = match self.prepare_and_spawn(id).await {
            Ok(live) => self.supervise(live.0, live.1, live.2).await,
            Err(message) => {
                RunEnd { status: RunStatus::Failed, exit_code: None, error: Some(message), output_bytes: 0 }
            }
        };
        let end = if self.stop_requested(id) && end.status == RunStatus::Failed && end.exit_code.is_none() {
            RunEnd { status: RunStatus::Stopped, error: None, ..end }
        } else {
            end
        };
        // An automation script stopped by its timeout failed; it was not stopped by anyone.
        let timed_out = self.live(id).map(|l| l.timed_out_after.load(Ordering::SeqCst)).unwrap_or(0);
        let end = if timed_out > 0 && end.status == RunStatus::Stopped {
            let why = format!("timed out after {timed_out} s: the script was stopped");
            RunEnd { status: RunStatus::Failed, error: Some(why), ..end }
        } else {
            end
        };
        self.record_end(id, end).await;
    }

    async fn record_end(&self, id: Uuid, end: RunEnd) {
        // A full disk or a restarting database must not leave a finished run marked running: retry until it lands
        // (or viban stops; the next start then marks it interrupted).
        let mut backoff = Duration::from_millis(100);
        loop {
            // A succeeded agent run moves its card to In Review in the same transaction.
            let attempt = async {
                let run = self.inner.db.get_run(id).await?;
                let card = (end.status == RunStatus::Succeeded && run.kind.is_agent()).then(|| CardMove {
                    task_id: run.task_id,
                    from: vec![TaskStatus::InProgress],
                    to: TaskStatus::InReview,
                });
                self.inner.db.finish_run(id, &end, card.as_ref()).await
            };
            let e = match attempt.await {
                Ok(()) => break,
                // Deleted with its task meanwhile: nothing left to record.
                Err(DbError::NotFound(_)) => break,
                Err(e) => e,
            };
            tracing::error!(run = %id, error = %e, "recording the run's end failed; retrying");
            tokio::select! {
                () = tokio::time::sleep(backoff) => {}
                () = self.inner.shutdown.cancelled() => break,
            }
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
        let ended = lock(&self.inner.table).end(id);
        if let Some(live) = ended.and_then(|e| e.live) {
            live.close();
        }
        self.bump_active();
        let _ = self.inner.finished.send(id);
        if let Ok(run) = self.inner.db.get_run(id).await {
            self.automation_run_ended(&run).await;
            self.after_end(&run).await;
        }
        self.pump();
    }

    /// A run that never got a process (stopped while queued, or failed before spawning).
    pub(crate) async fn finish_unstarted(&self, id: Uuid, status: RunStatus, why: &str) {
        let end = RunEnd { status, exit_code: None, error: Some(why.to_string()), output_bytes: 0 };
        self.record_end(id, end).await;
    }

    async fn after_end(&self, run: &Run) {
        if !run.kind.is_agent() {
            // The user's own shell or an automation's script: the card, the change count and the notifications
            // belong to the agents (a failed script is told by `automation_run_ended`).
            return;
        }
        // The card moved with the run's end (`record_end`); the changed-file count runs git.
        self.recount(Path::new(&run.worktree_path)).await;
        let title = self.inner.db.get_task(run.task_id).await.map(|t| t.title).unwrap_or_default();
        match run.status {
            RunStatus::Succeeded => {
                self.inner.notifier.notify(&format!("{} finished", run.agent), &format!("{title}: ready for review"));
            }
            RunStatus::Failed => {
                let why = run.error.clone().unwrap_or_else(|| "failed".into());
                self.inner.notifier.notify(&format!("{} failed", run.agent), &format!("{title}: {why}"));
            }
            _ => {}
        }
    }

    /// Recomputes a worktree's changed-file count (from the watcher, or when a run ends).
    pub(crate) async fn recount(&self, worktree: &Path) {
        let Ok(Some(run_id)) = self.inner.db.latest_run_in_worktree(&worktree.display().to_string()).await else {
            return;
        };
        let Ok(base) = self.inner.db.run_base_commit(run_id).await else { return };
        let dir = worktree.to_path_buf();
        let count = tokio::task::spawn_blocking(move || viban_git::changed_files(&dir, &base)).await;
        if let Ok(Ok(n)) = count {
            let _ = self.inner.db.set_changed_files(&worktree.display().to_string(), n as i32).await;
        }
    }

    /// Up to the spawned process; errors are the words the run's `error` shows. The run is live (viewers can
    /// attach, a stop reaches it) from before its setup script starts.
    async fn prepare_and_spawn(
        &self,
        id: Uuid,
    ) -> Result<(Arc<LiveRun>, Arc<crate::pipe::OutputPipe>, tokio::sync::oneshot::Receiver<Exit>), String> {
        let db = &self.inner.db;
        let run = db.get_run(id).await.map_err(|e| e.to_string())?;
        db.set_run_starting(id).await.map_err(|e| e.to_string())?;
        let project = db.get_project(run.project_id).await.map_err(|e| e.to_string())?;
        let (follow_up, shell) = (run.follow_up_of.is_some(), !run.kind.is_agent());
        let Launched { argv, mut env, runtime } = self.command_for(&run, &project.runtime_options).await?;
        env.push((MARKER_VAR.into(), id.to_string()));
        env.push(("VIBAN_TASK_ID".into(), run.task_id.to_string()));
        let (cols, rows) = (run.cols.clamp(2, 1000) as u16, run.rows.clamp(2, 1000) as u16);
        let terminal = Arc::new(Mutex::new(Terminal::new(cols, rows)));
        let transcript = Arc::new(Transcript::new(
            id,
            self.inner.transcripts.clone(),
            Instant::now(),
            Arc::new(Trouble(self.clone())),
            self.inner.shutdown.child_token(),
        ));
        let ids = RunIds { run: id, task: run.task_id, project: run.project_id };
        let live = Arc::new(LiveRun::new(ids, terminal, transcript));
        live.shell.store(shell, Ordering::SeqCst);
        // Before anything starts: a stop from here on reaches whatever the runtime makes.
        live.set_runtime(runtime.clone());
        lock(&self.inner.table).set_live(live.clone());
        self.bump_active();
        let setup = if follow_up || shell { "" } else { project.setup_script.as_str() };
        if runtime.setup_here() && !setup.trim().is_empty() {
            self.run_setup(&live, setup, Path::new(&run.worktree_path), &env).await?;
        }
        if self.stop_requested(id) {
            return Err("stopped before it started".into());
        }
        let launch = Launch { runs: self, run: &run, live: &live, argv, env, setup };
        let Session { control, output, exit, pgid } = match runtime.launch(launch).await {
            Ok(s) => s,
            Err(e) => {
                runtime.remove(id).await;
                return Err(e);
            }
        };
        let ticks = pgid.and_then(procs::start_ticks).unwrap_or(0);
        // -1: nothing of the run is a process here (a pod); the ledger and the ladder leave it alone.
        let pid = pgid.unwrap_or(-1);
        live.set_agent(pid, control);
        if let Err(e) = db.set_run_running(id, pid, ticks, &procs::boot_id()).await {
            // Not in the ledger means nobody could reap it after a crash: do not let it run.
            self.end_processes(&live).await;
            return Err(format!("could not record the run: {e}"));
        }
        if self.stop_requested(id) {
            // A stop that came while the agent was being started found nothing to signal yet.
            let (runs, live) = (self.clone(), live.clone());
            tokio::spawn(async move { runs.end_processes(&live).await });
        }
        self.bump_active();
        Ok((live, output, exit))
    }

    /// The stop ladder to the run's processes here, then whatever its runtime keeps elsewhere.
    pub(crate) async fn end_processes(&self, live: &LiveRun) {
        let (pgid, run, ladder) = (live.pgid(), live.id, self.inner.ladder);
        let _ = tokio::task::spawn_blocking(move || procs::stop_ladder(pgid, &run.to_string(), ladder)).await;
        if let Some(runtime) = live.runtime() {
            runtime.remove(run).await;
        }
    }

    /// The agent's (or shell's) argv and environment, from its profile as it is now, and the container it runs in
    /// when its profile says so.
    async fn command_for(&self, run: &Run, options: &viban_core::RuntimeOptions) -> Result<Launched, String> {
        let options = options.clone();
        let catalog = self.inner.catalog.clone();
        let (agent, prompt, follow_up) = (run.agent.clone(), run.prompt.clone(), run.follow_up_of.is_some());
        let (kind, runtime) = (run.kind, run.runtime);
        let (mcp, run_id, data_dir) = (self.inner.mcp.get().cloned(), run.id, self.inner.data_dir.clone());
        tokio::task::spawn_blocking(move || {
            let path = catalog.path_var(false);
            if kind == RunKind::Shell {
                let (argv, env) = (crate::shell::argv(), vec![("PATH".into(), path)]);
                return Ok(Launched { argv, env, runtime: Arc::new(Local) });
            }
            if kind == RunKind::Script {
                // The automation's script (the run's prompt), by the same shell a setup script runs in.
                let argv = vec!["/bin/sh".into(), "-c".into(), prompt];
                return Ok(Launched { argv, env: vec![("PATH".into(), path)], runtime: Arc::new(Local) });
            }
            let profiles = catalog.profiles().map_err(|e| e.to_string())?;
            let profile = profiles.get(&agent).ok_or_else(|| format!("there is no agent profile {agent:?}"))?;
            let program = profile.program().unwrap_or_default();
            let mut env: Vec<(String, String)> = profile.env.clone().into_iter().collect();
            env.push(("PATH".into(), path.clone()));
            if runtime == RuntimeKind::Container {
                // The command is the image's, not this machine's.
                let def = profile.container.clone().overlay((&options.container).into());
                let spec = ContainerSpec::resolve(&profile.id, &def, &profiles.container)?;
                let engine = Engine::find(&profiles.container, &path)?;
                let argv = profile.argv(program, &prompt, follow_up)?;
                return Ok(Launched { argv, env, runtime: Arc::new(InContainer { engine, spec }) });
            }
            if runtime == RuntimeKind::Kubernetes {
                let settings = profiles.kubernetes.clone().ok_or(crate::kubernetes::NOT_CONFIGURED)?;
                let def = profile.kubernetes.clone().overlay((&options.kubernetes).into());
                let spec = KubeSpec::resolve(&profile.id, &def, &settings)?;
                let argv = profile.argv(program, &prompt, follow_up)?;
                return Ok(Launched { argv, env, runtime: Arc::new(OnCluster::new(spec, settings)) });
            }
            let found = crate::detect::which(program, &path)
                .ok_or_else(|| format!("{}: `{program}` was not found on your login shell's PATH", profile.name))?;
            // The profile may have changed since the run was queued: argv checks the prompt's place again.
            let mut argv = profile.argv(&found.to_string_lossy(), &prompt, follow_up)?;
            // On this machine only: the API listens on loopback, which a container or a pod does not share.
            crate::mcp::configure(mcp.as_ref(), profile, run_id, &data_dir, (&mut argv, &mut env));
            Ok::<_, String>(Launched { argv, env, runtime: Arc::new(Local) })
        })
        .await
        .map_err(|e| e.to_string())?
    }

    /// From spawn to the end: store output, wait for the exit, stop leftovers, let the output drain.
    async fn supervise(
        &self,
        live: Arc<LiveRun>,
        output: Arc<crate::pipe::OutputPipe>,
        exit: tokio::sync::oneshot::Receiver<Exit>,
    ) -> RunEnd {
        let store = tokio::spawn(store_output(live.clone(), output));
        let exit = exit.await.unwrap_or(Exit { code: None, signal: None, reason: None });
        // Anything the agent left behind (grandchildren, daemons) goes with it.
        let (pgid, run) = (live.pgid(), live.id.to_string());
        let quick = Ladder {
            after_int: Duration::from_millis(300),
            after_term: Duration::from_millis(1000),
            after_kill: self.inner.ladder.after_kill,
        };
        // Asked before the container is removed, which forgets why it ended.
        let runtime = live.runtime();
        let runtime_end = match &runtime {
            Some(r) => r.end_reason(live.id, exit.code).await,
            None => None,
        };
        let _ = tokio::task::spawn_blocking(move || procs::stop_ladder(pgid, &run, quick)).await;
        if let Some(r) = runtime {
            r.remove(live.id).await;
        }
        let stored = match tokio::time::timeout(DRAIN, store).await {
            Ok(Ok(end)) => end,
            _ => {
                tracing::warn!(run = %live.id, "output did not end after the agent exited; closing the run");
                live.stored_bytes()
            }
        };
        let stopped = self.stop_requested(live.id);
        let (status, error) = match (&exit, stopped) {
            (_, true) => (RunStatus::Stopped, None),
            (Exit { reason: Some(why), .. }, false) => (RunStatus::Failed, Some(why.clone())),
            (_, false) if runtime_end.is_some() => (RunStatus::Failed, runtime_end),
            (Exit { code: Some(0), .. }, false) => (RunStatus::Succeeded, None),
            (Exit { code: Some(c), .. }, false) => (RunStatus::Failed, Some(format!("the agent exited with code {c}"))),
            (Exit { signal: Some(s), .. }, false) => (RunStatus::Failed, Some(format!("the agent was killed ({s})"))),
            _ => (RunStatus::Failed, Some("the agent ended without an exit status".into())),
        };
        RunEnd { status, exit_code: exit.code, error, output_bytes: stored as i64 }
    }
}
