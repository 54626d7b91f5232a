//! What each tray menu item does.

use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_opener::OpenerExt;

use crate::menu::MenuId;
use crate::{Shell, autostart, lifecycle, window};

pub fn run(app: &AppHandle, id: MenuId) {
    let shell = app.state::<Shell>();
    match id {
        MenuId::OpenBoard => open_board(app),
        MenuId::RestartServices => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                if let Some(r) = app.state::<Shell>().running.lock().await.as_ref() {
                    r.restart_services().await;
                }
            });
        }
        MenuId::OpenDataFolder => open_folder(app, &shell.paths.data_dir),
        MenuId::OpenLogs => open_folder(app, &shell.paths.log_dir),
        MenuId::StartAtLogin => {
            // The check item toggles itself; the entry file is the setting.
            let entry = autostart::entry(&shell.paths);
            let on = !autostart::is_enabled(&entry);
            if let Err(e) = autostart::set(&entry, on) {
                tracing::error!(error = %e, path = %entry.display(), "could not change start at login");
            }
        }
        MenuId::Quit => lifecycle::quit_asking(app),
        MenuId::Update => update_item(app),
        MenuId::DatabaseStatus | MenuId::ApiStatus => {}
    }
}

/// The tray's update item: Check for updates, or Restart to update (asking first when agents run).
fn update_item(app: &AppHandle) {
    let state = app.state::<std::sync::Arc<crate::updater::Updater>>().snapshot();
    let app = app.clone();
    let offered = matches!(state.phase, viban_core::UpdatePhase::Available | viban_core::UpdatePhase::Ready)
        || (state.phase == viban_core::UpdatePhase::Error && state.offer.is_some());
    if offered {
        lifecycle::restart_to_update_asking(&app);
    } else {
        tauri::async_runtime::spawn(async move { crate::updater::check(&app).await });
    }
}

/// What the API asks of the shell.
pub fn shell_command(app: &AppHandle, command: viban_server::ShellCommand) {
    use viban_server::ShellCommand as C;
    let app = app.clone();
    match command {
        C::ShowWindow => open_board(&app),
        C::CheckForUpdates => {
            tauri::async_runtime::spawn(async move { crate::updater::check(&app).await });
        }
        // The API asked the user about running agents already.
        C::InstallUpdate => {
            tauri::async_runtime::spawn(async move { crate::updater::restart_to_update(&app).await });
        }
        C::UpdateSettingsChanged => crate::updater::settings_changed(&app),
        C::DismissUpdateOutcome => crate::updater::dismiss(&app),
    }
}

/// Shows the board window, signing a new one in with a fresh one-time code.
pub fn open_board<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let login = app.state::<Shell>().running.lock().await.as_ref().map(|r| r.login_url());
        let Some(login) = login else { return };
        if let Err(e) = window::show(&app, || login) {
            tracing::error!(error = %e, "could not show the board window");
        }
    });
}

fn open_folder<R: Runtime>(app: &AppHandle<R>, dir: &std::path::Path) {
    let _ = std::fs::create_dir_all(dir);
    if let Err(e) = app.opener().open_path(dir.to_string_lossy(), None::<&str>) {
        tracing::error!(error = %e, dir = %dir.display(), "could not open the folder");
    }
}
