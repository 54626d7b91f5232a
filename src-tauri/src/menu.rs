//! The tray menu. On Linux only menu events fire (no clicks on the icon), so everything is reachable from here.
//! Item ids live in one enum.

use tauri::menu::{CheckMenuItem, Menu, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{Manager, Runtime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MenuId {
    OpenBoard,
    DatabaseStatus,
    ApiStatus,
    RestartServices,
    OpenDataFolder,
    OpenLogs,
    StartAtLogin,
    Update,
    Quit,
}

impl MenuId {
    pub const ALL: [MenuId; 9] = [
        Self::OpenBoard,
        Self::DatabaseStatus,
        Self::ApiStatus,
        Self::RestartServices,
        Self::OpenDataFolder,
        Self::OpenLogs,
        Self::StartAtLogin,
        Self::Update,
        Self::Quit,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Self::OpenBoard => "open-board",
            Self::DatabaseStatus => "status-database",
            Self::ApiStatus => "status-api",
            Self::RestartServices => "restart-services",
            Self::OpenDataFolder => "open-data-folder",
            Self::OpenLogs => "open-logs",
            Self::StartAtLogin => "start-at-login",
            Self::Update => "update",
            Self::Quit => "quit",
        }
    }

    pub fn from_id(id: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.id() == id)
    }
}

/// The menu and the items whose text or check mark changes.
pub struct TrayMenu<R: Runtime> {
    pub menu: Menu<R>,
    pub database: MenuItem<R>,
    pub api: MenuItem<R>,
    pub start_at_login: CheckMenuItem<R>,
    /// Running agents, each with a Stop item (filled by `agents_menu`).
    pub agents: Submenu<R>,
    /// What waits for the user, each opening its task (filled by `inbox_menu`).
    pub inbox: Submenu<R>,
    /// Check for updates / Downloading… / Restart to update (set by the updater).
    pub update: MenuItem<R>,
}

fn item<R: Runtime, M: Manager<R>>(app: &M, id: MenuId, text: &str, enabled: bool) -> tauri::Result<MenuItem<R>> {
    MenuItem::with_id(app, id.id(), text, enabled, None::<&str>)
}

pub fn build<R: Runtime, M: Manager<R>>(app: &M, start_at_login: bool) -> tauri::Result<TrayMenu<R>> {
    let open = item(app, MenuId::OpenBoard, "Open board", true)?;
    // Status lines are information, not actions.
    let database = item(app, MenuId::DatabaseStatus, "Database: starting…", false)?;
    let api = item(app, MenuId::ApiStatus, "API: starting…", false)?;
    let restart = item(app, MenuId::RestartServices, "Restart services", true)?;
    let data = item(app, MenuId::OpenDataFolder, "Open data folder", true)?;
    let logs = item(app, MenuId::OpenLogs, "Open logs", true)?;
    let login =
        CheckMenuItem::with_id(app, MenuId::StartAtLogin.id(), "Start at login", true, start_at_login, None::<&str>)?;
    let update = item(app, MenuId::Update, "Check for updates", true)?;
    let quit = item(app, MenuId::Quit, "Quit viban", true)?;
    let agents = Submenu::with_id(app, "agents", crate::agents_menu::title(0, 0), true)?;
    crate::agents_menu::fill(app.app_handle(), &agents, &[], &crate::agents_menu::title(0, 0))?;
    let inbox = Submenu::with_id(app, "inbox", crate::inbox_menu::title(0), true)?;
    crate::inbox_menu::fill(app.app_handle(), &inbox, &[])?;
    let menu = Menu::with_items(
        app,
        &[
            &open,
            &PredefinedMenuItem::separator(app)?,
            &agents,
            &inbox,
            &PredefinedMenuItem::separator(app)?,
            &database,
            &api,
            &restart,
            &PredefinedMenuItem::separator(app)?,
            &data,
            &logs,
            &login,
            &PredefinedMenuItem::separator(app)?,
            &update,
            &quit,
        ],
    )?;
    Ok(TrayMenu { menu, database, api, start_at_login: login, agents, inbox, update })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for m in MenuId::ALL {
            assert_eq!(MenuId::from_id(m.id()), Some(m));
            assert!(seen.insert(m.id()));
        }
        assert_eq!(MenuId::from_id("nope"), None);
    }

    #[test]
    fn the_menu_builds_on_the_mock_runtime_with_every_item() -> tauri::Result<()> {
        let app = tauri::test::mock_app();
        let menu = build(app.handle(), true)?;
        for id in MenuId::ALL {
            assert!(menu.menu.get(id.id()).is_some(), "{id:?} is in the menu");
        }
        assert!(!menu.database.is_enabled()?, "status lines are not clickable");
        assert!(menu.start_at_login.is_checked()?);
        Ok(())
    }
}
