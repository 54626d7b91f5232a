//! The local services viban owns: an embedded PostgreSQL under a Supervisor, and the lock that keeps one viban
//! per data dir. No tauri here: the desktop shell and the headless server share this crate.

mod lock;
pub mod pg;
mod status;
mod supervisor;

pub use lock::{DataDirLock, LockError};
pub use pg::{EmbeddedPostgres, PgError};
pub use status::{ServiceState, Status};
pub use supervisor::{RestartPolicy, Supervisor, SupervisorHandle};
