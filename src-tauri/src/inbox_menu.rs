//! The tray's "Inbox" submenu (what waits for the user, oldest first; a click opens the task in the board window)
//! and the count in the window's title. Refreshed with the agents submenu and every few seconds (an agent starts
//! waiting without any run starting or ending).

use tauri::menu::{MenuItem, Submenu};
use tauri::{AppHandle, Manager, Runtime};
use uuid::Uuid;
use viban_core::{InboxItem, InboxKind};

use crate::Shell;

const OPEN_TASK: &str = "open-task:";
/// The submenu lists this many; the window's inbox has the rest.
const SHOWN: usize = 12;

/// A click on an inbox line: open this task of this project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenTask {
    pub project: Uuid,
    pub task: Uuid,
}

impl OpenTask {
    pub fn from_id(id: &str) -> Option<Self> {
        let (project, task) = id.strip_prefix(OPEN_TASK)?.split_once(':')?;
        Some(Self { project: Uuid::parse_str(project).ok()?, task: Uuid::parse_str(task).ok()? })
    }

    fn id(&self) -> String {
        format!("{OPEN_TASK}{}:{}", self.project, self.task)
    }
}

/// The submenu's title, and the window's.
pub fn title(n: usize) -> String {
    match n {
        0 => "Inbox: nothing waits for you".into(),
        n => format!("Inbox: {n} waiting for you"),
    }
}

pub fn window_title(n: usize) -> String {
    if n == 0 { "viban".into() } else { format!("viban — {n} in inbox") }
}

/// One line: what it is, the task, and the question or error (short).
pub fn line(item: &InboxItem) -> String {
    let what = match item.kind {
        InboxKind::Waiting => "Waiting",
        InboxKind::Review => "Review",
        InboxKind::Failed => "Failed",
        InboxKind::AutomationFailed => "Automation failed",
    };
    let task: String = item.task_title.chars().take(40).collect();
    let text = item.text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("").trim();
    let text: String = text.chars().take(40).collect();
    if text.is_empty() { format!("{what}: {task}") } else { format!("{what}: {task} — {text}") }
}

pub async fn items(app: &viban_server::RunningApp) -> Vec<InboxItem> {
    app.runs().inbox().await.map(|i| i.items).unwrap_or_default()
}

/// What the submenu shows now (ids and lines): refilling it with the same would only make an open menu flicker.
static SHOWING: std::sync::Mutex<Option<Vec<(String, String)>>> = std::sync::Mutex::new(None);

/// Replaces the submenu's items and sets the window's title (when what it lists changed).
pub fn fill<R: Runtime>(app: &AppHandle<R>, menu: &Submenu<R>, items: &[InboxItem]) -> tauri::Result<()> {
    let next: Vec<(String, String)> =
        items.iter().map(|i| (OpenTask { project: i.project_id, task: i.task_id }.id(), line(i))).collect();
    {
        let mut showing = SHOWING.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if showing.as_ref() == Some(&next) && menu.items()?.len() == next.len().clamp(1, SHOWN + 1) {
            return Ok(());
        }
        *showing = Some(next);
    }
    for item in menu.items()? {
        menu.remove(&item)?;
    }
    menu.set_text(title(items.len()))?;
    if let Some(w) = app.get_webview_window(crate::window::MAIN) {
        let _ = w.set_title(&window_title(items.len()));
    }
    if items.is_empty() {
        return menu.append(&MenuItem::with_id(app, "inbox-empty", "Nothing waits for you", false, None::<&str>)?);
    }
    for item in items.iter().take(SHOWN) {
        let id = OpenTask { project: item.project_id, task: item.task_id }.id();
        menu.append(&MenuItem::with_id(app, id, line(item), true, None::<&str>)?)?;
    }
    if items.len() > SHOWN {
        let more = format!("…and {} more in the window's inbox", items.len() - SHOWN);
        menu.append(&MenuItem::with_id(app, "inbox-more", more, false, None::<&str>)?)?;
    }
    Ok(())
}

/// Shows the board window on the task (signed in with a fresh code; the page opens the task the link names).
pub fn open<R: Runtime>(app: &AppHandle<R>, target: OpenTask) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let login = app.state::<Shell>().running.lock().await.as_ref().map(|r| r.login_url());
        let Some(login) = login else { return };
        let url = format!("{login}&task={}&project={}", target.task, target.project);
        if let Err(e) = crate::window::show(&app, || url) {
            tracing::error!(error = %e, "could not show the board window");
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(kind: InboxKind, text: &str) -> InboxItem {
        InboxItem {
            kind,
            project_id: Uuid::now_v7(),
            project_name: "p".into(),
            task_id: Uuid::now_v7(),
            task_title: "Migrate the schema".into(),
            run_id: None,
            firing_id: None,
            agent: None,
            agent_name: None,
            text: text.into(),
            since: chrono::Utc::now(),
        }
    }

    #[test]
    fn ids_round_trip_and_lines_say_what_waits() {
        let t = OpenTask { project: Uuid::now_v7(), task: Uuid::now_v7() };
        assert_eq!(OpenTask::from_id(&t.id()), Some(t));
        assert_eq!(OpenTask::from_id("open-task:nope"), None);
        assert_eq!(
            line(&item(InboxKind::Waiting, "thinking\nProceed? [y/n]\n")),
            "Waiting: Migrate the schema — Proceed? [y/n]"
        );
        assert_eq!(line(&item(InboxKind::Review, "")), "Review: Migrate the schema");
        assert_eq!(window_title(0), "viban");
        assert_eq!(window_title(3), "viban — 3 in inbox");
        assert_eq!(title(1), "Inbox: 1 waiting for you");
    }

    #[test]
    fn the_submenu_fills_on_the_mock_runtime() -> tauri::Result<()> {
        let app = tauri::test::mock_app();
        let sub = Submenu::with_id(app.handle(), "inbox", title(0), true)?;
        fill(app.handle(), &sub, &[])?;
        assert_eq!(sub.items()?.len(), 1);
        let many: Vec<_> = (0..15).map(|_| item(InboxKind::Failed, "exit 3")).collect();
        fill(app.handle(), &sub, &many)?;
        assert_eq!(sub.items()?.len(), SHOWN + 1);
        assert_eq!(sub.text()?, "Inbox: 15 waiting for you");
        Ok(())
    }
}
