//! The update guard: waits for the version that installed the update to exit, then for the new version to report
//! healthy (its `server.json` says the new version and `GET /api/health` answers 200) within the deadline;
//! otherwise stops the new version, reinstalls the kept package, records the version as skipped and starts the
//! app again.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::files::bare_version;
use crate::install::on_path;
use crate::procs::{pid_alive, processes_with_exe, terminate_all};
use crate::{
    InstallCommand, Installer, Outcome, OutcomeKind, PendingUpdate, Result, ServerInfo, SystemInstaller, UpdateDir,
    UpdateError, kept_for, prune_kept, read_json, spawn_detached,
};

/// One health request may take this long (a hung server counts as not healthy yet).
const HEALTH_TIMEOUT: Duration = Duration::from_secs(2);

/// How the guard runs; [`Default`] is what `viban-server update-guard` uses.
#[derive(Clone)]
pub struct GuardOptions {
    /// Overrides the pending record's `deadline_secs`.
    pub deadline: Option<Duration>,
    /// Reinstalls the kept package ([`SystemInstaller`]: dpkg/rpm through pkexec or sudo when not root).
    pub installer: Arc<dyn Installer>,
    /// Default: `<data>/server.json`, `<data>` being the folder above the pending file's `updates/`.
    pub server_json: Option<PathBuf>,
    /// The restarted app's stdout/stderr are appended here; None discards them.
    pub app_log: Option<PathBuf>,
    /// Between SIGTERM and SIGKILL when stopping the new version.
    pub kill_grace: Duration,
    /// Between two looks at the old process and at the new version's health.
    pub poll: Duration,
}

impl Default for GuardOptions {
    fn default() -> Self {
        Self {
            deadline: None,
            installer: Arc::new(SystemInstaller),
            server_json: None,
            app_log: None,
            kill_grace: Duration::from_secs(5),
            poll: Duration::from_millis(200),
        }
    }
}

impl std::fmt::Debug for GuardOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GuardOptions")
            .field("deadline", &self.deadline)
            .field("server_json", &self.server_json)
            .field("app_log", &self.app_log)
            .field("kill_grace", &self.kill_grace)
            .field("poll", &self.poll)
            .finish_non_exhaustive()
    }
}

/// Guards the update recorded at `pending_path` (`<data>/updates/pending.json`). Returns the outcome it wrote to
/// `outcome.json`: [`OutcomeKind::Updated`], [`OutcomeKind::RolledBack`] or, when the reinstall itself failed,
/// [`OutcomeKind::RollbackFailed`] (its reason names the command to run). Errors change nothing on disk: a
/// malformed or missing record, the old process still running at the deadline, or the record withdrawn meanwhile.
pub async fn guard(pending_path: &Path, opts: GuardOptions) -> Result<Outcome> {
    let pending: PendingUpdate = read_json(pending_path, "pending update record")?
        .ok_or_else(|| UpdateError::NoPending(pending_path.to_path_buf()))?;
    let updates_dir = pending_path.parent().map(Path::to_path_buf).unwrap_or_default();
    let updates = UpdateDir::new(&updates_dir);
    let server_json = opts.server_json.clone().unwrap_or_else(|| {
        updates_dir.parent().map(|data| data.join("server.json")).unwrap_or_else(|| PathBuf::from("server.json"))
    });
    let deadline = opts.deadline.unwrap_or(Duration::from_secs(pending.deadline_secs));
    tracing::info!(from = %pending.from, to = %pending.to, old_pid = pending.old_pid, deadline = %secs(deadline),
        "guarding the update");
    wait_for_old(&pending, pending_path, deadline, opts.poll).await?;
    match watch(&pending, pending_path, &server_json, deadline, opts.poll).await? {
        Verdict::Healthy(after) => {
            let outcome = Outcome::new(
                OutcomeKind::Updated,
                &pending,
                format!("viban {} reported healthy {} after the previous version exited", pending.to, secs(after)),
            );
            updates.save_outcome(&outcome)?;
            updates.clear_pending()?;
            tracing::info!(to = %pending.to, "the update is healthy");
            // The previous version's package is no longer needed; the new one's (downloaded) is, for the next.
            let new_one = kept_for(&updates.kept_dir(), &pending.to);
            prune(&updates, new_one.as_deref());
            Ok(outcome)
        }
        Verdict::Failed(reason) => Ok(roll_back(&pending, &updates, &server_json, &opts, reason).await),
    }
}

enum Verdict {
    Healthy(Duration),
    Failed(String),
}

enum Probe {
    Healthy,
    Waiting(String),
    /// The new version wrote its server.json and is gone: no point waiting for the deadline.
    Died(String),
}

async fn wait_for_old(pending: &PendingUpdate, pending_path: &Path, deadline: Duration, poll: Duration) -> Result<()> {
    let pid = pending.old_pid;
    if pid == std::process::id() {
        return Ok(());
    }
    let until = Instant::now() + deadline;
    while pid_alive(pid) {
        if !pending_path.exists() {
            return Err(UpdateError::Cancelled(pending_path.to_path_buf()));
        }
        if Instant::now() >= until {
            return Err(UpdateError::OldStillRunning { pid, secs: deadline.as_secs() });
        }
        tokio::time::sleep(poll).await;
    }
    tracing::info!(pid, "the previous version exited");
    Ok(())
}

async fn watch(
    pending: &PendingUpdate,
    pending_path: &Path,
    server_json: &Path,
    deadline: Duration,
    poll: Duration,
) -> Result<Verdict> {
    let client = reqwest::Client::builder()
        .timeout(HEALTH_TIMEOUT)
        .no_proxy()
        .build()
        .map_err(|e| UpdateError::Command { command: "the HTTP client".into(), detail: e.to_string() })?;
    let started = Instant::now();
    let mut last = String::from("it was not checked even once");
    loop {
        match probe(&client, server_json, &pending.to).await {
            Probe::Healthy => return Ok(Verdict::Healthy(started.elapsed())),
            Probe::Died(why) => {
                return Ok(Verdict::Failed(format!("viban {} stopped before reporting healthy: {why}", pending.to)));
            }
            Probe::Waiting(why) => {
                if why != last {
                    tracing::info!("not healthy yet: {why}");
                    last = why;
                }
            }
        }
        if !pending_path.exists() {
            return Err(UpdateError::Cancelled(pending_path.to_path_buf()));
        }
        let left = deadline.saturating_sub(started.elapsed());
        if left.is_zero() {
            let reason = format!("viban {} did not report healthy within {}: {last}", pending.to, secs(deadline));
            return Ok(Verdict::Failed(reason));
        }
        tokio::time::sleep(poll.min(left)).await;
    }
}

async fn probe(client: &reqwest::Client, server_json: &Path, to: &str) -> Probe {
    let info: ServerInfo = match read_json(server_json, "server file") {
        Ok(Some(info)) => info,
        Ok(None) => return Probe::Waiting(format!("no server.json: viban {to} has not started its server")),
        Err(e) => return Probe::Waiting(e.to_string()),
    };
    if bare_version(&info.version) != bare_version(to) {
        let gone = if pid_alive(info.pid) { "" } else { ", from a process that is gone" };
        return Probe::Waiting(format!("server.json still says {}{gone}", info.version));
    }
    let url = format!("{}/api/health", info.url.trim_end_matches('/'));
    let mut request = client.get(&url);
    if !info.token.is_empty() {
        request = request.bearer_auth(&info.token);
    }
    match request.send().await {
        Ok(resp) if resp.status().as_u16() == 200 => match reported_version(resp).await {
            Some(v) if bare_version(&v) != bare_version(to) => {
                Probe::Waiting(format!("{url} answered for version {v}"))
            }
            _ => Probe::Healthy,
        },
        Ok(resp) => Probe::Waiting(format!("{url} answered {}", resp.status())),
        Err(e) if e.is_connect() && !pid_alive(info.pid) => {
            Probe::Died(format!("its process (pid {}) exited and nothing is listening at {}", info.pid, info.url))
        }
        Err(e) if e.is_connect() => Probe::Waiting(format!("nothing is listening at {}", info.url)),
        Err(e) if e.is_timeout() => Probe::Waiting(format!("{url} did not answer within {}", secs(HEALTH_TIMEOUT))),
        Err(e) => Probe::Waiting(format!("{url} failed: {e}")),
    }
}

/// The `version` of a health answer, when it has one.
async fn reported_version(resp: reqwest::Response) -> Option<String> {
    let body: serde_json::Value = resp.json().await.ok()?;
    body.get("version")?.as_str().map(str::to_string)
}

/// Stop the new version, reinstall the kept one, skip the new one, tell, restart. Every step is attempted even if
/// an earlier file write failed (logged): putting the working version back matters most.
async fn roll_back(
    pending: &PendingUpdate,
    updates: &UpdateDir,
    server_json: &Path,
    opts: &GuardOptions,
    reason: String,
) -> Outcome {
    tracing::warn!(%reason, "rolling back to {}", pending.from);
    stop_new_version(pending, server_json, opts.kill_grace).await;
    let reinstalled = reinstall(pending, opts.installer.clone()).await;
    log_failure("record the skipped version", updates.skip(&pending.to));
    let mut outcome = match &reinstalled {
        Ok(()) => Outcome::new(
            OutcomeKind::RolledBack,
            pending,
            format!("{reason}. viban {} was put back and {} will not be offered again", pending.from, pending.to),
        ),
        Err(e) => Outcome::new(OutcomeKind::RollbackFailed, pending, format!("{reason}. {e}")),
    };
    log_failure("write the outcome", updates.save_outcome(&outcome));
    log_failure("remove the pending record", updates.clear_pending());
    if reinstalled.is_err() {
        tracing::error!("{}", outcome.reason);
        notify("viban could not put the previous version back", &outcome.reason);
        return outcome;
    }
    // Back on the kept version: the failed version's download is of no use any more.
    prune(updates, Some(&pending.kept));
    if let Err(e) = spawn_detached(&pending.app_exe, &pending.app_args, opts.app_log.as_deref()) {
        tracing::error!("{e}");
        outcome.reason = format!("{}; it could not be started again ({e}): start it from the menu", outcome.reason);
        log_failure("write the outcome", updates.save_outcome(&outcome));
    } else {
        tracing::info!(exe = %pending.app_exe.display(), "started viban {} again", pending.from);
    }
    outcome
}

async fn stop_new_version(pending: &PendingUpdate, server_json: &Path, grace: Duration) {
    let mut pids = Vec::new();
    if let Ok(Some(info)) = read_json::<ServerInfo>(server_json, "server file")
        && bare_version(&info.version) == bare_version(&pending.to)
        && info.pid != 0
        && info.pid != std::process::id()
    {
        pids.push(info.pid);
    }
    for pid in processes_with_exe(&pending.app_exe) {
        if !pids.contains(&pid) {
            pids.push(pid);
        }
    }
    let left = terminate_all(&pids, grace).await;
    if !left.is_empty() {
        tracing::error!(?left, "these processes of the new version could not be stopped");
    }
}

async fn reinstall(pending: &PendingUpdate, installer: Arc<dyn Installer>) -> Result<()> {
    let command = InstallCommand::reinstall(pending.format, &pending.kept);
    if !pending.kept.is_file() {
        return Err(UpdateError::Reinstall {
            command: command.display(&["sudo"]),
            detail: format!("the kept package {} is missing", pending.kept.display()),
        });
    }
    let shown = command.display(&[]);
    tokio::task::spawn_blocking(move || installer.install(&command))
        .await
        .map_err(|e| UpdateError::Reinstall { command: shown, detail: format!("the installer crashed: {e}") })?
}

fn prune(updates: &UpdateDir, keep: Option<&Path>) {
    let keep: Vec<&Path> = keep.into_iter().collect();
    for removed in prune_kept(&updates.kept_dir(), &keep) {
        tracing::info!(removed = %removed.display(), "removed a kept package that is no longer needed");
    }
}

fn log_failure(what: &str, result: Result<()>) {
    if let Err(e) = result {
        tracing::error!("could not {what}: {e}");
    }
}

/// A desktop notification when nobody else will say it (best effort; `notify-send` may not be installed).
fn notify(title: &str, body: &str) {
    if let Some(program) = on_path("notify-send") {
        let _ = spawn_detached(&program, &["--app-name=viban", title, body], None);
    }
}

fn secs(d: Duration) -> String {
    if d.subsec_millis() == 0 { format!("{} s", d.as_secs()) } else { format!("{:.1} s", d.as_secs_f64()) }
}
