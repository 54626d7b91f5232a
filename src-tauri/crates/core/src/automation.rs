//! Column automation (what happens when a card enters a column) and the inbox (what waits for the user).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::TaskStatus;

/// What a column does to a card that enters it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AutomationAction {
    /// `/bin/sh -c script` in the task's worktree; its output is stored and shown like a run's.
    Script,
    /// A new run of `agent` with `prompt` (its `{title}`, `{description}` and `{branch}` filled in).
    Agent,
}

impl AutomationAction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Script => "script",
            Self::Agent => "agent",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Script, Self::Agent].into_iter().find(|a| a.as_str() == s)
    }
}

/// One column's automation in a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Automation {
    pub project_id: Uuid,
    pub column: TaskStatus,
    pub action: AutomationAction,
    pub script: String,
    pub agent: String,
    pub prompt: String,
    /// A script still running after this long is stopped (the stop ladder) and fails.
    pub timeout_secs: u32,
    /// At most this many of the column's automated runs at once; more entries wait their turn.
    pub wip_limit: Option<u32>,
    /// Paused: cards entering the column start nothing (entries already waiting stay until it resumes).
    pub paused: bool,
    /// Entries waiting for a slot, and those running now.
    pub pending: u32,
    pub running: u32,
}

/// `PUT /api/projects/{id}/automations/{column}`.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutAutomation {
    pub action: AutomationAction,
    #[serde(default)]
    #[ts(optional)]
    pub script: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub agent: Option<String>,
    #[serde(default)]
    #[ts(optional)]
    pub prompt: Option<String>,
    /// Default 600.
    #[serde(default)]
    #[ts(optional)]
    pub timeout_secs: Option<u32>,
    #[serde(default)]
    #[ts(optional)]
    pub wip_limit: Option<u32>,
    #[serde(default)]
    #[ts(optional)]
    pub paused: Option<bool>,
}

/// Where one entry of a card into an automated column is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FiringState {
    Pending,
    Running,
    Done,
    Failed,
}

impl FiringState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Running, Self::Done, Self::Failed].into_iter().find(|f| f.as_str() == s)
    }
}

/// One entry of a card into an automated column, and what came of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Firing {
    pub id: Uuid,
    pub project_id: Uuid,
    pub task_id: Uuid,
    pub column: TaskStatus,
    pub action: AutomationAction,
    pub state: FiringState,
    /// The run it started (a script's output is this run's transcript).
    pub run_id: Option<Uuid>,
    pub error: Option<String>,
    pub entered_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// Why something is in the inbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InboxKind {
    /// An agent is quiet and probably asks something (`text` is its question).
    Waiting,
    /// A run finished and its task waits in In Review.
    Review,
    /// The task's latest agent run failed or was interrupted.
    Failed,
    /// A column automation failed (`text` says why).
    AutomationFailed,
}

/// One thing that waits for the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct InboxItem {
    pub kind: InboxKind,
    pub project_id: Uuid,
    pub project_name: String,
    pub task_id: Uuid,
    pub task_title: String,
    pub run_id: Option<Uuid>,
    pub firing_id: Option<Uuid>,
    /// The agent's id (`agent_name` is what to show).
    pub agent: Option<String>,
    pub agent_name: Option<String>,
    /// The question, the error, or a short summary.
    pub text: String,
    /// Since when it waits (the list is oldest first).
    pub since: DateTime<Utc>,
}

/// `GET /api/inbox`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Inbox {
    pub items: Vec<InboxItem>,
}

/// `POST /api/inbox/dismiss`: a failure the user has seen (waiting and review items leave by themselves).
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissInbox {
    #[serde(default)]
    #[ts(optional)]
    pub run_id: Option<Uuid>,
    #[serde(default)]
    #[ts(optional)]
    pub firing_id: Option<Uuid>,
}
