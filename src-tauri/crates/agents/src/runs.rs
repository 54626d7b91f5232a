//! `Runs`: what the API and the shells call. Starting a run creates its worktree at once (so mistakes are
//! reported to the request) and queues it; the queue starts it when a slot is free (see `driver`).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::{broadcast, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use uuid::Uuid;
use viban_core::{
    FollowUp, Notifier, Run, RunKind, RunScreen, RunStatus, RuntimeKind, StartRun, TaskStatus, UpdateTask,
};
use viban_db::{ChangeFeed, Db, NewRun};
use viban_git::WorktreeWatcher;

use crate::catalog::Catalog;
use crate::error::RunError;
use crate::live::{AttachStart, Attachment, LiveRun};
use crate::procs::Ladder;
use crate::table::{RunTable, StopFound};
use crate::terminal::Terminal;
use crate::transcript::TranscriptReader;

/// Longest prompt accepted (it becomes one argv element; Linux allows 128 KiB per argument).
pub const MAX_PROMPT_BYTES: usize = 100_000;
/// Output replayed to rebuild the last screen of a finished run.
const SCREEN_REPLAY_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Clone)]
pub struct RunsConfig {
    pub db: Db,
    /// The transcript store's own pool (output writes and catch-up reads).
    pub transcripts: Db,
    pub feed: ChangeFeed,
    pub notifier: Arc<dyn Notifier>,
    pub config_dir: PathBuf,
    pub data_dir: PathBuf,
    pub shutdown: CancellationToken,
    pub ladder: Ladder,
}

pub(crate) struct Inner {
    pub db: Db,
    pub transcripts: Db,
    pub feed: ChangeFeed,
    pub notifier: Arc<dyn Notifier>,
    pub catalog: Catalog,
    pub data_dir: PathBuf,
    pub ladder: Ladder,
    pub shutdown: CancellationToken,
    /// Every run from queued to its recorded end (table.rs).
    pub table: Mutex<RunTable>,
    /// Each finished run's id (stop waits for it).
    pub finished: broadcast::Sender<Uuid>,
    /// Bumped whenever the set of active runs changes (the tray follows it).
    pub active_changed: watch::Sender<u64>,
    pub watcher: Option<WorktreeWatcher>,
    pub tasks: TaskTracker,
    /// Disk view sizes and the cleanup lock.
    pub worktrees: Arc<crate::worktrees::WorktreeState>,
    /// viban's MCP server for the agents, once the API listens.
    pub mcp: std::sync::OnceLock<Arc<dyn crate::mcp::McpAccess>>,
    /// Wakes the PR poller when a PR was opened (it sleeps while there is none).
    pub pr_opened: tokio::sync::Notify,
}

/// The agent runs of this app. Cheap to clone.
#[derive(Clone)]
pub struct Runs {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Runs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Runs")
    }
}

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, RunError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| RunError::Io(format!("background task failed: {e}")))
}

impl Runs {
    pub(crate) fn new(cfg: RunsConfig, watcher: Option<WorktreeWatcher>) -> Self {
        Self {
            inner: Arc::new(Inner {
                db: cfg.db,
                transcripts: cfg.transcripts,
                feed: cfg.feed,
                notifier: cfg.notifier,
                catalog: Catalog::new(&cfg.config_dir),
                data_dir: cfg.data_dir,
                ladder: cfg.ladder,
                shutdown: cfg.shutdown,
                table: Default::default(),
                finished: broadcast::channel(256).0,
                active_changed: watch::channel(0).0,
                watcher,
                tasks: TaskTracker::new(),
                worktrees: Default::default(),
                mcp: std::sync::OnceLock::new(),
                pr_opened: tokio::sync::Notify::new(),
            }),
        }
    }

    pub fn catalog(&self) -> &Catalog {
        &self.inner.catalog
    }

    /// Follows changes to the set of active runs.
    pub fn active_changes(&self) -> watch::Receiver<u64> {
        self.inner.active_changed.subscribe()
    }

    pub(crate) fn bump_active(&self) {
        self.inner.active_changed.send_modify(|n| *n += 1);
    }

    /// Whether a stop was asked for this started run (its end is not recorded yet).
    /// Agents started from now on get viban's MCP server (see mcp.rs).
    pub fn set_mcp(&self, access: Arc<dyn crate::mcp::McpAccess>) {
        let _ = self.inner.mcp.set(access);
    }

    pub(crate) fn stop_requested(&self, id: Uuid) -> bool {
        lock(&self.inner.table).stop_requested(id)
    }

    pub(crate) fn live(&self, id: Uuid) -> Option<Arc<LiveRun>> {
        lock(&self.inner.table).live(id)
    }

    fn worktree_root(&self) -> PathBuf {
        self.inner
            .catalog
            .profiles()
            .ok()
            .and_then(|p| p.runs.worktree_root)
            .unwrap_or_else(|| self.inner.data_dir.join("worktrees"))
    }

    /// Fills in what only memory knows: queue place and live output size.
    pub(crate) fn decorate(&self, mut run: Run) -> Run {
        if run.status == RunStatus::Queued {
            run.queue_position = lock(&self.inner.table).position(run.id).map(|p| p as i32);
        }
        if let Some(live) = self.live(run.id) {
            run.output_bytes = live.stored_bytes() as i64;
        }
        run
    }

    pub async fn get(&self, id: Uuid) -> Result<Run, RunError> {
        Ok(self.decorate(self.inner.db.get_run(id).await?))
    }

    pub async fn task_runs(&self, task_id: Uuid) -> Result<Vec<Run>, RunError> {
        self.inner.db.get_task(task_id).await?;
        Ok(self.inner.db.task_runs(task_id).await?.into_iter().map(|r| self.decorate(r)).collect())
    }

    pub async fn project_runs(&self, project_id: Uuid) -> Result<Vec<Run>, RunError> {
        self.inner.db.get_project(project_id).await?;
        Ok(self.inner.db.project_latest_runs(project_id).await?.into_iter().map(|r| self.decorate(r)).collect())
    }

    pub async fn active(&self) -> Result<Vec<Run>, RunError> {
        let mut runs: Vec<Run> = self.inner.db.active_runs().await?.into_iter().map(|r| self.decorate(r)).collect();
        runs.reverse();
        Ok(runs)
    }

    /// Checks that the agent can run here and now, with this prompt; the binary is looked up again when the run
    /// starts.
    async fn check_agent(
        &self,
        agent: &str,
        prompt: &str,
        follow_up: bool,
        (runtime, options): (Option<RuntimeKind>, viban_core::RuntimeOptions),
    ) -> Result<RuntimeKind, RunError> {
        let catalog = self.inner.catalog.clone();
        let agent = agent.to_string();
        let dash = prompt.starts_with('-');
        blocking(move || {
            let profiles = catalog.profiles().map_err(|e| RunError::BadProfile(e.to_string()))?;
            let profile = profiles.get(&agent).ok_or_else(|| RunError::UnknownAgent(agent.clone()))?;
            if let Some(problem) = &profile.problem {
                return Err(RunError::BadProfile(format!("{}: {problem}", profile.name)));
            }
            if dash && let Some(problem) = profile.dash_prompt_problem(follow_up) {
                return Err(RunError::DashPrompt(problem));
            }
            let program = profile.program().unwrap_or_default().to_string();
            let runtime = runtime.unwrap_or(profile.runtime);
            if runtime == RuntimeKind::Container {
                let def = profile.container.clone().overlay((&options.container).into());
                return container_ready(profile, &def, &profiles.container, &catalog.path_var(false)).map(|()| runtime);
            }
            if runtime == RuntimeKind::Kubernetes {
                // The command is the image's; the cluster is asked when the run starts (errors name the verb).
                let settings = profiles
                    .kubernetes
                    .as_ref()
                    .ok_or(RunError::NotInstalled(crate::kubernetes::NOT_CONFIGURED.into()))?;
                let def = profile.kubernetes.clone().overlay((&options.kubernetes).into());
                crate::kubernetes::KubeSpec::resolve(&profile.id, &def, settings).map_err(RunError::BadProfile)?;
                return Ok(runtime);
            }
            if crate::detect::which(&program, &catalog.path_var(false)).is_none() {
                let hint =
                    profile.install_hint.as_deref().map(|h| format!(" Install it with: {h}")).unwrap_or_default();
                return Err(RunError::NotInstalled(format!(
                    "{} is not installed: `{program}` was not found on your login shell's PATH.{hint}",
                    profile.name
                )));
            }
            Ok(runtime)
        })
        .await?
    }

    /// A new attempt: a worktree and branch of its own, queued to start.
    pub async fn start_run(&self, task_id: Uuid, req: StartRun) -> Result<Run, RunError> {
        check_prompt(&req.prompt)?;
        let task = self.inner.db.get_task(task_id).await?;
        let open = self.inner.db.open_blockers(task_id).await?;
        if !open.is_empty() {
            let names: Vec<String> =
                open.iter().map(|b| format!("#{} {}", &b.id.simple().to_string()[24..], b.title)).collect();
            return Err(RunError::Blocked(format!(
                "this task waits for {}: start it once they are Done",
                names.join(", ")
            )));
        }
        let project = self.inner.db.get_project(task.project_id).await?;
        // The start form's choice, else the project's default, else the agent's profile.
        let asked = req.runtime.or(project.default_runtime.runtime());
        let options = project.runtime_options.clone();
        let runtime = self.check_agent(&req.agent, &req.prompt, false, (asked, options)).await?;
        let id = Uuid::now_v7();
        let short = id.simple().to_string()[24..].to_string();
        let slug = viban_git::slug(&task.title);
        let branch = format!("viban/{slug}-{short}");
        let project_dir = format!("{}-{}", viban_git::slug(&project.name), &project.id.simple().to_string()[24..]);
        let path = self.worktree_root().join(project_dir).join(format!("{slug}-{short}"));
        let repo = PathBuf::from(&project.repo_path);
        let base = req.base.clone().filter(|b| !b.trim().is_empty()).or(project.default_branch.clone());
        let (base_ref, base_commit, warnings) = {
            let adding = self.inner.worktrees.adding_in(&repo);
            let _one_at_a_time = adding.lock().await;
            let (repo, path, branch, copy) = (repo.clone(), path.clone(), branch.clone(), project.copy_files.clone());
            blocking(move || create_worktree(&repo, &path, &branch, base, &copy)).await??
        };
        let new = NewRun {
            id,
            task_id,
            project_id: project.id,
            agent: req.agent,
            kind: RunKind::Agent,
            runtime,
            prompt: req.prompt,
            follow_up_of: None,
            worktree_path: path.display().to_string(),
            branch: branch.clone(),
            base_ref,
            base_commit,
            cols: req.cols.unwrap_or(120).clamp(20, 500),
            rows: req.rows.unwrap_or(32).clamp(5, 300),
            warnings,
        };
        let run = match self.inner.db.insert_run(&new).await {
            Ok(r) => r,
            Err(e) => {
                let adding = self.inner.worktrees.adding_in(&repo);
                let _one_at_a_time = adding.lock().await;
                let (repo, path) = (repo.clone(), path.clone());
                let _ = blocking(move || viban_git::discard_worktree(&repo, &path, &branch)).await;
                return Err(e.into());
            }
        };
        if let Some(w) = &self.inner.watcher {
            w.watch(&path);
        }
        self.move_task(task_id, &[TaskStatus::Todo, TaskStatus::InReview, TaskStatus::Done], TaskStatus::InProgress)
            .await;
        self.enqueue(run.id, run.project_id).await;
        self.get(run.id).await
    }

    /// Another run in the same worktree, with the profile's follow-up form.
    pub async fn follow_up(&self, run_id: Uuid, req: FollowUp) -> Result<Run, RunError> {
        check_prompt(&req.prompt)?;
        let prev = self.inner.db.get_run(run_id).await?;
        if self.inner.db.worktree_removed(run_id).await? || !Path::new(&prev.worktree_path).is_dir() {
            return Err(RunError::WorktreeRemoved);
        }
        if self.inner.db.active_run_in_worktree(&prev.worktree_path).await?.is_some() {
            return Err(RunError::RunActive);
        }
        let agent = req.agent.unwrap_or_else(|| prev.agent.clone());
        // Same worktree, same place: a follow-up runs where the run it follows ran.
        let options = self.inner.db.get_project(prev.project_id).await?.runtime_options;
        let runtime = self.check_agent(&agent, &req.prompt, true, (Some(prev.runtime), options)).await?;
        let new = NewRun {
            id: Uuid::now_v7(),
            task_id: prev.task_id,
            project_id: prev.project_id,
            agent,
            kind: RunKind::Agent,
            runtime,
            prompt: req.prompt,
            follow_up_of: Some(prev.id),
            worktree_path: prev.worktree_path.clone(),
            branch: prev.branch.clone(),
            base_ref: prev.base_ref.clone(),
            base_commit: self.inner.db.run_base_commit(run_id).await?,
            cols: prev.cols.clamp(20, 500) as u16,
            rows: prev.rows.clamp(5, 300) as u16,
            warnings: vec![],
        };
        let run = self.inner.db.insert_run(&new).await?;
        self.move_task(
            prev.task_id,
            &[TaskStatus::Todo, TaskStatus::InReview, TaskStatus::Done],
            TaskStatus::InProgress,
        )
        .await;
        self.enqueue(run.id, run.project_id).await;
        self.get(run.id).await
    }

    /// Moves the task to `to` if it is in one of `from` (the user's own moves win otherwise).
    pub(crate) async fn move_task(&self, task_id: Uuid, from: &[TaskStatus], to: TaskStatus) {
        let Ok(task) = self.inner.db.get_task(task_id).await else { return };
        if from.contains(&task.status)
            && let Err(e) =
                self.inner.db.update_task(task_id, UpdateTask { status: Some(to), ..Default::default() }).await
        {
            tracing::warn!(task = %task_id, error = %e, "moving the task failed");
        }
    }

    /// Queues a run whose row is written; one stopped meanwhile is recorded as stopped instead.
    pub(crate) async fn enqueue(&self, run: Uuid, project: Uuid) {
        if !lock(&self.inner.table).enqueue(run, project) {
            self.finish_unstarted(run, RunStatus::Stopped, "stopped before it started").await;
            return;
        }
        self.bump_active();
        self.pump();
    }

    /// Starts what the limits allow.
    pub(crate) fn pump(&self) {
        if self.inner.shutdown.is_cancelled() {
            return;
        }
        let settings = self.inner.catalog.profiles().map(|p| p.runs).unwrap_or_default();
        let startable = lock(&self.inner.table).take_startable(settings.max_concurrent(), settings.max_per_project());
        for id in startable {
            let runs = self.clone();
            self.inner.tasks.spawn(async move { runs.drive(id).await });
        }
    }

    /// Stops a run and returns it once its processes are gone (a queued run is just dropped).
    pub async fn stop(&self, id: Uuid) -> Result<Run, RunError> {
        let run = self.inner.db.get_run(id).await?;
        if !run.status.is_active() {
            return Err(RunError::NotActive);
        }
        if !self.stop_and_wait(id).await {
            tracing::error!(run = %id, "the run did not finish after its stop");
        }
        self.get(id).await
    }

    /// Drops a queued run, or sends the stop ladder to a started one (its group and every process carrying its
    /// marker — before the agent exists that is the setup script), then waits until its end is recorded. Whether
    /// it ended in time; a run whose row is gone counts as ended once the ladder is on its way.
    pub(crate) async fn stop_and_wait(&self, id: Uuid) -> bool {
        let mut finished = self.inner.finished.subscribe();
        let found = lock(&self.inner.table).stop(id);
        let live = match found {
            StopFound::Dropped => {
                self.finish_unstarted(id, RunStatus::Stopped, "stopped before it started").await;
                return true;
            }
            StopFound::Marked(live) => live,
            // Not in the table yet (it is refused when it arrives) or any more: the marker still finds whatever
            // carries it.
            StopFound::Absent => None,
        };
        match live {
            // The ladder here, then the runtime's container or Job (deleting a Job ends its attach stream).
            Some(live) => {
                let runs = self.clone();
                tokio::spawn(async move { runs.end_processes(&live).await });
            }
            None => {
                let ladder = self.inner.ladder;
                tokio::task::spawn_blocking(move || crate::procs::stop_ladder(None, &id.to_string(), ladder));
            }
        }
        // Subscribed above, so an end recorded from here on is seen; one recorded before shows in the row.
        match self.inner.db.get_run(id).await {
            Ok(run) if run.status.is_active() => {}
            _ => {
                lock(&self.inner.table).forget(id);
                return true;
            }
        }
        let wait = async {
            loop {
                match finished.recv().await {
                    Ok(done) if done == id => break,
                    Err(broadcast::error::RecvError::Closed) => break,
                    _ => {}
                }
            }
        };
        let ladder = self.inner.ladder;
        let deadline = ladder.after_int + ladder.after_term + ladder.after_kill + std::time::Duration::from_secs(10);
        tokio::time::timeout(deadline, wait).await.is_ok()
    }

    pub fn input(&self, id: Uuid, bytes: Vec<u8>) -> Result<(), RunError> {
        let live = self.live(id).ok_or(RunError::NotRunning)?;
        live.control().ok_or(RunError::NotRunning)?.write(bytes).map_err(|e| match e {
            crate::pty::InputError::Backlog => RunError::InputBacklog,
            crate::pty::InputError::Closed => RunError::NotRunning,
        })
    }

    pub fn resize(&self, id: Uuid, cols: u16, rows: u16) -> Result<(), RunError> {
        if !(2..=1000).contains(&cols) || !(2..=1000).contains(&rows) {
            return Err(RunError::Validation("cols and rows must be between 2 and 1000".into()));
        }
        self.live(id).ok_or(RunError::NotRunning)?.resize(cols, rows);
        Ok(())
    }

    /// A viewer: the live stream of a running agent (from `from`, or from its current screen), or the stored
    /// output of a finished (or queued) one from `from`.
    pub async fn attach(&self, id: Uuid, from: Option<u64>) -> Result<Attachment, RunError> {
        if let Some(live) = self.live(id) {
            return Ok(live.attach(from)?);
        }
        let from = from.unwrap_or(0);
        Ok(Attachment { start: AttachStart::From(from), reader: self.stored_output(id, from).await?, store: None })
    }

    /// What is stored of a run's output now, from `from` (the `.cast` export, replays).
    pub async fn stored_output(&self, id: Uuid, from: u64) -> Result<TranscriptReader, RunError> {
        if let Some(live) = self.live(id) {
            return Ok(live.transcript.snapshot(from)?);
        }
        self.inner.db.get_run(id).await?;
        let end = self.inner.transcripts.stored_end(id).await?;
        Ok(TranscriptReader::snapshot(self.inner.transcripts.clone(), id, from, end)?)
    }

    /// The current screen (live), or the last one rebuilt from the end of the transcript (finished).
    pub async fn screen(&self, id: Uuid) -> Result<RunScreen, RunError> {
        let text = match self.live(id) {
            Some(live) => live.screen(),
            None => {
                let run = self.inner.db.get_run(id).await?;
                let mut term = Terminal::new(run.cols.clamp(2, 1000) as u16, run.rows.clamp(2, 1000) as u16);
                let end = self.inner.transcripts.stored_end(id).await?;
                let from = end.saturating_sub(SCREEN_REPLAY_BYTES);
                let mut reader = TranscriptReader::snapshot(self.inner.transcripts.clone(), id, from, end)?;
                while let Some(c) = reader.next().await? {
                    term.process(&c.data);
                }
                term.text()
            }
        };
        Ok(RunScreen {
            cols: text.cols,
            rows: text.rows,
            lines: text.lines,
            cursor_row: text.cursor.0,
            cursor_col: text.cursor.1,
            offset: text.offset,
        })
    }

    /// Removes the run's worktree folder (the branch stays). Refuses uncommitted changes unless `force`.
    pub async fn remove_worktree(&self, id: Uuid, force: bool) -> Result<(), RunError> {
        let run = self.inner.db.get_run(id).await?;
        if self.inner.db.active_run_in_worktree(&run.worktree_path).await?.is_some() {
            return Err(RunError::RunActive);
        }
        self.stop_shells_in(&run).await;
        let project = self.inner.db.get_project(run.project_id).await?;
        let path = PathBuf::from(&run.worktree_path);
        if let Some(w) = &self.inner.watcher {
            w.unwatch(&path);
        }
        let repo = PathBuf::from(project.repo_path);
        let adding = self.inner.worktrees.adding_in(&repo);
        let _one_at_a_time = adding.lock().await;
        let p = path.clone();
        blocking(move || viban_git::remove_worktree(&repo, &p, force)).await??;
        self.inner.db.set_worktree_removed(&run.worktree_path).await?;
        Ok(())
    }
}

fn check_prompt(prompt: &str) -> Result<(), RunError> {
    if prompt.len() > MAX_PROMPT_BYTES {
        return Err(RunError::Validation(format!("a prompt may have at most {MAX_PROMPT_BYTES} bytes")));
    }
    if prompt.contains('\0') {
        return Err(RunError::Validation("a prompt cannot contain NUL characters".into()));
    }
    Ok(())
}

/// Checks the repository, resolves the base and creates the worktree; returns (base name, base commit, warnings).
fn create_worktree(
    repo: &Path,
    path: &Path,
    branch: &str,
    base: Option<String>,
    copy: &[String],
) -> Result<(String, String, Vec<String>), RunError> {
    viban_git::check_not_busy(repo)?;
    let base = match base {
        Some(b) => b,
        None => viban_git::current_branch(repo).ok_or(viban_git::GitError::NoCommits)?,
    };
    let commit = viban_git::resolve_commit(repo, &base)?;
    let mut warnings = Vec::new();
    if viban_git::is_dirty(repo)? {
        warnings.push(format!(
            "{} has uncommitted changes; they are not in this run's worktree (it starts from {base})",
            repo.display()
        ));
    }
    viban_git::add_worktree(repo, path, branch, &commit)?;
    match viban_git::copy_files(repo, path, copy) {
        Ok(problems) => warnings.extend(problems),
        Err(e) => {
            // Nothing of the user's is in the new worktree yet: leave no half-prepared attempt behind.
            viban_git::discard_worktree(repo, path, branch);
            return Err(e.into());
        }
    }
    Ok((base, commit, warnings))
}

/// A container profile can start: its limits make sense, an engine is there and has the image.
fn container_ready(
    profile: &crate::profile::Profile,
    def: &crate::container::ContainerDef,
    settings: &crate::container::ContainerSettings,
    path: &str,
) -> Result<(), RunError> {
    let spec = crate::container::ContainerSpec::resolve(&profile.id, def, settings).map_err(RunError::BadProfile)?;
    let engine = crate::container::Engine::find(settings, path).map_err(RunError::NotInstalled)?;
    engine.image_present(&spec.image).map_err(|e| RunError::NotInstalled(format!("{}: {e}", profile.name)))
}
