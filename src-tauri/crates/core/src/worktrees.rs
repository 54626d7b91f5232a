//! The disk view: every worktree viban made (`GET /api/worktrees`), with its size, task, state and age, and the
//! cleanup of the ones that can go without losing work (`POST /api/worktrees/cleanup`).

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::TaskStatus;

/// One worktree viban made (the distinct `worktree_path` of a task's runs), existing or not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS, ToSchema)]
pub struct WorktreeInfo {
    /// Absolute path, as the runs store it (the id of a worktree in cleanup requests).
    pub path: String,
    pub project_id: Uuid,
    pub project_name: String,
    pub task_id: Uuid,
    pub task_title: String,
    pub task_status: TaskStatus,
    /// The branch its runs work on.
    pub branch: String,
    /// The branch it merges into (the runs' base).
    pub target: String,
    /// Its runs, oldest first (follow-ups share the worktree).
    pub run_ids: Vec<Uuid>,
    /// A run is queued, starting or running in it.
    pub active: bool,
    /// The folder is there.
    pub exists: bool,
    /// viban removed it (by hand, on merge, when done, or by age).
    pub removed: bool,
    /// Apparent size in bytes, like `du -sb` (symbolic links not followed, hard links once, nothing excluded).
    pub size_bytes: i64,
    /// False while the size is still being computed or when the walk hit its cap: `size_bytes` is a lower bound.
    pub size_exact: bool,
    /// Changed paths (staged, unstaged, untracked; ignored files not counted).
    pub uncommitted: i64,
    /// Commits that the target does not have (0 when their content is in it, e.g. after a squash merge).
    pub unmerged_commits: i64,
    /// A remote-tracking branch has every commit.
    pub pushed: bool,
    /// Seconds since its last run finished (or, with none finished, since the folder last changed).
    pub age_secs: i64,
    /// Nothing would be lost: no active run, no uncommitted changes, no commits both unmerged and unpushed, no
    /// rebase or merge under way.
    pub safe_to_remove: bool,
    /// Why not, when it is not safe.
    pub why_not: Option<String>,
}

/// `POST /api/worktrees/cleanup`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, TS, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CleanupRequest {
    /// Worktree paths exactly as `GET /api/worktrees` lists them; every safe one when absent.
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
    /// The user confirmed losing uncommitted or unmerged-unpushed work in the listed `paths` (needs `paths`;
    /// never overrides an active run).
    #[ts(optional)]
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub force: Option<bool>,
}

/// A worktree cleanup kept, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct SkippedWorktree {
    pub path: String,
    pub why: String,
}

/// What a cleanup did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct CleanupResult {
    /// Worktree paths removed (their branches stay unless `delete_branch_on_merge` and merged).
    pub removed: Vec<String>,
    pub skipped: Vec<SkippedWorktree>,
    /// Branches deleted because they were merged into their target (`[runs] delete_branch_on_merge = true`).
    pub deleted_branches: Vec<String>,
}
