//! viban's desktop shell: tray, window and lifecycle wired over `viban_server::App::start` — the same startup
//! path as the headless server. Everything that can run without a display lives in the headless crates.

mod actions;
mod agents_menu;
mod autostart;
mod inbox_menu;
mod lifecycle;
pub mod menu;
mod notifier;
pub mod status;
mod tray;
mod updater;
mod updater_endpoint;
mod window;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tauri::{Manager, RunEvent, WindowEvent};
use viban_core::AppPaths;
use viban_server::{Config, RunningApp, StartError};

use crate::notifier::TauriNotifier;

/// State shared by the tray, the window and the quit path.
pub struct Shell {
    /// Taken by the quit path, which stops the services.
    running: tokio::sync::Mutex<Option<RunningApp>>,
    paths: AppPaths,
    url: String,
    quitting: AtomicBool,
    has_tray: bool,
}

pub fn main() -> ExitCode {
    if let Err(why) = lifecycle::check_display() {
        eprintln!("viban: {why}");
        return ExitCode::from(1);
    }
    let paths = match AppPaths::resolve(None) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("viban: {e}");
            return ExitCode::from(1);
        }
    };
    let _log = viban_server::logging::init(Some(&paths), "viban");
    let context = tauri::generate_context!();
    // The package's version (what the updater compares and the update guard waits to see in server.json).
    let version = context.package_info().version.to_string();
    let notifier = Arc::new(TauriNotifier::<tauri::Wry>::default());
    let config = Config { notifier: notifier.clone(), version: version.clone(), ..Config::default() };
    let (running, failure) = match tauri::async_runtime::block_on(lifecycle::start_when_free(&paths, config)) {
        Ok(r) => (Some(r), None),
        Err(StartError::Lock(e)) => return lifecycle::hand_over(&paths, &e.to_string()),
        Err(e) => {
            tracing::error!(error = %e, "viban could not start");
            eprintln!("viban: {e}");
            (None, Some(e.to_string()))
        }
    };
    run(context, paths, running, failure, notifier)
}

fn run(
    context: tauri::Context<tauri::Wry>,
    paths: AppPaths,
    running: Option<RunningApp>,
    failure: Option<String>,
    notifier: Arc<TauriNotifier<tauri::Wry>>,
) -> ExitCode {
    let built = with_plugins(tauri::Builder::default())
        .setup(move |app| {
            let handle = app.handle().clone();
            notifier.attach(handle.clone());
            app.manage(notifier.clone());
            let has_tray = tray::available();
            let url = running.as_ref().map(|r| r.url.clone()).unwrap_or_default();
            let status = running.as_ref().map(|r| r.status());
            let run_changes = running.as_ref().map(|r| r.runs().active_changes());
            let shell_commands = running.as_ref().map(|r| r.shell_commands());
            let first_login = running.as_ref().map(|r| r.login_url());
            let update_hub = running.as_ref().map(|r| r.update_hub());
            let start_at_login = autostart::is_enabled(&autostart::entry(&paths));
            app.manage(Shell {
                running: tokio::sync::Mutex::new(running),
                paths,
                url,
                quitting: false.into(),
                has_tray,
            });
            let (Some(status), Some(mut commands), Some(login), Some(run_changes), Some(update_hub)) =
                (status, shell_commands, first_login, run_changes, update_hub)
            else {
                window::start_error(&handle, failure.as_deref().unwrap_or("unknown error"))?;
                return Ok(());
            };
            let version = app.package_info().version.to_string();
            app.manage(Arc::new(updater::Updater::new(update_hub, &app.state::<Shell>().paths, &version)));
            if has_tray {
                let menu = menu::build(&handle, start_at_login)?;
                app.state::<Arc<updater::Updater>>().attach_tray(menu.update.clone());
                let icon = tray::build(&handle, &menu)?;
                tray::follow(&handle, icon, menu, status, run_changes);
            } else {
                use viban_core::Notifier;
                notifier.notify(
                    "viban: no system tray",
                    "libayatana-appindicator3-1 is missing: closing the window quits viban.",
                );
            }
            window::show(&handle, || login)?;
            let h = handle.clone();
            tauri::async_runtime::spawn(async move {
                use tokio::sync::broadcast::error::RecvError;
                loop {
                    match commands.recv().await {
                        Ok(command) => actions::shell_command(&h, command),
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return,
                    }
                }
            });
            lifecycle::on_signals(&handle);
            updater::start(&handle);
            Ok(())
        })
        .build(context);
    let app = match built {
        Ok(app) => app,
        Err(e) => {
            eprintln!("viban: the window system could not start: {e}");
            return ExitCode::from(1);
        }
    };
    app.run(on_event);
    ExitCode::SUCCESS
}

/// The shell's plugins (the smoke test builds them, with the shell's own config, on the mock runtime).
fn with_plugins<R: tauri::Runtime>(builder: tauri::Builder<R>) -> tauri::Builder<R> {
    builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
}

fn on_event(app: &tauri::AppHandle, event: RunEvent) {
    // Events can arrive before `setup` has put the shell state in place.
    let Some(shell) = app.try_state::<Shell>() else { return };
    match event {
        RunEvent::WindowEvent { label, event: WindowEvent::CloseRequested { api, .. }, .. } => {
            if label == "error" {
                app.exit(1);
            } else if shell.has_tray && !shell.quitting.load(Ordering::SeqCst) {
                // Closing the window keeps viban (and its agents) running in the tray.
                api.prevent_close();
                window::hide(app);
            } else if !shell.has_tray {
                api.prevent_close();
                lifecycle::quit(app);
            }
        }
        RunEvent::ExitRequested { api, code: None, .. } if !shell.quitting.load(Ordering::SeqCst) => {
            api.prevent_exit();
        }
        RunEvent::Exit => {
            // A safety net: whatever path led here, the services stop before the process ends.
            let running = tauri::async_runtime::block_on(shell.running.lock()).take();
            if let Some(r) = running {
                let _ = tauri::async_runtime::block_on(tokio::time::timeout(
                    std::time::Duration::from_secs(20),
                    r.shutdown(),
                ));
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use tauri::Manager;
    use viban_core::Notifier;

    use super::*;

    /// The shell without a display: its config (tauri.conf.json, with the updater's key and endpoints), its plugins,
    /// the notifier, the tray menu, the board window and the start-error window, on Tauri's mock runtime.
    #[test]
    fn the_shell_builds_on_the_mock_runtime_with_its_config_plugins_menu_and_windows() -> anyhow::Result<()> {
        let notifier = Arc::new(TauriNotifier::<tauri::test::MockRuntime>::default());
        let n = notifier.clone();
        let app = with_plugins(tauri::test::mock_builder())
            .setup(move |app| {
                n.attach(app.handle().clone());
                let menu = menu::build(app.handle(), false)?;
                assert!(menu.menu.get(menu::MenuId::Quit.id()).is_some());
                Ok(())
            })
            .build(tauri::generate_context!(test = true))?;
        assert_eq!(app.package_info().version.to_string(), env!("CARGO_PKG_VERSION"));
        // Windows made during setup appear once the event loop runs (which the mock runtime has not): made here.
        window::show(app.handle(), || "http://127.0.0.1:9/#code=smoke".into())?;
        let main = app.get_webview_window(window::MAIN).ok_or_else(|| anyhow::anyhow!("no board window"))?;
        assert_eq!(main.url()?.as_str(), "http://127.0.0.1:9/#code=smoke");
        // Showing it again re-signs the same window instead of opening a second one.
        window::show(app.handle(), || "http://127.0.0.1:9/#code=again".into())?;
        assert_eq!(app.webview_windows().len(), 1);
        window::start_error(app.handle(), "PostgreSQL could not start: disk full")?;
        let error = app.get_webview_window("error").ok_or_else(|| anyhow::anyhow!("no error window"))?;
        assert!(error.url()?.as_str().ends_with("error.html#PostgreSQL%20could%20not%20start%3A%20disk%20full"));
        // A notification without a notification daemon is logged, never a panic.
        notifier.notify("smoke", "test");
        Ok(())
    }
}
