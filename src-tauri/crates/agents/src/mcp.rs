//! Giving a run's agent viban's own MCP server: its address and a token for that run (minted by the API, which
//! this crate does not know — hence the trait), in the agent's environment, and the profile's way of telling its
//! CLI (`mcp_args`, `mcp_env`). Nothing is written into the worktree: no stray file shows up in the diff.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use uuid::Uuid;

use crate::profile::Profile;

/// How agents reach viban's MCP server; set once the API listens.
pub trait McpAccess: Send + Sync {
    /// The Streamable HTTP endpoint, as this machine reaches it.
    fn url(&self) -> String;
    /// A token for one run: the MCP endpoint only, that run's project only, while it runs.
    fn token(&self, run: Uuid) -> String;
}

/// The Gemini CLI's system defaults naming viban's server (it expands `$VAR` in settings).
const GEMINI_DEFAULTS: &str =
    r#"{"mcpServers":{"viban":{"httpUrl":"$VIBAN_MCP_URL","headers":{"Authorization":"Bearer $VIBAN_MCP_TOKEN"}}}}"#;

/// viban's folder of MCP client files (`{mcp_dir}`), made on first use, private to the user (the Gemini CLI's
/// defaults are written into it).
pub fn client_dir(data_dir: &Path) -> std::io::Result<std::path::PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let dir = data_dir.join("mcp");
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir)?;
    // Once per process: Gemini CLI ignores a system defaults file below a directory others can write to (/tmp too).
    static WARNED: AtomicBool = AtomicBool::new(false);
    let open = || dir.ancestors().find(|a| a.metadata().is_ok_and(|m| m.permissions().mode() & 0o022 != 0));
    if !WARNED.load(Ordering::Relaxed)
        && let Some(open) = open()
    {
        WARNED.store(true, Ordering::Relaxed);
        tracing::warn!(dir = %open.display(), "viban's data folder is below a directory others can write to: Gemini CLI will not read viban's MCP settings from it");
    }
    let gemini = dir.join("gemini-defaults.json");
    if std::fs::read_to_string(&gemini).ok().as_deref() != Some(GEMINI_DEFAULTS) {
        std::fs::write(&gemini, GEMINI_DEFAULTS)?;
    }
    Ok(dir)
}

/// Adds the MCP server to an agent's argv (after the program) and environment, when its profile wants it.
pub(crate) fn configure(
    access: Option<&Arc<dyn McpAccess>>,
    profile: &Profile,
    run: Uuid,
    data_dir: &Path,
    (argv, env): (&mut Vec<String>, &mut Vec<(String, String)>),
) {
    let Some(access) = access.filter(|_| profile.mcp) else { return };
    let url = access.url();
    let dir = match client_dir(data_dir) {
        Ok(d) => d.display().to_string(),
        Err(e) => {
            tracing::warn!(error = %e, "could not write viban's MCP client files; the agent gets no MCP server");
            return;
        }
    };
    env.push(("VIBAN_MCP_URL".into(), url.clone()));
    env.push(("VIBAN_MCP_TOKEN".into(), access.token(run)));
    for (k, v) in &profile.mcp_env {
        env.push((k.clone(), v.replace("{mcp_dir}", &dir)));
    }
    let extra = profile.mcp_args.iter().map(|a| a.replace("{mcp_url}", &url));
    let at = argv.len().min(1);
    argv.splice(at..at, extra);
}
