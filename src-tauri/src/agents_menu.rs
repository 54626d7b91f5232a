//! The tray's "Agents" submenu: what runs now, each with a Stop item, and Stop all. Rebuilt whenever the set of
//! active runs changes; the icon shows "working" while any agent runs.

use tauri::menu::{IsMenuItem, MenuItem, PredefinedMenuItem, Submenu};
use tauri::{AppHandle, Manager, Runtime};
use uuid::Uuid;
use viban_core::RunStatus;

use crate::Shell;

const STOP_RUN: &str = "stop-run:";
pub const STOP_ALL: &str = "stop-all-runs";

/// What a dynamic menu id asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentAction {
    Stop(Uuid),
    StopAll,
}

impl AgentAction {
    pub fn from_id(id: &str) -> Option<Self> {
        if id == STOP_ALL {
            return Some(Self::StopAll);
        }
        id.strip_prefix(STOP_RUN).and_then(|u| Uuid::parse_str(u).ok()).map(Self::Stop)
    }
}

/// One line of the submenu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLine {
    pub run: Uuid,
    pub text: String,
}

/// The submenu's title for `n` active runs.
pub fn title(running: usize, queued: usize) -> String {
    match (running, queued) {
        (0, 0) => "Agents: none running".into(),
        (r, 0) => format!("Agents: {r} running"),
        (r, q) => format!("Agents: {r} running, {q} queued"),
    }
}

/// The active runs as menu lines: "Stop: <task> (<agent>)".
pub async fn lines(app: &viban_server::RunningApp) -> (Vec<RunLine>, usize, usize) {
    let runs = app.runs().active().await.unwrap_or_default();
    let running = runs.iter().filter(|r| r.status != RunStatus::Queued).count();
    let mut out = Vec::new();
    for r in &runs {
        let title = app.db().get_task(r.task_id).await.map(|t| t.title).unwrap_or_else(|_| "a task".into());
        let title: String = title.chars().take(48).collect();
        let what = if r.status == RunStatus::Queued { "queued" } else { r.agent.as_str() };
        out.push(RunLine { run: r.id, text: format!("Stop: {title} ({what})") });
    }
    (out, running, runs.len() - running)
}

/// Replaces the submenu's items.
pub fn fill<R: Runtime>(app: &AppHandle<R>, menu: &Submenu<R>, lines: &[RunLine], title: &str) -> tauri::Result<()> {
    for item in menu.items()? {
        menu.remove(&item)?;
    }
    menu.set_text(title)?;
    if lines.is_empty() {
        menu.append(&MenuItem::with_id(app, "no-runs", "No agent is running", false, None::<&str>)?)?;
        return Ok(());
    }
    let mut items: Vec<Box<dyn IsMenuItem<R>>> = Vec::new();
    for l in lines {
        items.push(Box::new(MenuItem::with_id(app, format!("{STOP_RUN}{}", l.run), &l.text, true, None::<&str>)?));
    }
    items.push(Box::new(PredefinedMenuItem::separator(app)?));
    items.push(Box::new(MenuItem::with_id(app, STOP_ALL, "Stop all agents", true, None::<&str>)?));
    for i in &items {
        menu.append(i.as_ref())?;
    }
    Ok(())
}

/// Stops one run or all of them (in the background; the menu follows when they end).
pub fn act<R: Runtime>(app: &AppHandle<R>, action: AgentAction) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        let shell = app.state::<Shell>();
        let guard = shell.running.lock().await;
        let Some(running) = guard.as_ref() else { return };
        let runs = running.runs().clone();
        drop(guard);
        let ids = match action {
            AgentAction::Stop(id) => vec![id],
            AgentAction::StopAll => runs.active().await.unwrap_or_default().into_iter().map(|r| r.id).collect(),
        };
        for id in ids {
            let runs = runs.clone();
            tokio::spawn(async move {
                if let Err(e) = runs.stop(id).await {
                    tracing::warn!(run = %id, error = %e, "stopping from the tray");
                }
            });
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_titles_count() {
        let id = Uuid::now_v7();
        assert_eq!(AgentAction::from_id(&format!("stop-run:{id}")), Some(AgentAction::Stop(id)));
        assert_eq!(AgentAction::from_id(STOP_ALL), Some(AgentAction::StopAll));
        assert_eq!(AgentAction::from_id("stop-run:nope"), None);
        assert_eq!(title(0, 0), "Agents: none running");
        assert_eq!(title(2, 1), "Agents: 2 running, 1 queued");
    }

    #[test]
    fn the_submenu_fills_on_the_mock_runtime() -> tauri::Result<()> {
        let app = tauri::test::mock_app();
        let sub = Submenu::with_id(app.handle(), "agents", "Agents", true)?;
        fill(app.handle(), &sub, &[], &title(0, 0))?;
        assert_eq!(sub.items()?.len(), 1);
        let lines = [RunLine { run: Uuid::now_v7(), text: "Stop: x (claude)".into() }];
        fill(app.handle(), &sub, &lines, &title(1, 0))?;
        assert_eq!(sub.items()?.len(), 3);
        assert_eq!(sub.text()?, "Agents: 1 running");
        Ok(())
    }
}
