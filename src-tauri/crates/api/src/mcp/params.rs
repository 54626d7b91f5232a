//! The MCP tools' arguments: each field documented for a model (the descriptions become the JSON schema's).

use schemars::JsonSchema;
use serde::Deserialize;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ListTasks {
    /// The project's id (from list_projects).
    pub project_id: String,
    /// Only tasks in this column: todo, in_progress, in_review, done or cancelled.
    #[serde(default)]
    pub status: Option<String>,
    /// Only tasks whose title or description contains this text (any case), or whose id starts with it (`#1a2b`).
    #[serde(default)]
    pub text: Option<String>,
    /// At most this many tasks (default 100, at most 1000).
    #[serde(default)]
    pub limit: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TaskRef {
    /// The task's id.
    pub task_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateTaskArgs {
    /// The project to add the task to.
    pub project_id: String,
    /// A short imperative title, like a commit subject (at most 500 characters).
    pub title: String,
    /// Markdown: what to do, why, and how to know it is done.
    #[serde(default)]
    pub description: Option<String>,
    /// The column to put it in (default todo).
    #[serde(default)]
    pub status: Option<String>,
    /// Make it a subtask of this task (in the same project), e.g. a piece of the task you are working on.
    #[serde(default)]
    pub parent_task_id: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateTaskArgs {
    /// The task's id.
    pub task_id: String,
    #[serde(default)]
    pub title: Option<String>,
    /// Replaces the whole description (Markdown).
    #[serde(default)]
    pub description: Option<String>,
    /// Moves the task to this column: todo, in_progress, in_review, done or cancelled.
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRunArgs {
    /// The task to work on; the run gets a new git worktree and branch of its own.
    pub task_id: String,
    /// The agent profile's id (from list_agents), e.g. claude, codex, gemini.
    pub agent: String,
    /// What the agent is asked to do.
    pub prompt: String,
    /// The branch or commit to start from (default: the project's default branch).
    #[serde(default)]
    pub base: Option<String>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunRef {
    /// The run's id.
    pub run_id: String,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GetRunArgs {
    /// The run's id.
    pub run_id: String,
    /// How many of the last lines of its terminal screen to include (default 20, at most 200).
    #[serde(default)]
    pub lines: Option<u32>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SendInputArgs {
    /// The run's id; it must be running.
    pub run_id: String,
    /// The text to type into its terminal.
    pub text: String,
    /// Press Enter after the text (default true).
    #[serde(default)]
    pub enter: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RunDiffArgs {
    /// The run's id.
    pub run_id: String,
    /// Also return the unified patch (cut at 256 KiB).
    #[serde(default)]
    pub patch: Option<bool>,
}

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddDependencyArgs {
    /// The task that has to wait.
    pub task_id: String,
    /// The task that must be Done before it can start (same project).
    pub blocker_task_id: String,
}
