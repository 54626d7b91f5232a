//! Domain types and paths shared by every viban crate. Nothing here does I/O beyond creating directories.

pub mod automation;
pub mod comments;
pub mod deps;
pub mod error_code;
pub mod land;
pub mod model;
pub mod notify;
pub mod paths;
pub mod review;
pub mod run;
pub mod update;
pub mod worktrees;

pub use automation::*;
pub use comments::*;
pub use deps::*;
pub use error_code::ErrorCode;
pub use land::*;
pub use model::*;
pub use notify::{LogNotifier, Notifier};
pub use paths::{AppPaths, PathsError};
pub use review::*;
pub use run::*;
pub use update::*;
pub use worktrees::*;

/// The version every binary reports (server.json, /api/health, `--version`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
