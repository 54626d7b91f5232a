//! Task dependencies: a task blocked by others of its project, and an agent started once they are all Done.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::TaskStatus;

/// Another task, as a dependency shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TaskLink {
    pub id: Uuid,
    pub title: String,
    pub status: TaskStatus,
}

/// An agent to start on the task when its last blocker is Done (once).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct AutoStart {
    pub agent: String,
    pub prompt: String,
    /// When it fired (it does not fire again).
    pub fired_at: Option<DateTime<Utc>>,
}

/// `GET /api/tasks/{id}/dependencies`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TaskDependencies {
    /// What this task waits for.
    pub blockers: Vec<TaskLink>,
    /// What waits for this task.
    pub dependents: Vec<TaskLink>,
    /// Some blocker is not Done yet: the task cannot start.
    pub blocked: bool,
    pub auto_start: Option<AutoStart>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddDependency {
    /// The task that must be Done first (same project).
    pub blocker_id: Uuid,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetAutoStart {
    pub agent: String,
    pub prompt: String,
}
