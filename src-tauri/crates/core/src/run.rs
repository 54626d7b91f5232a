//! Agent runs as the API shows them: a run is one agent process in a PTY, inside a worktree of the task.
//! A follow-up run reuses its parent's worktree; a new attempt gets a worktree and branch of its own.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Waiting for a free slot (global or per-project limit).
    Queued,
    /// Worktree, setup script and spawn under way.
    Starting,
    Running,
    /// Exited with code 0.
    Succeeded,
    /// Exited non-zero, was killed by a signal, or could not start (see `error`).
    Failed,
    /// Stopped by the user (or by quitting the app).
    Stopped,
    /// The app died while it ran; its processes were reaped at the next start.
    Interrupted,
}

impl RunStatus {
    pub const ALL: [RunStatus; 7] =
        [Self::Queued, Self::Starting, Self::Running, Self::Succeeded, Self::Failed, Self::Stopped, Self::Interrupted];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Starting => "starting",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Still holds (or waits for) a process.
    pub fn is_active(self) -> bool {
        matches!(self, Self::Queued | Self::Starting | Self::Running)
    }
}

/// What a run is: an agent at work, or a plain interactive shell the user opened in the worktree (it never moves
/// the card, never waits in the agent queue and never notifies as an agent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    #[default]
    Agent,
    Shell,
    /// A column automation's script.
    Script,
}

impl RunKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Agent => "agent",
            Self::Shell => "shell",
            Self::Script => "script",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Agent, Self::Shell, Self::Script].into_iter().find(|k| k.as_str() == s)
    }

    /// Shells and scripts are not agents: they never move the card, wait for input or notify as one.
    pub fn is_agent(self) -> bool {
        self == Self::Agent
    }
}

/// Where a run's agent ran: a PTY on this machine, or a container with limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuntimeKind {
    #[default]
    Local,
    Container,
    Kubernetes,
}

impl RuntimeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Local => "local",
            Self::Container => "container",
            Self::Kubernetes => "kubernetes",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Local, Self::Container, Self::Kubernetes].into_iter().find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct Run {
    pub id: Uuid,
    pub task_id: Uuid,
    pub project_id: Uuid,
    /// Profile id (`claude`, `codex`, `custom`, …); `shell` for a shell.
    pub agent: String,
    pub kind: RunKind,
    pub runtime: RuntimeKind,
    /// For a container run: its image and limits ("img · 2 CPUs · 4g · 1024 pids · network on").
    pub runtime_detail: Option<String>,
    pub prompt: String,
    /// The run this one follows up (same worktree), if any.
    pub follow_up_of: Option<Uuid>,
    pub status: RunStatus,
    pub exit_code: Option<i32>,
    /// Why it failed or could not start, in words.
    pub error: Option<String>,
    pub worktree_path: String,
    pub branch: String,
    /// What the branch was made from (a branch name or commit).
    pub base_ref: String,
    /// Files changed in the worktree against the base (tracked changes + untracked files not ignored).
    pub changed_files: i32,
    /// Bytes of terminal output stored so far.
    pub output_bytes: i64,
    /// 1-based place in the queue while `queued`.
    pub queue_position: Option<i32>,
    pub cols: i32,
    pub rows: i32,
    /// Things the user should know that did not stop the run (e.g. uncommitted changes left in the main checkout).
    pub warnings: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// `POST /api/tasks/{id}/runs`: a new attempt in a new worktree.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRun {
    pub agent: String,
    pub prompt: String,
    /// Branch or commit to start from; the project's default branch when absent.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<String>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cols: Option<u16>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u16>,
    /// Where to run it, overriding the profile's `runtime` (a container needs an image: the profile's, or
    /// `[container] image` in agents.toml).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<RuntimeKind>,
}

/// `POST /api/runs/{id}/follow-up`: another run in the same worktree (the profile's follow-up form).
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FollowUp {
    pub prompt: String,
    /// Defaults to the agent of the run followed up.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent: Option<String>,
}

/// `POST /api/runs/{id}/shell`: a login shell in the run's worktree (a run of kind `shell`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartShell {
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cols: Option<u16>,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u16>,
}

/// `POST /api/runs/{id}/open`: the run's worktree, or one of its files (at a line), in the user's editor.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenInEditor {
    /// Relative to the worktree (no absolute path, no `..`, no link leading out of it); the worktree when absent.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// 1-based line (only with `path`).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
}

/// An editor viban knows how to start (`GET /api/editors`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct EditorPreset {
    pub id: String,
    pub name: String,
    /// With `{path}` and `{line}` where they go.
    pub command: String,
    /// Found on the login shell's PATH.
    pub installed: bool,
}

/// `GET /api/editors`: the presets, what `agents.toml` configures and what "Open in editor" will run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct Editors {
    pub presets: Vec<EditorPreset>,
    /// `[editor] command` of agents.toml, if set.
    pub configured: Option<String>,
    /// The command "Open in editor" runs: the configured one, else the first installed preset; None: no editor.
    pub command: Option<String>,
    /// How to set one up, when there is none.
    pub hint: Option<String>,
}

/// `POST /api/runs/{id}/input`: bytes for the agent's terminal, as text (`"\r"` is Enter).
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunInput {
    pub data: String,
}

/// `POST /api/runs/{id}/resize`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunResize {
    pub cols: u16,
    pub rows: u16,
}

/// `GET /api/runs/{id}/screen`: the run's current screen from the server-side terminal state.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct RunScreen {
    pub cols: u16,
    pub rows: u16,
    /// One string per screen row, trailing blanks trimmed.
    pub lines: Vec<String>,
    pub cursor_row: u16,
    pub cursor_col: u16,
    /// Transcript offset (bytes) this screen reflects.
    pub offset: u64,
}

/// An agent profile merged with what detection found on this machine (`GET /api/agents`).
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct AgentInfo {
    pub id: String,
    pub name: String,
    /// Shipped with viban (possibly overridden by the user's file).
    pub builtin: bool,
    /// The command line as it will run, with `{prompt}` where the prompt goes.
    pub command_line: String,
    pub installed: bool,
    /// Absolute path of the binary found on the login-shell PATH.
    pub path: Option<String>,
    pub version: Option<String>,
    pub install_hint: Option<String>,
    /// Why it cannot run (binary missing, bad profile), in words.
    pub problem: Option<String>,
    /// Where its profile runs it unless a run says otherwise.
    pub runtime: RuntimeKind,
}

/// The user's profile file (`GET`/`PUT /api/agents/config`).
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
pub struct AgentConfig {
    /// Where it lives on disk.
    #[serde(default)]
    pub path: String,
    /// TOML text.
    pub text: String,
}

/// Live activity of a running agent, pushed on `/api/events` at most about once a second per run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct RunActivity {
    pub run_id: Uuid,
    pub task_id: Uuid,
    pub project_id: Uuid,
    /// Last non-blank lines of the screen (at most 3).
    pub last_lines: Vec<String>,
    pub output_bytes: u64,
    /// Milliseconds since the agent last printed.
    pub idle_ms: u64,
    /// Quiet long enough that it probably waits for input; `last_lines` then shows its question.
    pub waiting: bool,
}
