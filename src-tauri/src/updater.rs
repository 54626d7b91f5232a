//! Self-update, wired over `tauri-plugin-updater` (check, download, signature, install) and `viban-update` (the
//! kept package, the pending record and the guard that rolls back a version that does not come up healthy).
//! The state is published on the API's `UpdateHub` so the board shows it; the tray shows it too.

use std::sync::Arc;
use std::time::Duration;

use tauri::menu::MenuItem;
use tauri::{AppHandle, Manager};
use tauri_plugin_updater::{Update, UpdaterExt};
use viban_api::UpdateHub;
use viban_core::{AppPaths, UpdateOffer, UpdateOutcome, UpdateOutcomeKind, UpdatePhase, UpdateProgress, UpdateState};
use viban_update::{OutcomeKind, PackageFormat, PendingUpdate, UpdateDir};

use crate::updater_endpoint::{self, Endpoint};

/// How often a running viban looks for a new version.
const CHECK_EVERY: Duration = Duration::from_secs(6 * 3600);
/// A manifest server that does not answer in this time counts as unreachable.
const CHECK_TIMEOUT: Duration = Duration::from_secs(20);
/// How long the new version has to report healthy before the guard puts the old one back
/// (`VIBAN_UPDATE_DEADLINE_SECS` shortens it for tests).
const HEALTH_DEADLINE_SECS: u64 = 90;

fn health_deadline_secs() -> u64 {
    std::env::var("VIBAN_UPDATE_DEADLINE_SECS").ok().and_then(|v| v.parse().ok()).unwrap_or(HEALTH_DEADLINE_SECS)
}

/// The updater's state, kept in Tauri's state map.
pub struct Updater {
    hub: Arc<UpdateHub>,
    dir: UpdateDir,
    paths: AppPaths,
    state: std::sync::Mutex<UpdateState>,
    /// The verified download, waiting for the next quit or Restart to update.
    ready: tokio::sync::Mutex<Option<(Update, Vec<u8>)>>,
    /// One check or download at a time.
    busy: tokio::sync::Mutex<()>,
    tray_item: std::sync::Mutex<Option<MenuItem<tauri::Wry>>>,
}

fn package_format() -> Option<PackageFormat> {
    match tauri::utils::platform::bundle_type() {
        Some(tauri::utils::config::BundleType::Deb) => Some(PackageFormat::Deb),
        Some(tauri::utils::config::BundleType::Rpm) => Some(PackageFormat::Rpm),
        _ => None,
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn core_outcome(o: &viban_update::Outcome) -> UpdateOutcome {
    let kind = match o.kind {
        OutcomeKind::Updated => UpdateOutcomeKind::Updated,
        OutcomeKind::RolledBack => UpdateOutcomeKind::RolledBack,
        OutcomeKind::RollbackFailed | OutcomeKind::InstallFailed => UpdateOutcomeKind::InstallFailed,
    };
    let reason = (!o.reason.is_empty()).then(|| o.reason.clone());
    UpdateOutcome { kind, from: o.from.clone(), to: o.to.clone(), reason, at: o.at.to_rfc3339() }
}

impl Updater {
    pub fn new(hub: Arc<UpdateHub>, paths: &AppPaths, version: &str) -> Self {
        let dir = UpdateDir::of(paths);
        let (supported, why) = match package_format() {
            Some(_) => (true, None),
            None => (
                false,
                Some(
                    "this viban was not installed from a .deb or .rpm: update it the way you installed it".to_string(),
                ),
            ),
        };
        let state = UpdateState {
            supported,
            why_unsupported: why,
            current_version: version.to_string(),
            ..UpdateState::default()
        };
        let me = Self {
            hub,
            dir,
            paths: paths.clone(),
            state: std::sync::Mutex::new(state),
            ready: tokio::sync::Mutex::new(None),
            busy: tokio::sync::Mutex::new(()),
            tray_item: std::sync::Mutex::new(None),
        };
        me.reload_files();
        me
    }

    /// Settings, skipped versions and the last outcome, from `<data>/updates/`.
    fn reload_files(&self) {
        let settings = self.dir.load_settings().unwrap_or_default();
        let skipped = self.dir.load_skipped().map(|s| s.versions).unwrap_or_default();
        let outcome = self.dir.load_outcome().ok().flatten().map(|o| core_outcome(&o));
        self.edit(|s| {
            s.channel = settings.channel;
            s.endpoint = updater_endpoint::resolve(&settings).ok().map(|e| e.url.to_string());
            s.skipped = skipped;
            s.last_outcome = outcome;
        });
    }

    fn edit(&self, f: impl FnOnce(&mut UpdateState)) {
        let snapshot = {
            let Ok(mut s) = self.state.lock() else { return };
            f(&mut s);
            s.clone()
        };
        if let Ok(item) = self.tray_item.lock()
            && let Some(item) = item.as_ref()
        {
            let (text, enabled) = tray_line(&snapshot);
            let _ = item.set_text(text);
            let _ = item.set_enabled(enabled);
        }
        self.hub.publish(snapshot);
    }

    pub fn snapshot(&self) -> UpdateState {
        self.state.lock().map(|s| s.clone()).unwrap_or_default()
    }

    pub fn attach_tray(&self, item: MenuItem<tauri::Wry>) {
        if let Ok(mut slot) = self.tray_item.lock() {
            *slot = Some(item);
        }
        self.edit(|_| {});
    }

    fn fail(&self, phase_error: String) {
        tracing::warn!(error = %phase_error, "update");
        self.edit(|s| {
            s.phase = UpdatePhase::Error;
            s.error = Some(phase_error);
            s.progress = None;
        });
    }
}

/// The tray item's text and whether it can be clicked.
pub fn tray_line(s: &UpdateState) -> (String, bool) {
    let offered = s.offer.as_ref().map(|o| o.version.as_str()).unwrap_or("");
    match s.phase {
        _ if !s.supported => ("Updates: managed by your package manager".into(), false),
        UpdatePhase::Checking => ("Checking for updates…".into(), false),
        UpdatePhase::Downloading => match s.progress {
            Some(UpdateProgress { downloaded, total: Some(t) }) if t > 0 => {
                (format!("Downloading {offered}… {}%", downloaded * 100 / t), false)
            }
            _ => (format!("Downloading {offered}…"), false),
        },
        UpdatePhase::Available | UpdatePhase::Ready => (format!("Restart to update ({offered})"), true),
        // A failed install keeps its download: the item tries again.
        UpdatePhase::Error if s.offer.is_some() => (format!("Restart to update ({offered})"), true),
        UpdatePhase::Installing => (format!("Installing {offered}…"), false),
        UpdatePhase::Idle | UpdatePhase::UpToDate | UpdatePhase::Error => ("Check for updates".into(), true),
    }
}

/// Called once the services run: tells the user what the last update did, finishes a quit-time install's health
/// check, and checks now and every 6 hours.
pub fn start(app: &AppHandle) {
    let updater = app.state::<Arc<Updater>>().inner().clone();
    announce_outcome(app, &updater);
    watch_quit_install(&updater);
    if !updater.snapshot().supported {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        loop {
            check(&app).await;
            tokio::time::sleep(CHECK_EVERY).await;
        }
    });
}

fn announce_outcome(app: &AppHandle, updater: &Updater) {
    let Some(outcome) = updater.snapshot().last_outcome else { return };
    let (title, body) = match outcome.kind {
        UpdateOutcomeKind::Updated => {
            (format!("viban updated to {}", outcome.to), "The new version is running.".into())
        }
        UpdateOutcomeKind::RolledBack => (
            format!("viban {} did not start correctly", outcome.to),
            format!(
                "{} was put back and will not be offered {} again. {}",
                outcome.from,
                outcome.to,
                outcome.reason.clone().unwrap_or_default()
            ),
        ),
        UpdateOutcomeKind::InstallFailed => (
            format!("Updating viban to {} failed", outcome.to),
            outcome.reason.clone().unwrap_or_else(|| "Nothing was changed.".into()),
        ),
    };
    use viban_core::Notifier;
    if let Some(n) = app.try_state::<Arc<crate::notifier::TauriNotifier<tauri::Wry>>>() {
        n.notify(&title, &body);
    }
}

/// A version installed at quit has no guard yet: this start is the new version, so start one to judge it.
fn watch_quit_install(updater: &Updater) {
    let Ok(Some(pending)) = updater.dir.load_pending() else { return };
    let me = updater.snapshot().current_version;
    if viban_update::pid_alive(pending.old_pid) || pending.to.trim_start_matches('v') != me {
        return;
    }
    let guard_copy = updater.paths.cache_dir.join("update-guard/viban-server");
    if !viban_update::processes_with_exe(&guard_copy).is_empty() {
        return;
    }
    if let Err(e) = viban_update::spawn_guard(&updater.paths, &updater.dir.pending_path()) {
        tracing::warn!(error = %e, "could not start the update guard for the version installed at quit");
    }
}

fn build_updater(app: &AppHandle, updater: &Updater) -> Result<tauri_plugin_updater::Updater, String> {
    let settings = updater.dir.load_settings().unwrap_or_default();
    let Endpoint { url, .. } = updater_endpoint::resolve(&settings)?;
    app.updater_builder()
        .endpoints(vec![url])
        .and_then(|b| b.timeout(CHECK_TIMEOUT).build())
        .map_err(|e| format!("the updater could not be set up: {e}"))
}

/// Checks for a new version; downloads it in the background when there is one.
pub async fn check(app: &AppHandle) {
    let updater = app.state::<Arc<Updater>>().inner().clone();
    let Ok(_busy) = updater.busy.try_lock() else { return };
    if updater.ready.lock().await.is_some() {
        return;
    }
    updater.reload_files();
    updater.edit(|s| {
        s.phase = UpdatePhase::Checking;
        s.error = None;
    });
    let found = match build_updater(app, &updater) {
        Ok(u) => u.check().await.map_err(|e| updater_endpoint::explain_check(&e)),
        Err(e) => Err(e),
    };
    let at = now_rfc3339();
    let update = match found {
        Err(e) => {
            return updater.edit(|s| {
                s.phase = UpdatePhase::Error;
                s.error = Some(e);
                s.last_check = Some(at);
            });
        }
        Ok(None) => {
            return updater.edit(|s| {
                s.phase = UpdatePhase::UpToDate;
                s.offer = None;
                s.last_check = Some(at);
            });
        }
        Ok(Some(u)) => u,
    };
    let skipped = updater.dir.load_skipped().map(|s| s.contains(&update.version)).unwrap_or(false);
    if skipped {
        return updater.edit(|s| {
            s.phase = UpdatePhase::UpToDate;
            s.offer = None;
            s.last_check = Some(at);
        });
    }
    let offer = UpdateOffer {
        version: update.version.clone(),
        notes: update.body.clone(),
        pub_date: update.raw_json.get("pub_date").and_then(|v| v.as_str()).map(str::to_string),
    };
    updater.edit(|s| {
        s.phase = UpdatePhase::Available;
        s.offer = Some(offer);
        s.last_check = Some(at);
    });
    download(&updater, update).await;
}

async fn download(updater: &Arc<Updater>, update: Update) {
    updater.edit(|s| {
        s.phase = UpdatePhase::Downloading;
        s.progress = Some(UpdateProgress::default());
    });
    let mut downloaded: u64 = 0;
    let mut last_shown = 0u64;
    let progress = |chunk: usize, total: Option<u64>| {
        downloaded += chunk as u64;
        // At most one published step per 256 KiB: the tray and the API need no more.
        if downloaded - last_shown >= 256 * 1024 || total == Some(downloaded) {
            last_shown = downloaded;
            updater.edit(|s| s.progress = Some(UpdateProgress { downloaded, total }));
        }
    };
    match update.download(progress, || {}).await {
        Ok(bytes) => {
            tracing::info!(version = %update.version, bytes = bytes.len(), "update downloaded and verified");
            // Kept so that the update after this one can roll back to it (rpm installs cannot be rebuilt).
            if let Some(format) = package_format()
                && let Err(e) = viban_update::keep_download(&updater.dir.kept_dir(), format, &update.version, &bytes)
            {
                tracing::warn!(error = %e, "could not keep the downloaded package");
            }
            *updater.ready.lock().await = Some((update, bytes));
            updater.edit(|s| {
                s.phase = UpdatePhase::Ready;
                s.progress = None;
            });
        }
        Err(e) => updater.fail(updater_endpoint::explain_download(&e)),
    }
}

/// Keeps the running package, writes the pending record, installs. On failure nothing changed: the pending record
/// is removed and the error says what to do.
async fn install(updater: &Arc<Updater>) -> Result<PendingUpdate, String> {
    let Some(format) = package_format() else { return Err("not installed from a package".into()) };
    let taken = updater.ready.lock().await.take();
    let Some((update, bytes)) = taken else { return Err("no verified download is waiting".into()) };
    if let Some(pid) = viban_update::package_database_holder(format) {
        *updater.ready.lock().await = Some((update, bytes));
        return Err(format!(
            "The update could not be installed: another package install (pid {pid}) is running. Nothing was \
             changed; use Restart to update again when it has finished."
        ));
    }
    updater.edit(|s| s.phase = UpdatePhase::Installing);
    let kept_dir = updater.dir.kept_dir();
    let kept = tokio::task::spawn_blocking(move || viban_update::keep_current(format, &kept_dir))
        .await
        .map_err(|e| e.to_string())
        .and_then(|r| r.map_err(|e| e.to_string()));
    let kept = match kept {
        Ok(k) => k,
        Err(e) => {
            *updater.ready.lock().await = Some((update, bytes));
            return Err(format!(
                "the installed version could not be kept for a rollback, so nothing was installed: {e}"
            ));
        }
    };
    let pending = PendingUpdate {
        from: update.current_version.clone(),
        to: update.version.clone(),
        kept,
        format,
        deadline_secs: health_deadline_secs(),
        started_at: chrono::Utc::now(),
        app_exe: std::env::current_exe().unwrap_or_else(|_| "/usr/bin/viban".into()),
        app_args: Vec::new(),
        old_pid: std::process::id(),
    };
    updater.dir.save_pending(&pending).map_err(|e| e.to_string())?;
    let installed = {
        let update = update.clone();
        tokio::task::spawn_blocking(move || {
            let result = update.install(&bytes);
            (result, bytes)
        })
        .await
    };
    let (result, bytes) = match installed {
        Ok(pair) => pair,
        Err(e) => {
            let _ = updater.dir.clear_pending();
            return Err(format!("the installer stopped unexpectedly ({e}); nothing was changed"));
        }
    };
    match result {
        Ok(()) => Ok(pending),
        Err(e) => {
            let _ = updater.dir.clear_pending();
            // The verified download stays: Restart to update can try again once the cause is gone.
            *updater.ready.lock().await = Some((update, bytes));
            Err(updater_endpoint::explain_install(&e))
        }
    }
}

/// Restart to update: download if needed, install, start the guard, stop the services, restart.
pub async fn restart_to_update(app: &AppHandle) {
    let updater = app.state::<Arc<Updater>>().inner().clone();
    if updater.ready.lock().await.is_none() {
        check(app).await;
    }
    let pending = match install(&updater).await {
        Ok(p) => p,
        Err(e) => return updater.fail(e),
    };
    if let Err(e) = viban_update::spawn_guard(&updater.paths, &updater.dir.pending_path()) {
        // The new version is installed; without a guard it is simply not judged.
        tracing::warn!(error = %e, "could not start the update guard");
    }
    tracing::info!(from = %pending.from, to = %pending.to, "update installed: restarting");
    crate::lifecycle::stop_services(app).await;
    app.restart();
}

/// At quit: installs a verified download (the next start of the new version starts its guard).
pub async fn install_at_quit(app: &AppHandle) {
    let Some(updater) = app.try_state::<Arc<Updater>>().map(|u| u.inner().clone()) else { return };
    if updater.ready.lock().await.is_none() {
        return;
    }
    match install(&updater).await {
        Ok(p) => tracing::info!(to = %p.to, "update installed at quit; the next start checks it"),
        Err(e) => tracing::warn!(error = %e, "the update could not be installed at quit; nothing changed"),
    }
}

pub fn dismiss(app: &AppHandle) {
    let updater = app.state::<Arc<Updater>>();
    let _ = updater.dir.clear_outcome();
    updater.edit(|s| s.last_outcome = None);
}

pub fn settings_changed(app: &AppHandle) {
    let updater = app.state::<Arc<Updater>>().inner().clone();
    updater.reload_files();
    let app = app.clone();
    tauri::async_runtime::spawn(async move { check(&app).await });
}
