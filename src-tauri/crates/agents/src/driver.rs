//! One run from leaving the queue to its recorded end: setup script (setup.rs), spawn in a PTY, ledger entry, output to the
//! store, `wait()`, leftovers stopped, status and notification.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use uuid::Uuid;
use viban_core::{Run, RunKind, RunStatus, RuntimeKind, TaskStatus};
use viban_db::{CardMove, DbError, RunEnd};

use crate::container::{ContainerSpec, Engine, WrapIds};
use crate::kubernetes::{KubeSettings, KubeSpec};
use crate::live::{LiveRun, RunIds, store_output};
use crate::procs::{self, Ladder, MARKER_VAR};
use crate::pty::{Exit, SpawnSpec};
use crate::runs::{Runs, lock};
use crate::terminal::Terminal;
use crate::transcript::{StoreTrouble, Transcript};

/// What a run starts: the argv and environment, and the container engine and limits when it runs in one.
struct Launched {
    argv: Vec<String>,
    env: Vec<(String, String)>,
    container: Option<(Engine, ContainerSpec)>,
    kubernetes: Option<(KubeSpec, KubeSettings)>,
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
                let card = (end.status == RunStatus::Succeeded && run.kind != RunKind::Shell).then(|| CardMove {
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
        if run.kind == RunKind::Shell {
            // The user's own shell: the card, the change count and the notifications belong to the agents.
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
        let (follow_up, shell) = (run.follow_up_of.is_some(), run.kind == RunKind::Shell);
        let Launched { argv, mut env, container, kubernetes } = self.command_for(&run).await?;
        env.push((MARKER_VAR.into(), id.to_string()));
        env.push(("VIBAN_TASK_ID".into(), run.task_id.to_string()));
        let cwd = PathBuf::from(&run.worktree_path);
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
        lock(&self.inner.table).set_live(live.clone());
        self.bump_active();
        if let Some((spec, settings)) = kubernetes {
            // The setup script runs in the pod, where the agent works.
            let setup = if follow_up { "" } else { project.setup_script.as_str() };
            let (started, control, output, exit) =
                self.start_on_cluster(&run, &live, (spec, settings), (&argv, &env), setup).await?;
            live.set_agent(-1, control);
            db.set_run_running(id, -1, 0, &procs::boot_id()).await.map_err(|e| e.to_string())?;
            if self.stop_requested(id) {
                tokio::spawn(crate::kubernetes::remove_for(id));
            }
            self.bump_active();
            tracing::info!(run = %id, pod = %started, "the run's pod is attached");
            return Ok((live, output, exit));
        }
        if !follow_up && !shell && !project.setup_script.trim().is_empty() {
            self.run_setup(&live, &project.setup_script, &cwd, &env).await?;
        }
        if self.stop_requested(id) {
            return Err("stopped before it started".into());
        }
        // The terminal may have been resized while the setup script ran.
        let (cols, rows) = live.terminal.lock().unwrap_or_else(PoisonError::into_inner).size();
        let argv = match container {
            Some((engine, limits)) => {
                let ids = WrapIds { run: id, home: crate::container::home_label(&self.inner.data_dir) };
                let wrapped = engine.wrap(&limits, &ids, &cwd, &env, &argv);
                db.set_run_runtime(
                    id,
                    RuntimeKind::Container.as_str(),
                    &format!("{} · {}", limits.image, limits.limits()),
                )
                .await
                .map_err(|e| e.to_string())?;
                crate::container::register(id, engine);
                wrapped
            }
            None => argv,
        };
        let spec = SpawnSpec { argv, cwd, env, cols, rows };
        let (control, output, exit, pid) = match crate::pty::spawn(&spec, live.terminal.clone()) {
            Ok(p) => p.control(),
            Err(e) => {
                // No container was made; forget the one it would have been.
                let run = id.to_string();
                tokio::task::spawn_blocking(move || crate::container::remove_for(&run));
                return Err(e.to_string());
            }
        };
        let ticks = procs::start_ticks(pid).unwrap_or(0);
        live.set_agent(pid, control);
        if let Err(e) = db.set_run_running(id, pid, ticks, &procs::boot_id()).await {
            // Not in the ledger means nobody could reap it after a crash: do not let it run.
            let ladder = self.inner.ladder;
            let _ = tokio::task::spawn_blocking(move || procs::stop_ladder(Some(pid), &id.to_string(), ladder)).await;
            return Err(format!("could not record the run: {e}"));
        }
        if self.stop_requested(id) {
            // A stop that came while the process was being started found nothing to signal yet.
            let ladder = self.inner.ladder;
            tokio::task::spawn_blocking(move || procs::stop_ladder(Some(pid), &id.to_string(), ladder));
        }
        self.bump_active();
        Ok((live, output, exit))
    }

    /// The agent's (or shell's) argv and environment, from its profile as it is now, and the container it runs in
    /// when its profile says so.
    async fn command_for(&self, run: &Run) -> Result<Launched, String> {
        let catalog = self.inner.catalog.clone();
        let (agent, prompt, follow_up) = (run.agent.clone(), run.prompt.clone(), run.follow_up_of.is_some());
        let (shell, runtime) = (run.kind == RunKind::Shell, run.runtime);
        tokio::task::spawn_blocking(move || {
            let path = catalog.path_var(false);
            if shell {
                let (argv, env) = (crate::shell::argv(), vec![("PATH".into(), path)]);
                return Ok(Launched { argv, env, container: None, kubernetes: None });
            }
            let profiles = catalog.profiles().map_err(|e| e.to_string())?;
            let profile = profiles.get(&agent).ok_or_else(|| format!("there is no agent profile {agent:?}"))?;
            let program = profile.program().unwrap_or_default();
            let mut env: Vec<(String, String)> = profile.env.clone().into_iter().collect();
            env.push(("PATH".into(), path.clone()));
            if runtime == RuntimeKind::Container {
                // The command is the image's, not this machine's.
                let spec = ContainerSpec::resolve(&profile.id, &profile.container, &profiles.container)?;
                let engine = Engine::find(&profiles.container, &path)?;
                let argv = profile.argv(program, &prompt, follow_up)?;
                return Ok(Launched { argv, env, container: Some((engine, spec)), kubernetes: None });
            }
            if runtime == RuntimeKind::Kubernetes {
                let settings = profiles.kubernetes.clone().ok_or(crate::kubernetes::NOT_CONFIGURED)?;
                let spec = KubeSpec::resolve(&profile.id, &profile.kubernetes, &settings)?;
                let argv = profile.argv(program, &prompt, follow_up)?;
                return Ok(Launched { argv, env, container: None, kubernetes: Some((spec, settings)) });
            }
            let found = crate::detect::which(program, &path)
                .ok_or_else(|| format!("{}: `{program}` was not found on your login shell's PATH", profile.name))?;
            // The profile may have changed since the run was queued: argv checks the prompt's place again.
            let argv = profile.argv(&found.to_string_lossy(), &prompt, follow_up)?;
            Ok::<_, String>(Launched { argv, env, container: None, kubernetes: None })
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
        // Asked before the ladder removes the container, which forgets why it ended.
        let container_end = {
            let (run, code) = (run.clone(), exit.code);
            tokio::task::spawn_blocking(move || crate::container::end_reason(&run, code)).await.ok().flatten()
        };
        let _ = tokio::task::spawn_blocking(move || procs::stop_ladder(pgid, &run, quick)).await;
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
            (_, false) if container_end.is_some() => (RunStatus::Failed, container_end),
            (Exit { code: Some(0), .. }, false) => (RunStatus::Succeeded, None),
            (Exit { code: Some(c), .. }, false) => (RunStatus::Failed, Some(format!("the agent exited with code {c}"))),
            (Exit { signal: Some(s), .. }, false) => (RunStatus::Failed, Some(format!("the agent was killed ({s})"))),
            _ => (RunStatus::Failed, Some("the agent ended without an exit status".into())),
        };
        RunEnd { status, exit_code: exit.code, error, output_bytes: stored as i64 }
    }
}

/// What `start_on_cluster` hands back: the pod ("name on node") and the terminal's handles.
type ClusterStart =
    (String, crate::pty::PtyControl, Arc<crate::pipe::OutputPipe>, tokio::sync::oneshot::Receiver<Exit>);

impl Runs {
    /// A Kubernetes run up to its attached pod: the cluster, the project's remote and base commit, the Job.
    async fn start_on_cluster(
        &self,
        run: &Run,
        live: &Arc<LiveRun>,
        (spec, settings): (KubeSpec, KubeSettings),
        (argv, env): (&[String], &[(String, String)]),
        setup: &str,
    ) -> Result<ClusterStart, String> {
        let db = &self.inner.db;
        let detail = format!("{} · {}", spec.image, spec.limits());
        db.set_run_runtime(run.id, RuntimeKind::Kubernetes.as_str(), &detail).await.map_err(|e| e.to_string())?;
        let worktree = PathBuf::from(&run.worktree_path);
        let (dir, remote) = (worktree.clone(), spec.remote.clone());
        let (remote_url, author) = tokio::task::spawn_blocking(move || {
            let url = viban_git::runner::text_ok(&dir, &["remote", "get-url", &remote]).map_err(|_| {
                format!(
                    "the project has no remote {remote:?}: a Kubernetes run gets its code from the project's remote. \
                     Add one the cluster can reach and push the base commit"
                )
            })?;
            let get = |key: &str| viban_git::runner::text_ok(&dir, &["config", "--get", key]).ok();
            Ok::<_, String>((url, (get("user.name"), get("user.email"))))
        })
        .await
        .map_err(|e| e.to_string())??;
        let base = db.run_base_commit(run.id).await.map_err(|e| e.to_string())?;
        let cluster = crate::kubernetes::Cluster::connect(&settings).await?;
        if let Some(secret) = &spec.git_secret {
            crate::kubernetes::check_secret(&cluster, secret).await?;
        }
        let home = crate::container::home_label(&self.inner.data_dir);
        let job = crate::kubernetes::job(&crate::kubernetes::JobInput {
            run: run.id,
            home: &home,
            spec: &spec,
            argv,
            env,
            remote_url: &remote_url,
            base: &base,
            branch: &run.branch,
            setup,
            author,
        });
        let back = crate::kube_session::FetchBack { worktree, remote_url, branch: run.branch.clone() };
        let started = crate::kube_session::start(cluster, job, live, spec.start_timeout, back).await?;
        let detail = format!("{detail} · pod {} on {}", started.pod, started.node);
        db.set_run_runtime(run.id, RuntimeKind::Kubernetes.as_str(), &detail).await.map_err(|e| e.to_string())?;
        let pod = format!("{} on {}", started.pod, started.node);
        Ok((pod, started.control, started.output, started.exit))
    }
}
