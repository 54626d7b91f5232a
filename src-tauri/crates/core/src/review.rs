//! Reviewing a run's work: its change against the merge-base with its target (`GET /api/runs/{id}/diff`) and one
//! file of it (`GET /api/runs/{id}/diff/file`). Paths are shown as UTF-8 (a byte that is not UTF-8 becomes U+FFFD);
//! such a path still addresses its file (see docs/api-contract.md).

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;
use uuid::Uuid;

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileChange {
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,
    /// e.g. a file became a symbolic link.
    TypeChanged,
}

/// One file of a run's change, with its line counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct DiffFile {
    pub path: String,
    /// Where a renamed (or copied) file came from.
    pub old_path: Option<String>,
    pub change: FileChange,
    pub additions: i64,
    pub deletions: i64,
    /// No line counts then; the file endpoint gives the sizes.
    pub binary: bool,
    /// Not yet known to git (counted from the file itself; `.gitignore`d files are never listed).
    pub untracked: bool,
    /// git's octal modes: `100644`, `100755`, `120000` (symbolic link), `160000` (submodule); null on the side that
    /// does not exist.
    pub old_mode: Option<String>,
    pub new_mode: Option<String>,
}

/// `GET /api/runs/{id}/diff`: the worktree (committed, staged, unstaged and untracked) against `merge_base`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct RunDiff {
    pub run_id: Uuid,
    /// What the run was started from (its `base_ref`): a branch, tag or commit.
    pub target: String,
    /// The commit compared with: the merge-base of the worktree's HEAD and `target` (`target` itself when it is a
    /// full commit id).
    pub merge_base: String,
    /// Sorted by path (byte order).
    pub files: Vec<DiffFile>,
    pub additions: i64,
    pub deletions: i64,
}

/// `GET /api/runs/{id}/diff/file?path=`: both sides of one file and its unified patch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct FileDiff {
    pub path: String,
    pub old_path: Option<String>,
    pub binary: bool,
    /// Over the per-file cap (1 MiB or 20,000 lines on either side): no texts, empty `patch`; offer the editor or
    /// the whole patch (`?format=patch`) instead.
    pub too_large: bool,
    /// Bytes on the merge-base side (0 when added) and in the worktree (0 when deleted); a symbolic link's size is
    /// its target's length.
    pub old_size: i64,
    pub new_size: i64,
    /// The merge-base side's text; null when that side does not exist, is binary, a submodule, or too large. A
    /// symbolic link's text is its target (never followed).
    pub old_text: Option<String>,
    /// The worktree side's text, under the same rules.
    pub new_text: Option<String>,
    /// The file's unified patch as `git diff` prints it (empty when too large).
    pub patch: String,
}

/// `ChangeEvent::RunFiles`: files changed in a run's worktree (from the file watcher, within about a second).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, ToSchema)]
pub struct RunFiles {
    pub run_id: Uuid,
    pub task_id: Uuid,
    /// Worktree-relative paths written, created or removed (a path may also be a folder); null when there were too
    /// many (over 200) or a new folder appeared: refetch the whole diff.
    pub paths: Option<Vec<String>>,
}
