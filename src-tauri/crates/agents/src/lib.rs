//! Agents: profiles and detection, PTY runs with a server-side terminal, the stop ladder and process ledger,
//! transcripts (stored in PostgreSQL, exported as asciicast v2) and the run queue.

pub mod automation;
pub mod cast;
pub mod catalog;
pub mod container;
pub mod detect;
mod driver;
pub mod editor;
pub mod env;
mod error;
mod inbox;
mod kube_session;
pub mod kubernetes;
mod land;
mod lifecycle;
pub mod live;
pub mod mcp;
mod owned;
mod pipe;
pub mod procs;
pub mod profile;
pub mod pty;
mod runs;
mod runtimes;
mod setup;
mod shell;
mod table;
pub mod terminal;
pub mod transcript;
mod vt_feed;
mod worktrees;

pub use error::RunError;
pub use live::{AttachStart, Attachment, RunIds};
pub use owned::Owner;
pub use procs::Ladder;
pub use runs::{MAX_PROMPT_BYTES, Runs, RunsConfig};
pub use transcript::{ReadError, StoredChunk, TranscriptReader};
