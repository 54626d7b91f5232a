//! Git for viban: worktrees and branches through the host's `git`, changed-file counts, and the one file watcher
//! that keeps those counts live for every worktree.

mod watch;
mod worktree;

pub use watch::{WatchError, WorktreeWatcher};
pub use worktree::*;
