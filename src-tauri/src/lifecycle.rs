//! Start-up checks, the second launch, and the one quit path (tray Quit, SIGTERM, SIGINT).

use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime};
use viban_core::AppPaths;
use viban_server::{RunningApp, ServerFile, StartError};

use crate::Shell;

/// GTK cannot start without a display; say so instead of panicking.
pub fn check_display() -> Result<(), String> {
    let set = |v: &str| std::env::var_os(v).is_some_and(|x| !x.is_empty());
    if set("DISPLAY") || set("WAYLAND_DISPLAY") {
        return Ok(());
    }
    Err("no display (DISPLAY and WAYLAND_DISPLAY are unset). Start viban from a desktop session, or run \
         `viban-server serve` for the headless mode and open its URL in a browser"
        .into())
}

/// Another viban holds the data dir: ask it to show its window (works without a session bus), then exit.
pub fn hand_over(paths: &AppPaths, why: &str) -> ExitCode {
    let file = match ServerFile::read(&paths.server_json()) {
        Ok(f) => f,
        Err(_) => {
            eprintln!("viban: {why}");
            return ExitCode::from(1);
        }
    };
    let shown = tauri::async_runtime::block_on(async {
        let res = reqwest::Client::new()
            .post(format!("{}/api/app/show", file.url))
            .bearer_auth(&file.token)
            .timeout(Duration::from_secs(5))
            .send()
            .await;
        res.map(|r| r.status().is_success())
    });
    match shown {
        Ok(true) => {
            println!("viban is already running (pid {}); showed its window", file.pid);
            ExitCode::SUCCESS
        }
        Ok(false) => {
            eprintln!("viban: another viban (pid {}) is running headless at {}; open that URL", file.pid, file.url);
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("viban: {why} ({e})");
            ExitCode::from(1)
        }
    }
}

/// `App::start`, waiting a moment when the data dir's lock is held by a viban that is shutting down (its
/// `server.json` is already gone): what a restart to update meets. A running one is handed over to at once.
pub async fn start_when_free(paths: &AppPaths, config: viban_server::Config) -> Result<RunningApp, StartError> {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        match viban_server::App::start(config.clone()).await {
            Err(StartError::Lock(e)) if !paths.server_json().exists() && std::time::Instant::now() < deadline => {
                tracing::debug!(error = %e, "data dir still locked by a viban that is stopping; waiting");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            other => return other,
        }
    }
}

/// Ordered shutdown of the services under a deadline; true when every step finished in time.
pub async fn stop_services<R: Runtime>(app: &AppHandle<R>) -> bool {
    let shell = app.state::<Shell>();
    shell.quitting.store(true, Ordering::SeqCst);
    let running = shell.running.lock().await.take();
    match running {
        Some(r) => tokio::time::timeout(Duration::from_secs(20), r.shutdown()).await.unwrap_or(false),
        None => true,
    }
}

/// Ordered shutdown, a verified update installed if one waits, then exit: 0 when clean, 2 when a step timed out.
pub fn quit(app: &AppHandle) {
    let shell = app.state::<Shell>();
    if shell.quitting.swap(true, Ordering::SeqCst) {
        return;
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let clean = stop_services(&app).await;
        crate::updater::install_at_quit(&app).await;
        tracing::info!(clean, "quitting");
        app.exit(if clean { 0 } else { 2 });
    });
}

/// The tray's Restart to update: asks first when agents are running (the restart stops them).
pub fn restart_to_update_asking(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let live = live_agents(&app).await;
        if live > 0 {
            let (tx, rx) = tokio::sync::oneshot::channel();
            let ask = move || {
                let _ = tx.send(confirm_stop(live, "Restart to update?", "Stop agents and restart"));
            };
            if app.run_on_main_thread(ask).is_err() || !rx.await.unwrap_or(false) {
                return;
            }
        }
        crate::updater::restart_to_update(&app).await;
    });
}

async fn live_agents<R: Runtime>(app: &AppHandle<R>) -> usize {
    let shell = app.state::<Shell>();
    let guard = shell.running.lock().await;
    guard.as_ref().map(|r| r.runs().live_ids().len()).unwrap_or(0)
}

/// SIGTERM and SIGINT take the same path as the tray's Quit.
pub fn on_signals(app: &AppHandle) {
    use tokio::signal::unix::{SignalKind, signal};
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let (Ok(mut term), Ok(mut int)) = (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) else {
            tracing::warn!("could not listen for signals");
            return;
        };
        tokio::select! {
            _ = term.recv() => tracing::info!("SIGTERM: quitting"),
            _ = int.recv() => tracing::info!("SIGINT: quitting"),
        }
        quit(&app);
    });
}

/// The tray's Quit: asks first when agents are running (quitting stops them), then takes the quit path.
pub fn quit_asking(app: &AppHandle) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let live = live_agents(&app).await;
        if live == 0 {
            quit(&app);
            return;
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        let ask = move || {
            let _ = tx.send(confirm_stop(live, "Quit viban?", "Stop agents and quit"));
        };
        if app.run_on_main_thread(ask).is_err() {
            return;
        }
        if rx.await.unwrap_or(false) {
            quit(&app);
        }
    });
}

/// A native question on the GTK main thread: stop `agents` running agents to quit (or restart)?
fn confirm_stop(agents: usize, title: &str, accept: &str) -> bool {
    use gtk::prelude::*;
    let what = if agents == 1 { "An agent is running".to_string() } else { format!("{agents} agents are running") };
    let dialog = gtk::MessageDialog::new(
        None::<&gtk::Window>,
        gtk::DialogFlags::MODAL,
        gtk::MessageType::Question,
        gtk::ButtonsType::None,
        &what,
    );
    dialog.set_title(title);
    dialog.set_secondary_text(Some(
        "Quitting stops them (their output and worktrees are kept). Close the window instead to keep them \
         running in the tray.",
    ));
    dialog.add_button("Keep running", gtk::ResponseType::Cancel);
    dialog.add_button(accept, gtk::ResponseType::Accept);
    dialog.set_default_response(gtk::ResponseType::Accept);
    let answer = dialog.run();
    dialog.close();
    answer == gtk::ResponseType::Accept
}
