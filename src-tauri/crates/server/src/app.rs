use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnectOptions;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use viban_agents::{Ladder, Runs, RunsConfig};
use viban_api::{ApiState, Credentials, Guard, ResponseCache, ShellCommand, UpdateHub};
use viban_core::{AppPaths, LogNotifier, Notifier, PathsError};
use viban_db::{ChangeFeed, Db, DbError};
use viban_runtime::{
    DataDirLock, EmbeddedPostgres, LockError, PgError, RestartPolicy, Status, Supervisor, SupervisorHandle,
};

use crate::{ServerFile, token};

/// How to start. `Default` is what `viban-server serve` does with no flags.
#[derive(Debug, Clone)]
pub struct Config {
    /// Redirects every app directory (`--home`, else `VIBAN_HOME`, else the platform's).
    pub home: Option<PathBuf>,
    pub bind: SocketAddr,
    /// Use this PostgreSQL instead of the embedded one.
    pub database_url: Option<String>,
    /// Connections the API's pool may open (the transcript store has 4 of its own).
    pub db_pool_size: u32,
    /// Required when binding a non-loopback address; else the per-install token.
    pub token: Option<String>,
    /// Origins besides the server's own that may write and open WebSockets (e.g. the Vite dev server).
    pub allow_origins: Vec<String>,
    /// Where users reach viban through a reverse proxy (`--public-url`): accepted in `Host` and `Origin`, and where
    /// sign-in links point.
    pub public_url: Option<String>,
    pub ui_dir: Option<PathBuf>,
    /// Folders projects must live in (empty: anywhere but system folders).
    pub repo_roots: Vec<PathBuf>,
    pub restart_policy: RestartPolicy,
    /// Who tells the user that services went down or recovered, or that an agent finished or waits (the
    /// desktop: native notifications).
    pub notifier: Arc<dyn Notifier>,
    /// Waits of the SIGINT → SIGTERM → SIGKILL ladder that stops agents.
    pub ladder: Ladder,
    /// The embedded PostgreSQL listens on its unix socket only (no TCP port).
    pub pg_socket_only: bool,
    /// The version `server.json` reports: the desktop's package version (what its update guard waits for).
    pub version: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            home: None,
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            database_url: None,
            db_pool_size: 10,
            token: None,
            allow_origins: Vec::new(),
            public_url: None,
            ui_dir: None,
            repo_roots: Vec::new(),
            pg_socket_only: false,
            restart_policy: RestartPolicy::default(),
            notifier: Arc::new(LogNotifier),
            ladder: Ladder::default(),
            version: viban_core::VERSION.into(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Paths(#[from] PathsError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Postgres(#[from] PgError),
    #[error("{0}")]
    Database(#[from] DbError),
    #[error("invalid --database-url: {0}")]
    DatabaseUrl(String),
    #[error("{0}")]
    DatabaseUnreachable(String),
    #[error("could not listen on {addr}: {source}. Choose another --bind address or port")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("{0}")]
    Insecure(String),
    #[error("could not write {path}: {source}. Check permissions and free disk space")]
    Write { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Payload(#[from] crate::payload::PayloadError),
}

pub struct App;

/// A started viban. Call `shutdown` to stop it in order.
pub struct RunningApp {
    pub url: String,
    /// The install token at start (`Sign out everywhere` may rotate it: `server.json` has the current one).
    pub token: String,
    pub addr: SocketAddr,
    pub paths: AppPaths,
    supervisor: SupervisorHandle,
    db: Db,
    transcripts: Db,
    cancel: CancellationToken,
    server: JoinHandle<std::io::Result<()>>,
    guard: Arc<Guard>,
    shell: tokio::sync::broadcast::Sender<ShellCommand>,
    update: Arc<UpdateHub>,
    runs: Runs,
    /// Cancelled after the runs were stopped (their output is flushed until then).
    runs_cancel: CancellationToken,
    _lock: DataDirLock,
}

fn step(name: &str, started: Instant) {
    tracing::debug!(step = name, ms = started.elapsed().as_secs_f64() * 1000.0, "startup");
}

fn ui_dir(configured: Option<PathBuf>, packed: Option<PathBuf>) -> Option<PathBuf> {
    let exe_dir = std::env::current_exe().ok().and_then(|e| e.parent().map(PathBuf::from));
    configured
        .into_iter()
        .chain(std::env::var_os("VIBAN_UI_DIR").map(PathBuf::from))
        .chain(packed)
        .chain(exe_dir.iter().flat_map(|d| [d.join("ui"), d.join("../share/viban/ui")]))
        .chain(source_checkout_ui())
        .find(|d| d.join("index.html").is_file())
}

/// In a source checkout (`target/<profile>/viban-server`), the UI built beside it in `ui/dist`. Found from the
/// running executable, never from a path compiled in: a binary copied elsewhere must not serve the build
/// machine's files.
fn source_checkout_ui() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let root = exe.ancestors().find(|d| d.file_name().is_some_and(|n| n == "target"))?.parent()?;
    root.join("Cargo.toml").is_file().then(|| root.join("ui/dist"))
}

/// Accepted connections send small writes at once. With Nagle's algorithm a keystroke's echo — a small frame
/// right behind a large one — waited for the large one's ACK, which the viewer delays (40 ms on Linux): that was
/// most of the typing-echo p99 while agents flood (bench-results/cockpit.md).
fn without_nagle(
    listener: tokio::net::TcpListener,
) -> impl axum::serve::Listener<Io = tokio::net::TcpStream, Addr = SocketAddr> {
    use axum::serve::ListenerExt;
    listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY on an accepted connection");
        }
    })
}

/// Where this machine reaches the server: an all-interfaces bind (0.0.0.0, e.g. in a container) is reached on
/// loopback, which browsers open and `check`/`login-url` connect to.
fn local_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

impl App {
    pub async fn start(config: Config) -> Result<RunningApp, StartError> {
        let t0 = Instant::now();
        let paths = AppPaths::resolve(config.home.as_deref())?;
        paths.create_all()?;
        for warning in paths.tighten_modes() {
            tracing::warn!("{warning}");
        }
        let lock = DataDirLock::acquire(&paths.lock_file())?;
        step("paths+lock", t0);
        crate::payload::unpack_own(&paths.cache_dir)?;
        step("payload", t0);

        let loopback = config.bind.ip().is_loopback();
        if !loopback && config.token.is_none() {
            return Err(StartError::Insecure(format!(
                "refusing to listen on {} without an explicit --token: anyone who can reach it could run commands \
                 as you. Pass --token (and put a TLS reverse proxy in front), or bind 127.0.0.1",
                config.bind
            )));
        }
        let credentials = token::credentials(&paths, config.token.clone())?;
        let token = credentials.token();

        let (supervisor, options) = match &config.database_url {
            Some(url) => {
                let opts: PgConnectOptions =
                    url.parse().map_err(|e: sqlx::Error| StartError::DatabaseUrl(e.to_string()))?;
                (Supervisor::external(), opts)
            }
            None => {
                let mut pg = EmbeddedPostgres::prepare(&paths)?;
                pg.listen_tcp = !config.pg_socket_only;
                let created = pg.ensure_cluster().await?;
                step("cluster", t0);
                let c = pg.connection();
                let opts = PgConnectOptions::new();
                let opts = if pg.listen_tcp { opts.host(&c.host) } else { opts.socket(&pg.socket_dir) };
                let opts = opts
                    .port(c.port)
                    .username(&c.user)
                    .password(&c.password)
                    .database(&c.database)
                    .application_name("viban");
                let sync = created.then(|| pg.sync_command());
                let supervisor = Supervisor::start(pg, config.restart_policy.clone()).await?;
                if let Some(cmd) = sync {
                    tokio::spawn(viban_runtime::pg::sync_cluster(cmd));
                }
                (supervisor, opts)
            }
        };
        step("postgres", t0);
        crate::watch_status::spawn(supervisor.status(), config.notifier.clone());
        match Self::serve(&config, &paths, credentials, supervisor.status(), options, t0).await {
            Ok(Serving { bound, db, transcripts, cancel }) => Ok(RunningApp {
                transcripts,
                guard: bound.guard,
                shell: bound.shell,
                update: bound.update,
                runs: bound.runs,
                runs_cancel: bound.runs_cancel,
                url: bound.url,
                token,
                addr: bound.addr,
                paths,
                supervisor,
                db,
                cancel,
                server: bound.server,
                _lock: lock,
            }),
            Err(e) => {
                // A failed start leaves nothing running.
                supervisor.shutdown(Duration::from_secs(10)).await;
                Err(e)
            }
        }
    }

    /// Everything after PostgreSQL: pool, migrations, change feed, the API bound, server.json written.
    async fn serve(
        config: &Config,
        paths: &AppPaths,
        credentials: Arc<Credentials>,
        status: watch::Receiver<Status>,
        options: PgConnectOptions,
        t0: Instant,
    ) -> Result<Serving, StartError> {
        let db = if config.database_url.is_some() {
            connect_external(&options, config.db_pool_size.max(2)).await?
        } else {
            Db::connect_sized(options.clone(), config.db_pool_size.max(2)).await?
        };
        if let Err(e) = db.migrate().await {
            db.close().await;
            return Err(e.into());
        }
        let transcripts = match Db::connect_on_demand(options, 4).await {
            Ok(t) => t,
            Err(e) => {
                db.close().await;
                return Err(e.into());
            }
        };
        step("migrate", t0);
        let cancel = CancellationToken::new();
        let served = Self::bind(config, paths, credentials, status, (&db, &transcripts), &cancel).await;
        if served.is_err() {
            cancel.cancel();
            db.close().await;
            transcripts.close().await;
        }
        let bound = served?;
        step("ready", t0);
        tracing::info!(url = %bound.url, ms = t0.elapsed().as_millis() as u64, "viban started");
        Ok(Serving { bound, db, transcripts, cancel })
    }

    async fn bind(
        config: &Config,
        paths: &AppPaths,
        credentials: Arc<Credentials>,
        status: watch::Receiver<Status>,
        (db, transcripts): (&Db, &Db),
        cancel: &CancellationToken,
    ) -> Result<Bound, StartError> {
        let feed = ChangeFeed::start(db.clone(), cancel.clone(), Duration::from_secs(5)).await;
        let listener = tokio::net::TcpListener::bind(config.bind)
            .await
            .map_err(|source| StartError::Bind { addr: config.bind, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.bind, source })?;
        let token = credentials.token();
        let public = match config.public_url.as_deref().map(viban_api::PublicUrl::parse).transpose() {
            Ok(p) => p,
            Err(why) => return Err(StartError::Insecure(why)),
        };
        let guard = Arc::new(Guard::new(credentials, addr, &config.allow_origins, public.as_ref()));
        let (shell, _) = tokio::sync::broadcast::channel(8);
        let runs_cancel = CancellationToken::new();
        let runs = Runs::start(RunsConfig {
            db: db.clone(),
            transcripts: transcripts.clone(),
            feed: feed.clone(),
            notifier: config.notifier.clone(),
            config_dir: paths.config_dir.clone(),
            data_dir: paths.data_dir.clone(),
            shutdown: runs_cancel.clone(),
            ladder: config.ladder,
        })
        .await?;
        runs.set_mcp(Arc::new(viban_api::mcp::AgentAccess {
            url: format!("{}/api/mcp", local_url(addr)),
            credentials: guard.credentials.clone(),
        }));
        let update = Arc::new(UpdateHub::new(paths.updates_dir(), &config.version));
        let state = ApiState {
            runs: runs.clone(),
            db: db.clone(),
            feed,
            status,
            guard: guard.clone(),
            shell: shell.clone(),
            cache: Arc::new(ResponseCache::default()),
            diffs: Arc::new(viban_api::DiffCache::default()),
            repo_roots: Arc::new(config.repo_roots.clone()),
            data_dir: paths.data_dir.clone(),
            ui_dir: ui_dir(config.ui_dir.clone(), crate::payload::packed_ui_dir()),
            shutdown: cancel.clone(),
            update: update.clone(),
            version: Arc::from(config.version.as_str()),
        };
        let app = viban_api::router(state);
        let stop = cancel.clone();
        let listener = without_nagle(listener);
        let server = tokio::spawn(async move {
            axum::serve(listener, app).with_graceful_shutdown(async move { stop.cancelled().await }).await
        });
        let url = local_url(addr);
        let file = ServerFile { url: url.clone(), token, pid: std::process::id(), version: config.version.clone() };
        if let Err(source) = file.write(&paths.server_json()) {
            runs.shutdown().await;
            runs_cancel.cancel();
            cancel.cancel();
            let _ = server.await;
            return Err(StartError::Write { path: paths.server_json(), source });
        }
        Ok(Bound { url, addr, server, guard, shell, update, runs, runs_cancel })
    }
}

struct Bound {
    url: String,
    addr: SocketAddr,
    server: JoinHandle<std::io::Result<()>>,
    guard: Arc<Guard>,
    shell: tokio::sync::broadcast::Sender<ShellCommand>,
    update: Arc<UpdateHub>,
    runs: Runs,
    runs_cancel: CancellationToken,
}

/// What `serve` hands back; completed into a `RunningApp` by `start`.
struct Serving {
    bound: Bound,
    db: Db,
    transcripts: Db,
    cancel: CancellationToken,
}

impl RunningApp {
    pub fn status(&self) -> watch::Receiver<Status> {
        self.supervisor.status()
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// A URL that signs a browser or webview in once (a single-use code in the fragment, never the token) and
    /// opens the board.
    pub fn login_url(&self) -> String {
        self.guard.login_url().1
    }

    /// Requests the API passes on to a desktop shell (e.g. a second launch asking to show the window).
    pub fn shell_commands(&self) -> tokio::sync::broadcast::Receiver<ShellCommand> {
        self.shell.subscribe()
    }

    /// Where the desktop shell publishes the updater's state for the UI.
    pub fn update_hub(&self) -> Arc<UpdateHub> {
        self.update.clone()
    }

    /// Stops and restarts the embedded PostgreSQL with a fresh restart budget.
    pub async fn restart_services(&self) {
        self.supervisor.restart().await;
    }

    /// The agent runs (the tray lists and stops them).
    pub fn runs(&self) -> &Runs {
        &self.runs
    }

    /// Ordered shutdown, each step under a deadline: agents first (their output is stored until they are gone),
    /// then the API, the pool and PostgreSQL. Returns whether every step finished in time.
    pub async fn shutdown(self) -> bool {
        let mut clean = true;
        self.runs.shutdown().await;
        self.runs_cancel.cancel();
        self.cancel.cancel();
        match tokio::time::timeout(Duration::from_secs(4), self.server).await {
            Ok(Ok(Ok(()))) => {}
            other => {
                tracing::warn!(?other, "API server did not stop cleanly");
                clean = false;
            }
        }
        let pools = async { tokio::join!(self.db.close(), self.transcripts.close()) };
        if tokio::time::timeout(Duration::from_secs(4), pools).await.is_err() {
            tracing::warn!("closing the database pool timed out");
            clean = false;
        }
        self.supervisor.shutdown(Duration::from_secs(8)).await;
        let _ = std::fs::remove_file(self.paths.server_json());
        tracing::info!(clean, "viban stopped");
        clean
    }
}

/// How long `serve` keeps trying an external database that does not answer (`VIBAN_DB_CONNECT_SECS`, default 60).
fn external_deadline() -> Duration {
    let secs = std::env::var("VIBAN_DB_CONNECT_SECS").ok().and_then(|s| s.parse().ok()).unwrap_or(60);
    Duration::from_secs(secs)
}

/// Connects to an external database, retrying with backoff while it cannot be reached (a managed database that
/// restarts, a network not up yet) instead of exiting at once into a platform's crash loop; a refusal (wrong
/// password, no such database) fails at once.
async fn connect_external(options: &PgConnectOptions, size: u32) -> Result<Db, StartError> {
    let (deadline, t0) = (external_deadline(), Instant::now());
    let mut wait = Duration::from_millis(500);
    let where_ = format!("{}:{}", options.get_host(), options.get_port());
    loop {
        // One connection first: refused at once when nothing listens (a pool would wait out its acquire timeout).
        let probe = async {
            use sqlx::Connection;
            let conn = sqlx::PgConnection::connect_with(options).await.map_err(viban_db::DbError::from_sqlx)?;
            let _ = conn.close().await;
            Db::connect_sized(options.clone(), size).await
        };
        match probe.await {
            Ok(db) => return Ok(db),
            Err(viban_db::DbError::Unavailable(why)) if t0.elapsed() + wait < deadline => {
                tracing::warn!(database = %where_, %why, retry_in_ms = wait.as_millis() as u64, "the database cannot be reached yet; retrying");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(8));
            }
            Err(viban_db::DbError::Unavailable(why)) => {
                return Err(StartError::DatabaseUnreachable(format!(
                    "the database at {where_} could not be reached within {} s ({why}); check the URL, the network and \
                     that the database is up",
                    deadline.as_secs()
                )));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::serve::Listener;

    #[tokio::test]
    async fn accepted_connections_have_no_nagle_delay() -> std::io::Result<()> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let mut listener = super::without_nagle(listener);
        let client = tokio::net::TcpStream::connect(addr).await?;
        assert!(!client.nodelay()?, "a fresh socket has Nagle on; the server must turn it off itself");
        let (accepted, peer) = listener.accept().await;
        assert_eq!(peer, client.local_addr()?);
        assert!(accepted.nodelay()?);
        Ok(())
    }
}
