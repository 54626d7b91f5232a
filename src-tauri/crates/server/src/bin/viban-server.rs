//! The headless viban: the same core the desktop app runs, serving the board to a browser.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use viban_core::AppPaths;
use viban_server::{App, Config};

#[derive(Parser)]
#[command(
    name = "viban-server",
    version,
    about = "viban without a window: the kanban board for coding agents, served to your browser",
    long_about = "viban without a window. `serve` starts the embedded PostgreSQL and the local API and prints the \
    URL to open; `doctor` checks what viban needs on this machine.\n\nLogs: VIBAN_LOG (e.g. debug) sets the level."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start PostgreSQL and the API; print `viban-server listening on <url>`; stop cleanly on Ctrl-C / SIGTERM.
    Serve {
        /// Keep every viban file (database, token, logs, config) under DIR.
        #[arg(long, env = "VIBAN_HOME", value_name = "DIR")]
        home: Option<PathBuf>,
        /// Address to listen on. Non-loopback addresses need --token and a TLS reverse proxy in front.
        #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR:PORT")]
        bind: SocketAddr,
        /// Use this PostgreSQL server instead of the embedded one (postgres://user:pass@host:port/db).
        #[arg(long, env = "VIBAN_DATABASE_URL", value_name = "URL", hide_env_values = true)]
        database_url: Option<String>,
        /// API token to require (default: the per-install token kept in the data dir).
        #[arg(long, env = "VIBAN_TOKEN", hide_env_values = true)]
        token: Option<String>,
        /// Folder with the built UI (default: next to the binary, or ui/dist in a source checkout).
        #[arg(long, env = "VIBAN_UI_DIR", value_name = "DIR")]
        ui_dir: Option<PathBuf>,
        /// Only accept projects inside this folder (repeatable).
        #[arg(long = "repo-root", value_name = "DIR")]
        repo_roots: Vec<PathBuf>,
    },
    /// Check PostgreSQL binaries, git, data dir and free disk; print what is missing and how to fix it.
    Doctor {
        #[arg(long, env = "VIBAN_HOME", value_name = "DIR")]
        home: Option<PathBuf>,
    },
}

async fn serve(config: Config) -> ExitCode {
    let app = match App::start(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("viban-server: {e}");
            return ExitCode::from(1);
        }
    };
    println!("viban-server listening on {}", app.url);
    println!("open {}/auth?token=<token from {}> in your browser", app.url, app.paths.server_json().display());
    wait_for_signal().await;
    if app.shutdown().await { ExitCode::SUCCESS } else { ExitCode::from(2) }
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
                _ = int.recv() => tracing::info!("SIGINT: shutting down"),
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("viban-server: could not start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match cli.command {
        Command::Serve { home, bind, database_url, token, ui_dir, repo_roots } => {
            let paths = AppPaths::resolve(home.as_deref()).ok();
            let _guard = viban_server::logging::init(paths.as_ref(), "viban-server");
            let config = Config { home, bind, database_url, token, ui_dir, repo_roots, ..Config::default() };
            runtime.block_on(serve(config))
        }
        Command::Doctor { home } => {
            let paths = match AppPaths::resolve(home.as_deref()) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("viban-server: {e}");
                    return ExitCode::from(1);
                }
            };
            let (report, ok) = viban_server::doctor::report(&paths);
            print!("{report}");
            if ok { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
    }
}
