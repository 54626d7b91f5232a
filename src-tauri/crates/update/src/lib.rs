//! Self-update support that needs no window (issue 10, docs/update-contract.md):
//! - the files under `<data>/updates/` (`settings`, `pending`, `skipped`, `outcome`), written atomically, 0600;
//! - keeping the installed package so it can be reinstalled ([`keep_current`]);
//! - the guard ([`guard`], run as `viban-server update-guard` from a copy of the binary placed outside the
//!   package by [`spawn_guard`]) that waits for the new version to report healthy and otherwise reinstalls the
//!   kept package, records the failed version as skipped and starts the previous version again.
//!
//! Never depends on tauri: the desktop shell, the API and `viban-server` all use it.

mod error;
mod files;
mod guard;
mod install;
mod keep;
mod procs;
mod spawn;

pub use error::UpdateError;
pub use files::{
    Outcome, OutcomeKind, PackageFormat, PendingUpdate, ServerInfo, Skipped, UPDATE_URL_ENV, UpdateChannel, UpdateDir,
    UpdateSettings, effective_endpoint, read_json, write_json_atomic,
};
pub use guard::{GuardOptions, guard};
pub use install::{InstallCommand, Installer, PrefixInstaller, SystemInstaller, lock_holder, package_database_holder};
pub use keep::{
    DEFAULT_PACKAGE, filter_listing, keep_current, keep_download, keep_package, kept_for, prune_kept, render_control,
    stage_files,
};
pub use procs::{pid_alive, processes_with_exe};
pub use spawn::{
    GUARD_SUBCOMMAND, SERVER_BIN_ENV, detach_session, find_server_binary, spawn_detached, spawn_guard, spawn_guard_from,
};

pub type Result<T, E = UpdateError> = std::result::Result<T, E>;
