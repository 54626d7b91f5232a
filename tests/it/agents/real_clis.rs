//! The real agent CLIs: every built-in profile whose binary is installed here is detected with its version, and its
//! `--help` documents the argument form the profile passes the prompt in (after `--` as a positional, or inside one
//! `--option=` argument; see builtin_agents.toml), and the flags viban's MCP configuration uses. The test setup
//! installs Claude Code, Codex and Gemini CLI from npm (`VIBAN_AGENT_CLIS`); a binary that is absent is skipped
//! with a message (these machines cannot log in to the vendors anyway).

use std::time::Duration;

use super::Fixture;

/// Per built-in: the help to ask for and what it must show for the profile's prompt argument to be right.
const HELP: &[(&str, &[&str], &[&str])] = &[
    // commander.js: a positional `[prompt]`; `--` ends the options.
    ("claude", &["--help"], &["[prompt]", "--continue"]),
    // viban's MCP server: a JSON config with ${VAR} expansion (the token stays in the environment).
    ("claude", &["--help"], &["--mcp-config"]),
    // clap: a positional `[PROMPT]` at the top and after `resume --last`.
    ("codex", &["--help"], &["[PROMPT]"]),
    ("codex", &["resume", "--help"], &["[PROMPT]", "--last"]),
    // viban's MCP server: `-c mcp_servers.viban.url=…` and the token's variable (`bearer_token_env_var`).
    ("codex", &["--help"], &["--config"]),
    ("codex", &["mcp", "add", "--help"], &["--url", "--bearer-token-env-var"]),
    // yargs: the prompt as the value of `--prompt-interactive=`.
    ("gemini", &["--help"], &["--prompt-interactive"]),
    ("qwen", &["--help"], &["--prompt-interactive"]),
    ("opencode", &["--help"], &["--prompt", "--continue"]),
    ("amp", &["--help"], &["--execute"]),
    // argparse: `--message=`.
    ("aider", &["--help"], &["--message", "--restore-chat-history"]),
    ("cursor-agent", &["--help"], &["prompt"]),
];

fn on_path(program: &str) -> bool {
    std::env::var("PATH").unwrap_or_default().split(':').any(|d| std::path::Path::new(d).join(program).is_file())
}

/// The program from the test setup's install of the CLIs, else from PATH.
fn find(program: &str) -> Option<std::path::PathBuf> {
    let installed = std::env::var_os("VIBAN_AGENT_CLIS").map(|d| std::path::Path::new(&d).join(program));
    if let Some(p) = installed.filter(|p| p.exists()) {
        return Some(p);
    }
    on_path(program).then(|| std::path::PathBuf::from(program))
}

#[tokio::test]
async fn installed_agent_clis_document_the_prompt_argument_their_profile_uses() -> anyhow::Result<()> {
    let mut checked = 0;
    for (program, args, needles) in HELP {
        let Some(path) = find(program) else {
            eprintln!("{program}: not installed here; its `{}` not checked", args.join(" "));
            continue;
        };
        // A home of its own: help must not depend on (or write to) the user's configuration.
        let home = tempfile::tempdir()?;
        let mut cmd = tokio::process::Command::new(path);
        cmd.args(*args).env("HOME", home.path()).stdin(std::process::Stdio::null()).kill_on_drop(true);
        let out = tokio::time::timeout(Duration::from_secs(60), cmd.output()).await??;
        let help = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        for needle in *needles {
            assert!(help.contains(needle), "`{program} {}` does not mention {needle}:\n{help}", args.join(" "));
        }
        checked += 1;
    }
    eprintln!("real agent CLI help texts checked: {checked}");
    if std::env::var_os("VIBAN_AGENT_CLIS").is_some() {
        // The test setup installed Claude Code, Codex and Gemini CLI: all seven of their checks ran.
        assert!(checked >= 7, "only {checked} help texts checked with the setup's CLIs installed");
    }
    Ok(())
}

#[tokio::test]
async fn installed_agent_clis_are_detected_with_their_version() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let agents = f.app.get("/api/agents?refresh=true").await?.body;
    let list = agents.as_array().cloned().unwrap_or_default();
    let mut checked = 0;
    for id in ["claude", "codex", "gemini", "aider", "opencode", "amp", "qwen", "cursor"] {
        let a = list.iter().find(|a| a["id"] == id).cloned().unwrap_or_default();
        assert_eq!(a["builtin"], true, "{id} is a built-in profile: {a}");
        let program = a["command_line"].as_str().unwrap_or_default().split_whitespace().next().unwrap_or_default();
        if !on_path(program) {
            eprintln!("{id}: `{program}` is not installed here; detection of the real CLI not checked");
            assert_eq!(a["installed"], false, "{a}");
            assert!(a["problem"].as_str().is_some_and(|p| p.contains("not found")), "{a}");
            assert!(a["install_hint"].as_str().is_some_and(|h| !h.is_empty()), "{a}");
            continue;
        }
        assert_eq!(a["installed"], true, "{id} is on PATH but not detected: {a}");
        let version = a["version"].as_str().unwrap_or_default();
        assert!(version.chars().any(|c| c.is_ascii_digit()), "{id}: no version detected: {a}");
        checked += 1;
    }
    eprintln!("real agent CLIs detected: {checked}");
    assert!(f.app.stop().await);
    Ok(())
}

/// Whether `dir` or a folder above it is writable by group or others.
fn below_open_dir(dir: &std::path::Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    dir.ancestors().any(|a| a.metadata().is_ok_and(|m| m.permissions().mode() & 0o022 != 0))
}

const BUILTINS: &str = include_str!("../../../src-tauri/crates/agents/src/builtin_agents.toml");
const MCP_URL: &str = "http://127.0.0.1:9/api/mcp";

/// A built-in profile's field as strings (an array's items, or a table's `key=value`s).
fn builtin_field(agent: &str, field: &str) -> anyhow::Result<Vec<String>> {
    let table: toml::Table = BUILTINS.parse()?;
    let value = table["agents"][agent].get(field).cloned().unwrap_or(toml::Value::Array(vec![]));
    Ok(match value {
        toml::Value::Array(items) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        toml::Value::Table(t) => t.iter().map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default())).collect(),
        other => anyhow::bail!("{agent}.{field} is {other}"),
    })
}

async fn run(program: &std::path::Path, args: &[String], env: &[(String, String)]) -> anyhow::Result<String> {
    let home = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR"))?;
    let mut cmd = tokio::process::Command::new(program);
    cmd.args(args).env("HOME", home.path()).stdin(std::process::Stdio::null()).kill_on_drop(true);
    cmd.envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output()).await??;
    Ok(format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[tokio::test]
async fn the_real_codex_and_gemini_read_the_mcp_server_their_profiles_configure() -> anyhow::Result<()> {
    let token = [("VIBAN_MCP_TOKEN".to_string(), "vr1.test".to_string()), ("VIBAN_MCP_URL".into(), MCP_URL.into())];
    match find("codex") {
        None => eprintln!("codex: not installed here; its reading of viban's MCP arguments not checked"),
        Some(codex) => {
            // The profile's `mcp_args` go right after the program, as `mcp::configure` puts them.
            let mut args: Vec<String> =
                builtin_field("codex", "mcp_args")?.iter().map(|a| a.replace("{mcp_url}", MCP_URL)).collect();
            args.extend(["mcp", "get", "viban"].map(String::from));
            let out = run(&codex, &args, &token).await?;
            for needle in
                ["transport: streamable_http", &format!("url: {MCP_URL}"), "bearer_token_env_var: VIBAN_MCP_TOKEN"]
            {
                assert!(out.contains(needle), "codex does not show {needle:?}:\n{out}");
            }
        }
    }
    match find("gemini") {
        None => eprintln!("gemini: not installed here; its reading of viban's MCP defaults not checked"),
        Some(gemini) => {
            // Gemini CLI skips a defaults file below a directory others can write to (/tmp): a data dir in the
            // first place without one — the build's temp dir, else the home — as a real viban's would be.
            let Some(base) = [
                std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")),
                std::env::var_os("HOME").map(std::path::PathBuf::from).unwrap_or_default(),
            ]
            .into_iter()
            .find(|b| b.is_dir() && !below_open_dir(b)) else {
                eprintln!(
                    "gemini: no folder here without a world-writable parent; its reading of viban's defaults not checked"
                );
                return Ok(());
            };
            let data = tempfile::tempdir_in(base)?;
            let dir = viban_agents::mcp::client_dir(data.path())?.display().to_string();
            let mut env = token.to_vec();
            for kv in builtin_field("gemini", "mcp_env")? {
                let (k, v) = kv.split_once('=').unwrap_or_default();
                env.push((k.to_string(), v.replace("{mcp_dir}", &dir)));
            }
            let out = run(&gemini, &["mcp".into(), "list".into()], &env).await?;
            assert!(out.contains(&format!("viban: {MCP_URL} (http)")), "gemini does not list viban's server:\n{out}");
        }
    }
    Ok(())
}
