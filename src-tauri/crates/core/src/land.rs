//! Landing a run's work: the branch's git state as the task panel shows it, and the requests that commit, merge,
//! rebase, push and open a pull request. Every action's exact command line is in `GitCommands`, shown before the
//! user confirms.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

/// `GET /api/runs/{id}/git`: where the run's branch stands against its target.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct GitState {
    /// The run's branch (`viban/<task-slug>-<id>`).
    pub branch: String,
    /// The branch it merges into (the run's base).
    pub target: String,
    /// Commits on the branch that the target lacks.
    pub ahead: i64,
    /// Commits on the target that the branch lacks.
    pub behind: i64,
    /// Changed paths in the worktree (staged, unstaged and untracked, not ignored).
    pub uncommitted: Vec<String>,
    /// A rebase under way in the worktree (git's own state: it survives restarts).
    pub rebase: Option<RebaseState>,
    /// The upstream branch (`origin/viban/…`) once pushed.
    pub upstream: Option<String>,
    /// Commits not on the upstream (all of `ahead` when there is none).
    pub unpushed: i64,
    pub pr: Option<PullRequest>,
    pub commands: GitCommands,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct RebaseState {
    /// What the branch is being rebased onto (the target's name, or a commit).
    pub onto: String,
    /// Files with unresolved conflicts.
    pub conflicts: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct PullRequest {
    /// `github` | `gitlab`
    pub provider: String,
    pub url: String,
    pub number: i64,
    /// `open` | `merged` | `closed`
    pub state: String,
    /// `pending` | `passing` | `failing`; none when the PR has no checks.
    pub checks: Option<String>,
}

/// The command lines each action runs (`<message>`, `<title>`, `<body>` stand for what the user types).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct GitCommands {
    pub commit: String,
    pub merge: String,
    pub squash: String,
    pub rebase: String,
    pub push: String,
    /// None when no provider (GitHub, GitLab) is known for the remote.
    pub pr: Option<String>,
}

/// `POST /api/runs/{id}/commit`.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitRequest {
    pub message: String,
    /// Paths relative to the worktree; all changes when absent.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
}

/// `POST /api/runs/{id}/merge`.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MergeRequest {
    #[serde(default)]
    pub squash: bool,
    /// The merge (or squashed) commit's message; a default naming the branch (squash: the task title).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// `POST /api/runs/{id}/push`.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    /// `--force-with-lease`: only when the user asked for it.
    #[serde(default)]
    pub force: bool,
}

/// `POST /api/runs/{id}/pr`.
#[derive(Debug, Clone, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrRequest {
    pub title: String,
    pub body: String,
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draft: Option<bool>,
}
