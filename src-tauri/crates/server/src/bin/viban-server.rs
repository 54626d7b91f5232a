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
        /// Connections the API may open to PostgreSQL (the transcript store keeps 4 of its own). A managed
        /// database's connection limit must allow this + 4 + 1 (the change feed) per instance.
        #[arg(long, env = "VIBAN_DB_POOL_SIZE", default_value_t = 10, value_name = "N",
            value_parser = clap::value_parser!(u32).range(2..=200))]
        db_pool_size: u32,
        /// API token to require (default: the per-install token kept in the data dir). Visible to every local
        /// user in the process list: prefer --token-file or VIBAN_TOKEN.
        #[arg(long, env = "VIBAN_TOKEN", hide_env_values = true, conflicts_with = "token_file")]
        token: Option<String>,
        /// Read the API token to require from this file (first line).
        #[arg(long, env = "VIBAN_TOKEN_FILE", value_name = "FILE")]
        token_file: Option<PathBuf>,
        /// Also accept writes and WebSockets from this origin (e.g. http://localhost:5173 for the UI's dev
        /// server). Repeatable.
        #[arg(long = "allow-origin", env = "VIBAN_ALLOW_ORIGIN", value_delimiter = ',', value_name = "ORIGIN")]
        allow_origins: Vec<String>,
        /// Where users reach viban through a TLS reverse proxy (https://host[:port]): its host is accepted in
        /// `Host`, its origin for writes and WebSockets, and sign-in links point at it.
        #[arg(long, env = "VIBAN_PUBLIC_URL", value_name = "URL")]
        public_url: Option<String>,
        /// Open the board in the browser, signed in (a single-use link).
        #[arg(long)]
        open: bool,
        /// Folder with the built UI (default: next to the binary, or ui/dist in a source checkout).
        #[arg(long, env = "VIBAN_UI_DIR", value_name = "DIR")]
        ui_dir: Option<PathBuf>,
        /// Only accept projects inside this folder (repeatable).
        #[arg(long = "repo-root", env = "VIBAN_REPO_ROOTS", value_delimiter = ',', value_name = "DIR")]
        repo_roots: Vec<PathBuf>,
        /// The embedded PostgreSQL listens on its unix socket only, with no TCP port at all (what the container
        /// image does).
        #[arg(long, env = "VIBAN_PG_SOCKET_ONLY")]
        pg_socket_only: bool,
    },
    /// Write a self-contained copy of this binary: PostgreSQL's portable binaries and the built UI packed into it,
    /// unpacked once into the cache dir at its first start (`cargo xtask dist` runs this).
    Pack {
        /// The portable PostgreSQL's folder holding bin/, lib/ and share/ (`@embedded-postgres/<platform>/native`).
        #[arg(long, value_name = "DIR")]
        postgres: PathBuf,
        /// The built UI (ui/dist).
        #[arg(long, value_name = "DIR")]
        ui: PathBuf,
        /// Where to write the self-contained binary.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print a new single-use sign-in link (valid 5 minutes) for the running viban.
    LoginUrl {
        #[arg(long, env = "VIBAN_HOME", value_name = "DIR")]
        home: Option<PathBuf>,
        /// Open it in the browser instead of only printing it.
        #[arg(long)]
        open: bool,
    },
    /// viban's MCP server over stdio, for an MCP client that starts a command (e.g. `claude mcp add viban --
    /// viban-server mcp`): relays to the running viban (found through server.json) with its token, or
    /// `VIBAN_MCP_TOKEN`.
    Mcp {
        #[arg(long, env = "VIBAN_HOME", value_name = "DIR")]
        home: Option<PathBuf>,
    },
    /// Sign out every browser and replace the install token (of the running viban, or the one on disk).
    RotateToken {
        #[arg(long, env = "VIBAN_HOME", value_name = "DIR")]
        home: Option<PathBuf>,
    },
    /// Apply the database migrations this binary carries (a release step on a managed PostgreSQL). Idempotent and
    /// safe from two instances at once (an advisory lock); refuses a schema a newer viban migrated.
    Migrate {
        /// postgres://user:pass@host:port/db (`?sslmode=require` for TLS).
        #[arg(long, env = "VIBAN_DATABASE_URL", value_name = "URL", hide_env_values = true)]
        database_url: String,
    },
    /// Readiness, for a platform's health probe: exit 0 when ready, 1 (with why) when not. With --database-url:
    /// the database answers and its schema is this binary's. Otherwise: the running server (its server.json, or
    /// --url) answers /api/health with its database ready.
    Check {
        #[arg(long, env = "VIBAN_DATABASE_URL", value_name = "URL", hide_env_values = true)]
        database_url: Option<String>,
        #[arg(long, env = "VIBAN_HOME", value_name = "DIR")]
        home: Option<PathBuf>,
        /// The server's base URL (default: the one in server.json).
        #[arg(long, value_name = "URL", conflicts_with = "database_url")]
        url: Option<String>,
    },
    /// Install a new viban-server beside the current one, switch to it, restart, and keep it only if it reports
    /// healthy in time; otherwise switch back and restart the previous one. Exit 0: switched; 1: refused or rolled
    /// back (the reason is printed).
    Deploy {
        /// The new viban-server binary.
        binary: PathBuf,
        #[command(flatten)]
        target: DeployTarget,
    },
    /// Switch back to the previous binary and restart (after a deploy that got healthy but misbehaves).
    Rollback {
        #[command(flatten)]
        target: DeployTarget,
    },
    /// Check PostgreSQL binaries, git, data dir and free disk; print what is missing and how to fix it.
    Doctor {
        #[arg(long, env = "VIBAN_HOME", value_name = "DIR")]
        home: Option<PathBuf>,
        /// First remove the clusters kept in /var/lib/viban (as root) whose home is gone; print what was removed.
        #[arg(long)]
        clean: bool,
    },
    /// Guard an update (started by the app from a copy of this binary): wait for the old process to exit and the
    /// new version to report healthy; otherwise reinstall the kept version, skip the new one and start the app.
    /// Exit 0: updated; 3: rolled back; 4: the update was withdrawn (nothing to check); 1: error.
    UpdateGuard {
        /// The pending-update record, `<data>/updates/pending.json`.
        #[arg(long, value_name = "FILE")]
        pending: PathBuf,
        /// Seconds the new version has to report healthy (default: the record's `deadline_secs`).
        #[arg(long, value_name = "N")]
        deadline_secs: Option<u64>,
        /// Where the restarted app's output goes (default: `update-guard.log` in the log dir).
        #[arg(long, value_name = "FILE")]
        log_file: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct DeployTarget {
    /// Where releases live: `releases/`, and the `current` and `previous` links the service runs from.
    #[arg(long, default_value = "/opt/viban", value_name = "DIR")]
    dir: PathBuf,
    /// How to restart the service after a switch (run with `sh -c`).
    #[arg(long, default_value = "systemctl restart viban-server", value_name = "COMMAND")]
    restart_command: String,
    /// Where the restarted server answers /api/health.
    #[arg(long, default_value = "http://127.0.0.1:7777", value_name = "URL")]
    health_url: String,
    /// Seconds the new version has to report healthy.
    #[arg(long, default_value_t = 30, value_name = "N")]
    deadline_secs: u64,
    /// The server's home: the process serving must then also be the binary switched to.
    #[arg(long, value_name = "DIR")]
    home: Option<PathBuf>,
}

impl DeployTarget {
    fn options(self) -> viban_server::deploy::DeployOptions {
        viban_server::deploy::DeployOptions {
            dir: self.dir,
            restart: self.restart_command,
            health_url: self.health_url,
            deadline: std::time::Duration::from_secs(self.deadline_secs),
            home: self.home,
        }
    }
}

fn deployed(what: &str, result: Result<String, viban_server::deploy::DeployError>) -> ExitCode {
    match result {
        Ok(line) => {
            println!("viban-server {what}: {line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("viban-server {what}: {e}");
            ExitCode::from(1)
        }
    }
}

async fn serve(config: Config, open: bool) -> ExitCode {
    // Signals are caught from before the start: a SIGTERM during it (or right after `listening on`) waits for the
    // start to finish and then takes the ordered shutdown, instead of killing us with PostgreSQL left running.
    let signals = Signals::install();
    let app = match App::start(config).await {
        Ok(app) => app,
        Err(e) => {
            eprintln!("viban-server: {e}");
            return ExitCode::from(1);
        }
    };
    println!("viban-server listening on {}", app.url);
    let link = app.login_url();
    println!("viban-server sign-in link (single use, valid 5 minutes; `viban-server login-url` makes another): {link}");
    if open && let Err(e) = viban_server::client::open_in_browser(&link) {
        eprintln!("viban-server: could not open a browser (xdg-open: {e}); open the link above yourself");
    }
    signals.wait().await;
    if app.shutdown().await { ExitCode::SUCCESS } else { ExitCode::from(2) }
}

struct Signals(Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>);

impl Signals {
    fn install() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        Self(signal(SignalKind::terminate()).ok().zip(signal(SignalKind::interrupt()).ok()))
    }

    async fn wait(self) {
        match self.0 {
            Some((mut term, mut int)) => {
                tokio::select! {
                    _ = term.recv() => tracing::info!("SIGTERM: shutting down"),
                    _ = int.recv() => tracing::info!("SIGINT: shutting down"),
                }
            }
            None => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

/// `--token` (warned about: the process list shows it), `VIBAN_TOKEN`, or `--token-file`.
fn explicit_token(token: Option<String>, file: Option<PathBuf>) -> Result<Option<String>, String> {
    if token.is_some() && std::env::args().any(|a| a == "--token" || a.starts_with("--token=")) {
        tracing::warn!("--token is visible to every local user in the process list; use --token-file or VIBAN_TOKEN");
    }
    let Some(path) = file else { return Ok(token) };
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("could not read --token-file {}: {e}", path.display()))?;
    match text.lines().next().map(str::trim) {
        Some(t) if t.len() >= 16 => Ok(Some(t.to_string())),
        _ => {
            Err(format!("--token-file {}: the first line must hold a token of at least 16 characters", path.display()))
        }
    }
}

fn resolve_paths(home: Option<PathBuf>) -> Result<AppPaths, ExitCode> {
    AppPaths::resolve(home.as_deref()).map_err(|e| {
        eprintln!("viban-server: {e}");
        ExitCode::from(1)
    })
}

async fn mcp(home: Option<PathBuf>) -> ExitCode {
    let paths = match AppPaths::resolve(home.as_deref()) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("viban-server: {e}");
            return ExitCode::from(1);
        }
    };
    // stdout carries the protocol: every word for a person goes to stderr.
    match viban_server::mcp_stdio::bridge(&paths).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("viban-server mcp: {e}");
            ExitCode::from(1)
        }
    }
}

async fn login_url(home: Option<PathBuf>, open: bool) -> ExitCode {
    let paths = match resolve_paths(home) {
        Ok(p) => p,
        Err(code) => return code,
    };
    match viban_server::client::login_url(&paths).await {
        Ok(url) => {
            println!("{url}");
            if open && let Err(e) = viban_server::client::open_in_browser(&url) {
                eprintln!("viban-server: could not open a browser (xdg-open: {e}); open the link above yourself");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("viban-server: {e}");
            ExitCode::from(1)
        }
    }
}

async fn rotate_token(home: Option<PathBuf>) -> ExitCode {
    use viban_server::client::Rotation;
    let paths = match resolve_paths(home) {
        Ok(p) => p,
        Err(code) => return code,
    };
    match viban_server::client::rotate_token(&paths).await {
        Ok(Rotation::Running { token_replaced: true }) | Ok(Rotation::Offline) => {
            println!(
                "every browser is signed out; the new token is in {} (and server.json)",
                paths.token_file().display()
            );
            ExitCode::SUCCESS
        }
        Ok(Rotation::Running { token_replaced: false }) => {
            println!("every browser is signed out; the token itself is set by --token/--token-file and was kept");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("viban-server: {e}");
            ExitCode::from(1)
        }
    }
}

async fn update_guard(pending: PathBuf, deadline_secs: Option<u64>, log_file: Option<PathBuf>) -> ExitCode {
    use viban_update::{GuardOptions, OutcomeKind, UpdateError};
    let app_log = log_file.or_else(|| AppPaths::resolve(None).ok().map(|p| p.log_dir.join("update-guard.log")));
    let opts = GuardOptions {
        deadline: deadline_secs.map(std::time::Duration::from_secs),
        app_log,
        ..GuardOptions::default()
    };
    match viban_update::guard(&pending, opts).await {
        Ok(outcome) => {
            println!("viban-server update-guard: {}", outcome.reason);
            match outcome.kind {
                OutcomeKind::Updated => ExitCode::SUCCESS,
                OutcomeKind::RolledBack => ExitCode::from(3),
                OutcomeKind::RollbackFailed | OutcomeKind::InstallFailed => ExitCode::from(1),
            }
        }
        Err(e @ UpdateError::Cancelled(_)) => {
            println!("viban-server update-guard: {e}");
            ExitCode::from(4)
        }
        Err(e) => {
            eprintln!("viban-server update-guard: {e}");
            ExitCode::from(1)
        }
    }
}

async fn check(database_url: Option<String>, home: Option<PathBuf>, url: Option<String>) -> ExitCode {
    let result = match database_url {
        Some(db) => viban_server::managed::check_database(&db)
            .await
            .map(|v| format!("database ready: the schema is at version {v}, as this binary expects")),
        None => match resolve_paths(home) {
            Ok(paths) => viban_server::managed::check_server(&paths, url).await,
            Err(code) => return code,
        },
    };
    match result {
        Ok(line) => {
            println!("viban-server check: {line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("viban-server check: {e}");
            ExitCode::from(1)
        }
    }
}

fn pack(postgres: &std::path::Path, ui: &std::path::Path, out: &std::path::Path) -> ExitCode {
    let packed = std::env::current_exe()
        .map_err(|e| viban_server::payload::PayloadError::Input(format!("cannot find my own binary: {e}")))
        .and_then(|exe| viban_server::payload::pack(&exe, postgres, ui, out));
    match packed {
        Ok(p) => {
            let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
            println!(
                "viban-server pack: wrote {} ({:.1} MiB: program {:.1} MiB + PostgreSQL and UI {:.1} MiB)",
                out.display(),
                mib(p.total_bytes),
                mib(p.binary_bytes),
                mib(p.archive_bytes)
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("viban-server pack: {e}");
            ExitCode::from(1)
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
        Command::Serve {
            home,
            bind,
            database_url,
            db_pool_size,
            token,
            token_file,
            allow_origins,
            public_url,
            open,
            ui_dir,
            repo_roots,
            pg_socket_only,
        } => {
            let paths = AppPaths::resolve(home.as_deref()).ok();
            let _guard = viban_server::logging::init(paths.as_ref(), "viban-server");
            let token = match explicit_token(token, token_file) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("viban-server: {e}");
                    return ExitCode::from(1);
                }
            };
            let config = Config {
                home,
                bind,
                database_url,
                db_pool_size,
                token,
                allow_origins,
                public_url,
                ui_dir,
                repo_roots,
                pg_socket_only,
                ..Config::default()
            };
            runtime.block_on(serve(config, open))
        }
        Command::UpdateGuard { pending, deadline_secs, log_file } => {
            // Out of the app's session first: quitting the app (or closing its terminal) must not reach us.
            viban_update::detach_session();
            let _guard = viban_server::logging::init(None, "update-guard");
            runtime.block_on(update_guard(pending, deadline_secs, log_file))
        }
        Command::Pack { postgres, ui, out } => pack(&postgres, &ui, &out),
        Command::LoginUrl { home, open } => runtime.block_on(login_url(home, open)),
        Command::Migrate { database_url } => runtime.block_on(async {
            match viban_server::managed::migrate(&database_url).await {
                Ok((n, version)) => {
                    println!("viban-server migrate: {n} migration(s) applied; the schema is at version {version}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("viban-server migrate: {e}");
                    ExitCode::from(1)
                }
            }
        }),
        Command::Check { database_url, home, url } => runtime.block_on(check(database_url, home, url)),
        Command::Deploy { binary, target } => {
            let opts = target.options();
            deployed("deploy", runtime.block_on(viban_server::deploy::deploy(&binary, &opts)))
        }
        Command::Rollback { target } => {
            let opts = target.options();
            deployed("rollback", runtime.block_on(viban_server::deploy::rollback(&opts)))
        }
        Command::RotateToken { home } => runtime.block_on(rotate_token(home)),
        Command::Mcp { home } => runtime.block_on(mcp(home)),
        Command::Doctor { home, clean } => {
            let paths = match AppPaths::resolve(home.as_deref()) {
                Ok(p) => p,
                Err(e) => {
                    eprintln!("viban-server: {e}");
                    return ExitCode::from(1);
                }
            };
            if clean {
                print!("{}", viban_server::doctor::clean());
            }
            let (report, ok) = viban_server::doctor::report(&paths);
            print!("{report}");
            if ok { ExitCode::SUCCESS } else { ExitCode::from(1) }
        }
    }
}
