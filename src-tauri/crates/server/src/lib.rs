//! `App::start`: the one startup path for the desktop shell, the headless server and the tests.
//! Paths → data-dir lock → PostgreSQL (embedded under a Supervisor, or external) → migrations → change feed →
//! API bound → server.json written. Shutdown runs the same steps backwards, each under a deadline.

mod app;
pub mod client;
pub mod deploy;
pub mod doctor;
pub mod logging;
pub mod managed;
pub mod mcp_stdio;
pub mod payload;
mod server_file;
pub mod token;
pub mod watch_status;

pub use app::{App, Config, RunningApp, StartError};
pub use server_file::ServerFile;
pub use viban_agents::Ladder;
pub use viban_api::ShellCommand;
