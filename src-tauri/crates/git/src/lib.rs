//! Git for viban: worktrees and branches through the host's `git`, changed-file counts, and the one file watcher
//! that keeps those counts live for every worktree; writes into a worktree that cannot leave it (`confined`).

pub mod confined;
mod watch;
mod worktree;

pub use confined::{ConfinedError, write_beneath};
pub use watch::{WatchError, WorktreeWatcher};
pub use worktree::*;
