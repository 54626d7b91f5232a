//! The domain as the API shows it. These types are the API contract: TypeScript types for the UI are generated
//! from them (ts-rs) and the OpenAPI document describes them (utoipa). Database rows live in viban-db.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

/// A column of the board. The order of `ALL` is the order of the columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Todo,
    InProgress,
    InReview,
    Done,
    Cancelled,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 5] = [Self::Todo, Self::InProgress, Self::InReview, Self::Done, Self::Cancelled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Todo => "todo",
            Self::InProgress => "in_progress",
            Self::InReview => "in_review",
            Self::Done => "done",
            Self::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Project {
    pub id: Uuid,
    pub name: String,
    /// Canonical path of the git work tree.
    pub repo_path: String,
    /// Detected at creation (`origin/HEAD`, else the current branch); null for a repository without commits.
    pub default_branch: Option<String>,
    /// Run by `/bin/sh -c` in each new worktree before the agent starts (e.g. `npm ci`); empty for none.
    pub setup_script: String,
    /// Files copied from the repository into each new worktree (relative paths, e.g. `.env`).
    pub copy_files: Vec<String>,
    /// Where its runs go unless a run says otherwise.
    pub default_runtime: DefaultRuntime,
    /// Image and limits for its container and Kubernetes runs, over the agents' profiles.
    pub runtime_options: RuntimeOptions,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A project's image and limits for its container runs; each set field wins over the agent's profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct ContainerOptions {
    pub image: Option<String>,
    /// As the engine takes it (`512m`, `4g`).
    pub memory: Option<String>,
    pub cpus: Option<f64>,
    pub pids: Option<u32>,
    /// false: no network at all.
    pub network: Option<bool>,
}

/// A project's image and limits for its Kubernetes runs; each set field wins over the agent's profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct KubernetesOptions {
    pub image: Option<String>,
    /// A Kubernetes quantity (`2`, `500m`).
    pub cpu: Option<String>,
    /// A Kubernetes quantity (`4Gi`).
    pub memory: Option<String>,
}

/// A project's options for the runtimes that take any.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct RuntimeOptions {
    pub container: ContainerOptions,
    pub kubernetes: KubernetesOptions,
}

impl RuntimeOptions {
    /// What is wrong with these options, in words (checked when saved; the runtimes check again at start).
    pub fn problem(&self) -> Option<String> {
        let c = &self.container;
        if c.cpus.is_some_and(|n| !(n > 0.0 && n <= 1024.0)) {
            return Some("container cpus must be above 0 and at most 1024".into());
        }
        if c.pids.is_some_and(|n| n < 16) {
            return Some("container pids must be at least 16".into());
        }
        let k = &self.kubernetes;
        let fields = [
            ("container image", &c.image),
            ("container memory", &c.memory),
            ("Kubernetes image", &k.image),
            ("Kubernetes cpu", &k.cpu),
            ("Kubernetes memory", &k.memory),
        ];
        for (what, v) in fields {
            if let Some(v) = v
                && (v.trim().is_empty() || v.len() > 300 || v.chars().any(char::is_whitespace))
            {
                return Some(format!("{what} {v:?} must be one word (leave it out for the profile's)"));
            }
        }
        None
    }
}

/// A project's default place for its runs: as each agent's profile says, or one for all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DefaultRuntime {
    #[default]
    Profile,
    Local,
    Container,
    Kubernetes,
}

impl DefaultRuntime {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Profile => "profile",
            Self::Local => "local",
            Self::Container => "container",
            Self::Kubernetes => "kubernetes",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Profile, Self::Local, Self::Container, Self::Kubernetes].into_iter().find(|k| k.as_str() == s)
    }

    /// The runtime it imposes, if any.
    pub fn runtime(self) -> Option<crate::RuntimeKind> {
        match self {
            Self::Profile => None,
            Self::Local => Some(crate::RuntimeKind::Local),
            Self::Container => Some(crate::RuntimeKind::Container),
            Self::Kubernetes => Some(crate::RuntimeKind::Kubernetes),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Task {
    pub id: Uuid,
    pub project_id: Uuid,
    pub title: String,
    /// Markdown.
    pub description: String,
    pub status: TaskStatus,
    /// Opaque sort key within the column (byte order).
    pub position: String,
    /// The task this one is a subtask of (same project), if any.
    pub parent_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct BoardColumn {
    pub status: TaskStatus,
    pub tasks: Vec<Task>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Board {
    pub project: Project,
    /// Always the five statuses, in `TaskStatus::ALL` order.
    pub columns: Vec<BoardColumn>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct CreateProject {
    pub name: String,
    pub repo_path: String,
}

/// `PATCH /api/projects/{id}`: absent fields stay as they are.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateProject {
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub setup_script: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub copy_files: Option<Vec<String>>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_runtime: Option<DefaultRuntime>,
    /// Replaces the project's runtime options as a whole.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_options: Option<RuntimeOptions>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct CreateTask {
    pub title: String,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TaskStatus>,
    /// Makes it a subtask of this task (same project).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<Uuid>,
}

/// Partial update. `position` is the 0-based index the task should take in its (new) column, counted without
/// the task itself; a status change without a position puts the task at the top of the new column.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTask {
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<TaskStatus>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
}

/// One entry of a task's append-only history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct TaskEvent {
    pub id: i64,
    pub task_id: Uuid,
    /// `created`, `updated`, `moved` or `deleted`.
    pub kind: String,
    #[ts(type = "unknown")]
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct ApiErrorBody {
    /// Stable machine-readable code the UI branches on.
    pub code: crate::ErrorCode,
    pub message: String,
}

/// `POST /api/auth/session`: a single-use sign-in code to redeem.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    pub code: String,
}

/// A browser session: send it as `Authorization: Bearer <session>`; keep it in per-origin storage only.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct Session {
    pub session: String,
}

/// `POST /api/auth/ticket`: authorises one WebSocket upgrade (`?ticket=`) within 30 seconds.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct WsTicket {
    pub ticket: String,
}

/// `POST /api/auth/codes`: a single-use sign-in code (valid 5 minutes) and the link that redeems it.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct LoginCode {
    pub code: String,
    pub url: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct Health {
    pub status: String,
    pub version: String,
    /// `ready`, `degraded` or `down`.
    pub database: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeTable {
    Project,
    Task,
    Run,
    /// A review comment; the event's `id` is the run it was made on.
    Comment,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Insert,
    Update,
    Delete,
}

/// A frame of the `/api/events` WebSocket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ChangeEvent {
    Hello {
        version: String,
    },
    Change {
        table: ChangeTable,
        op: ChangeOp,
        id: Uuid,
        project_id: Option<Uuid>,
    },
    /// Notifications may have been lost: refetch.
    Resync,
    /// The database's state (`ready`, `starting`, `degraded`, `down`, `stopped`): sent on connect and on every
    /// change, so the UI can say when the services are restarting or down.
    Status {
        database: String,
    },
    /// A running agent's screen tail and idleness (not stored; see `RunActivity`).
    RunActivity(crate::run::RunActivity),
    /// Files changed in a run's worktree: refetch those (or the whole diff when `paths` is null).
    RunFiles(crate::review::RunFiles),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_round_trips_through_its_name() {
        for s in TaskStatus::ALL {
            assert_eq!(TaskStatus::parse(s.as_str()), Some(s));
            let json = serde_json::to_string(&s).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
        }
        assert_eq!(TaskStatus::parse("doing"), None);
    }

    #[test]
    fn update_rejects_unknown_fields() {
        assert!(serde_json::from_str::<UpdateTask>(r#"{"titel":"x"}"#).is_err());
    }
}
