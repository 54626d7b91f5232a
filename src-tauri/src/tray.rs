//! The tray icon: built only where the indicator library exists (else viban runs without one and says so),
//! its icon and status lines following the services' status.

use tauri::image::Image;
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Manager, Runtime};
use tokio::sync::watch;
use viban_runtime::Status;

use crate::menu::{MenuId, TrayMenu};
use crate::status::{TrayState, api_line, database_line};
use crate::{Shell, actions};

pub const TRAY_ID: &str = "viban";
/// How often the inbox submenu looks again when nothing else changed.
const INBOX_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Whether libayatana-appindicator3 (or libappindicator3) can be loaded: without it the tray panics at start.
pub fn available() -> bool {
    let listed = std::process::Command::new("ldconfig")
        .arg("-p")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    listed.contains("libayatana-appindicator3.so.1") || listed.contains("libappindicator3.so.1")
}

pub fn build(app: &AppHandle, menu: &TrayMenu<tauri::Wry>) -> tauri::Result<TrayIcon> {
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(Image::from_bytes(TrayState::Degraded.icon())?)
        .tooltip("viban: starting")
        .menu(&menu.menu)
        .show_menu_on_left_click(true)
        .on_menu_event(|app, event| {
            if let Some(id) = MenuId::from_id(event.id().as_ref()) {
                actions::run(app, id);
            } else if let Some(action) = crate::agents_menu::AgentAction::from_id(event.id().as_ref()) {
                crate::agents_menu::act(app, action);
            } else if let Some(target) = crate::inbox_menu::OpenTask::from_id(event.id().as_ref()) {
                crate::inbox_menu::open(app, target);
            }
        })
        .build(app)
}

/// Keeps the icon, the status lines and the agents submenu in step with the services and the runs until the
/// channels close.
pub fn follow<R: Runtime>(
    app: &AppHandle<R>,
    tray: TrayIcon<R>,
    menu: TrayMenu<R>,
    mut rx: watch::Receiver<Status>,
    mut runs: watch::Receiver<u64>,
) {
    let url = app.state::<Shell>().url.clone();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let (mut shown, mut agents_running, mut rebuild) = (None, false, true);
        loop {
            if rebuild {
                if let Some(running) = refresh_agents(&app, &menu).await {
                    agents_running = running > 0;
                }
                refresh_inbox(&app, &menu).await;
                rebuild = false;
            }
            let status = rx.borrow_and_update().clone();
            let state = TrayState::of(&status).working(agents_running);
            if shown != Some(state) {
                if let Ok(icon) = Image::from_bytes(state.icon()) {
                    let _ = tray.set_icon(Some(icon));
                }
                let _ = tray.set_tooltip(Some(state.tooltip()));
                shown = Some(state);
            }
            let _ = menu.database.set_text(database_line(&status));
            let _ = menu.api.set_text(api_line(&url, &status));
            tokio::select! {
                r = rx.changed() => if r.is_err() { return },
                r = runs.changed() => {
                    if r.is_err() {
                        return;
                    }
                    rebuild = true;
                }
                // An agent starts waiting (or is answered) without any run starting or ending.
                () = tokio::time::sleep(INBOX_EVERY) => refresh_inbox(&app, &menu).await,
            }
        }
    });
}

/// Rebuilds the agents submenu; returns how many agents run (None once the services are gone).
async fn refresh_agents<R: Runtime>(app: &AppHandle<R>, menu: &TrayMenu<R>) -> Option<usize> {
    let shell = app.state::<Shell>();
    let (lines, running, queued) = {
        let guard = shell.running.lock().await;
        crate::agents_menu::lines(guard.as_ref()?).await
    };
    let title = crate::agents_menu::title(running, queued);
    if let Err(e) = crate::agents_menu::fill(app, &menu.agents, &lines, &title) {
        tracing::warn!(error = %e, "updating the agents menu");
    }
    Some(running)
}

/// Rebuilds the inbox submenu and the window's title.
async fn refresh_inbox<R: Runtime>(app: &AppHandle<R>, menu: &TrayMenu<R>) {
    let shell = app.state::<Shell>();
    let items = {
        let guard = shell.running.lock().await;
        let Some(running) = guard.as_ref() else { return };
        crate::inbox_menu::items(running).await
    };
    if let Err(e) = crate::inbox_menu::fill(app, &menu.inbox, &items) {
        tracing::warn!(error = %e, "updating the inbox menu");
    }
}
