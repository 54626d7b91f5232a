//! Git for viban: worktrees and branches through the host's `git`, changed-file counts, and the one file watcher
//! that keeps those counts live for every worktree; writes into a worktree that cannot leave it (`confined`); the
//! change of a worktree against its target (`diff`: stats, one file's sides, the whole patch).

pub mod confined;
mod diff;
mod diff_file;
mod diff_lines;
mod diff_read;
mod disk;
mod land;
mod land_pr;
mod retire;
pub mod runner;
mod watch;
mod worktree;

pub use confined::{ConfinedError, write_beneath};
pub use diff::*;
pub use diff_file::{Caps, FileDiffData, file_diff, file_patch, write_patch};
pub use diff_lines::{NoText, Side, SideText, side_text, split_lines};
pub use diff_read::{Leaf, read_beneath};
pub use disk::{DiskUsage, WalkCaps, apparent_size};
pub use land::{Branch, BranchState, LandError, confine};
pub use land_pr::{PrInfo, Provider, parse_pr, scrub, shell_line};
pub use retire::{WorktreeCheck, branch_merged, delete_branch, inspect_worktree};
pub use watch::{MAX_TOUCHED_PATHS, Touched, WatchError, WorktreeWatcher};
pub use worktree::*;
