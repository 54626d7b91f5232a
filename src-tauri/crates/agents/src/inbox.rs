//! The inbox: everything that waits for the user across projects, oldest first — agents quiet long enough that
//! they probably ask something (live state, from here), and what the database keeps (runs to review, failures,
//! failed automations; `viban_db::inbox`).

use std::collections::HashMap;
use std::sync::atomic::Ordering;

use chrono::Utc;
use viban_core::{Inbox, InboxItem, InboxKind};

use crate::error::RunError;
use crate::lifecycle::WAITING_AFTER;
use crate::runs::{Runs, lock};

impl Runs {
    pub async fn inbox(&self) -> Result<Inbox, RunError> {
        let mut items = self.waiting_items().await;
        let waiting: Vec<_> = items.iter().filter_map(|i| i.run_id).collect();
        // A run that waits is listed once (as waiting), whatever else the database says of its task.
        items.extend(
            self.inner
                .db
                .stored_inbox()
                .await?
                .into_iter()
                .filter(|i| !(i.kind == InboxKind::Failed && i.run_id.is_some_and(|r| waiting.contains(&r)))),
        );
        let names: HashMap<String, String> = self
            .inner
            .catalog
            .profiles()
            .map(|p| p.list.iter().map(|p| (p.id.clone(), p.name.clone())).collect())
            .unwrap_or_default();
        for item in &mut items {
            if let Some(agent) = &item.agent {
                item.agent_name = Some(names.get(agent).cloned().unwrap_or_else(|| agent.clone()));
            }
        }
        items.sort_by_key(|i| i.since);
        Ok(Inbox { items })
    }

    async fn waiting_items(&self) -> Vec<InboxItem> {
        let lives: Vec<_> = lock(&self.inner.table)
            .lives()
            .into_iter()
            .filter(|l| !l.shell.load(Ordering::SeqCst) && !l.preparing() && l.idle() >= WAITING_AFTER)
            .collect();
        let mut items = Vec::new();
        for l in lives {
            let (Ok(task), Ok(run)) = (self.inner.db.get_task(l.task_id).await, self.inner.db.get_run(l.id).await)
            else {
                continue;
            };
            let project = self.inner.db.get_project(l.project_id).await.map(|p| p.name).unwrap_or_default();
            let since = Utc::now() - chrono::Duration::from_std(l.idle()).unwrap_or_default();
            items.push(InboxItem {
                kind: InboxKind::Waiting,
                project_id: l.project_id,
                project_name: project,
                task_id: l.task_id,
                task_title: task.title,
                run_id: Some(l.id),
                firing_id: None,
                agent: Some(run.agent),
                agent_name: None,
                text: l.last_lines(3).join("\n"),
                since,
            });
        }
        items
    }
}
