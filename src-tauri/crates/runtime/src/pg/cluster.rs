//! Preparing the cluster: layout, account, password, port, initdb (atomic: into a temp dir, then renamed).

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Stdio;

use viban_core::AppPaths;

use super::account::{self, Account};
use super::{DB_USER, EmbeddedPostgres, PgError, binaries, outside, short_hash, socket_dir};

fn io_err(what: &str, path: &Path, e: std::io::Error) -> PgError {
    PgError::Io(format!("could not {what} {}: {e}", path.display()))
}

fn make_dir(path: &Path, account: Option<&Account>, mode: u32) -> Result<(), PgError> {
    std::fs::create_dir_all(path).map_err(|e| io_err("create", path, e))?;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| io_err("chmod", path, e))?;
    if let Some(a) = account {
        account::give(a, path)?;
    }
    Ok(())
}

fn write_private(path: &Path, contents: &str) -> Result<(), PgError> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| io_err("write", path, e))?;
    f.write_all(contents.as_bytes()).map_err(|e| io_err("write", path, e))?;
    f.sync_all().map_err(|e| io_err("sync", path, e))
}

fn read_or_create_password(path: &Path) -> Result<String, PgError> {
    if let Ok(p) = std::fs::read_to_string(path) {
        let p = p.trim().to_string();
        if !p.is_empty() {
            return Ok(p);
        }
    }
    let password = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
    write_private(path, &password)?;
    Ok(password)
}

fn port_is_free(port: u16) -> bool {
    TcpListener::bind(("127.0.0.1", port)).is_ok()
}

/// The persisted port if still free, else a fresh one (persisted).
pub(super) fn choose_port(root: &Path, force_new: bool) -> Result<u16, PgError> {
    let file = root.join("port");
    if !force_new
        && let Some(p) = std::fs::read_to_string(&file).ok().and_then(|s| s.trim().parse::<u16>().ok())
        && p != 0
        && port_is_free(p)
    {
        return Ok(p);
    }
    let port = TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| PgError::Io(format!("could not find a free port on 127.0.0.1: {e}")))?;
    write_private(&file, &port.to_string())?;
    Ok(port)
}

impl EmbeddedPostgres {
    /// Resolves binaries and account, lays out the cluster directories and reads (or makes) port and password.
    /// Does not run initdb: see `ensure_cluster`.
    pub fn prepare(paths: &AppPaths) -> Result<Self, PgError> {
        let mut bins = binaries::resolve(&paths.cache_dir)?;
        let account = account::for_postgres()?;
        let mut root = paths.pg_root();
        if let Some(a) = &account {
            // Every start as root tidies up after homes that are gone (cheap: one read_dir).
            outside::sweep_at_start();
            open_for_search(&paths.data_dir)?;
            if !account::can_traverse(a, &root.join("data")) {
                // e.g. a home under /root: keep the cluster where the unprivileged account can reach it.
                root = outside::claim(Path::new(outside::BASE), &root, &paths.data_dir)?;
                tracing::info!(root = %root.display(), "data dir is not reachable by {}; cluster kept here", a.name);
            }
            if !account::can_traverse(a, &bins.tool("postgres")) {
                bins.bin_dir = copy_binaries_for(a, &bins)?;
            }
        }
        make_dir(&root, None, 0o700)?;
        if account.is_some() {
            // The account needs to pass through our root to reach its own data and socket dirs.
            open_for_search(&root)?;
        }
        let socket_dir = socket_dir::choose(&root, account.as_ref())?;
        std::fs::create_dir_all(&paths.log_dir).map_err(|e| io_err("create", &paths.log_dir, e))?;
        let password = read_or_create_password(&root.join("password"))?;
        let port = choose_port(&root, false)?;
        Ok(Self {
            bins,
            account,
            data_dir: root.join("data"),
            root,
            socket_dir,
            log_file: paths.log_dir.join("postgresql.log"),
            listen_tcp: true,
            port,
            password,
        })
    }

    pub(super) fn repick_port(&mut self) -> Result<(), PgError> {
        self.port = choose_port(&self.root, true)?;
        Ok(())
    }

    /// Runs initdb if there is no cluster yet. Returns whether it created one.
    pub async fn ensure_cluster(&self) -> Result<bool, PgError> {
        if self.data_dir.join("PG_VERSION").is_file() {
            self.check_version()?;
            if let Some(a) = &self.account {
                ensure_owned(a, &self.data_dir)?;
            }
            return Ok(false);
        }
        let tmp = self.root.join("data.init");
        if tmp.exists() {
            // A half-made cluster from an interrupted first start.
            std::fs::remove_dir_all(&tmp).map_err(|e| io_err("remove", &tmp, e))?;
        }
        make_dir(&tmp, self.account.as_ref(), 0o700)?;
        let pwfile = self.socket_dir.join("initdb.pw");
        write_private(&pwfile, &self.password)?;
        if let Some(a) = &self.account {
            account::give(a, &pwfile)?;
        }
        let mut cmd = self.command("initdb");
        cmd.arg("-D").arg(&tmp).args(["-U", DB_USER, "-E", "UTF8", "--locale=C", "--auth=scram-sha-256"]);
        // No fsync here: we sync the new cluster in the background once it runs (see `sync_cluster`), which
        // keeps the first start fast without risking a torn cluster after a power cut.
        cmd.arg(format!("--pwfile={}", pwfile.display())).args(["--no-instructions", "--no-sync"]);
        let out = cmd.output().await.map_err(|e| PgError::Init(format!("could not run initdb: {e}")));
        let _ = std::fs::remove_file(&pwfile);
        let out = out?;
        if !out.status.success() {
            return Err(PgError::Init(String::from_utf8_lossy(&out.stderr).trim().to_string()));
        }
        std::fs::rename(&tmp, &self.data_dir).map_err(|e| io_err("rename cluster into", &self.data_dir, e))?;
        Ok(true)
    }

    /// The command that fsyncs a cluster made with `--no-sync`; run it with `sync_cluster` once the server runs.
    pub fn sync_command(&self) -> tokio::process::Command {
        let mut cmd = self.command("initdb");
        cmd.arg("--sync-only").arg("-D").arg(&self.data_dir);
        cmd
    }

    fn check_version(&self) -> Result<(), PgError> {
        let file = self.data_dir.join("PG_VERSION");
        let made_by = std::fs::read_to_string(&file).map_err(|e| io_err("read", &file, e))?;
        let made_by = made_by.trim();
        if made_by != self.bins.major.to_string() {
            return Err(PgError::VersionMismatch(format!(
                "the database in {} was made by PostgreSQL {made_by}, but the binaries found are PostgreSQL {} \
                 ({}, {}). Point VIBAN_PG_BIN at PostgreSQL {made_by} binaries",
                self.data_dir.display(),
                self.bins.version,
                self.bins.source,
                self.bins.bin_dir.display()
            )));
        }
        Ok(())
    }

    /// A command for one of the PostgreSQL tools, run as the postgres account when we are root.
    pub(super) fn command(&self, tool: &str) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(self.bins.tool(tool));
        cmd.stdin(Stdio::null()).kill_on_drop(false);
        // Keep the tools' messages in English-independent C locale and away from the user's PG* variables.
        for var in ["PGDATA", "PGHOST", "PGPORT", "PGUSER", "PGPASSWORD", "PGDATABASE", "PGOPTIONS"] {
            cmd.env_remove(var);
        }
        if let Some(a) = &self.account {
            cmd.uid(a.uid).gid(a.gid);
        }
        cmd
    }
}

/// fsyncs a new cluster in the background; safe while the server runs.
pub async fn sync_cluster(mut cmd: tokio::process::Command) {
    match cmd.output().await {
        Ok(o) if o.status.success() => tracing::debug!("cluster synced to disk"),
        Ok(o) => {
            tracing::warn!(stderr = %String::from_utf8_lossy(&o.stderr), "initdb --sync-only failed")
        }
        Err(e) => tracing::warn!(error = %e, "initdb --sync-only could not run"),
    }
}

/// Our data dir is 0700; as root the postgres account must be able to pass through it (search only, no
/// listing). Files in it that matter (token, server.json, password) are 0600 on their own.
fn open_for_search(dir: &Path) -> Result<(), PgError> {
    use std::os::unix::fs::MetadataExt;
    if let Ok(meta) = std::fs::metadata(dir)
        && meta.uid() == 0
        && meta.mode() & 0o001 == 0
    {
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o711)).map_err(|e| io_err("chmod", dir, e))?;
    }
    Ok(())
}

/// A cluster made while running as another user (or copied in) must belong to the account.
fn ensure_owned(account: &Account, data: &Path) -> Result<(), PgError> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(data).map_err(|e| io_err("read", data, e))?;
    if meta.uid() != account.uid {
        account::give_tree(account, data)?;
    }
    Ok(())
}

/// Copies an installation the account cannot reach (e.g. under /root) to a place it can.
fn copy_binaries_for(account: &Account, bins: &binaries::PgBinaries) -> Result<PathBuf, PgError> {
    let install = bins.bin_dir.parent().unwrap_or(&bins.bin_dir);
    let dest = PathBuf::from("/var/lib/viban").join(format!(
        "pg-bin-{}-{}",
        bins.version,
        short_hash(&install.to_string_lossy())
    ));
    if !dest.join("bin/postgres").is_file() {
        let tmp = dest.with_extension("tmp");
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(|e| io_err("create", &tmp, e))?;
        let out = std::process::Command::new("cp")
            .arg("-a")
            .arg(format!("{}/.", install.display()))
            .arg(&tmp)
            .output()
            .map_err(|e| PgError::Io(format!("cp: {e}")))?;
        if !out.status.success() {
            return Err(PgError::Io(format!("copying PostgreSQL to {} failed", tmp.display())));
        }
        std::fs::rename(&tmp, &dest).map_err(|e| io_err("rename", &dest, e))?;
        std::fs::set_permissions(&dest, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| io_err("chmod", &dest, e))?;
    }
    if !account::can_traverse(account, &dest.join("bin/postgres")) {
        return Err(PgError::Binaries(format!("{} is not reachable by {}", dest.display(), account.name)));
    }
    Ok(dest.join("bin"))
}
