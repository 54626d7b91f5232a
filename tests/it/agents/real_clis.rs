//! The real agent CLIs: every built-in profile whose binary is installed here is detected with its version, and its
//! `--help` documents the argument form the profile passes the prompt in (after `--` as a positional, or inside one
//! `--option=` argument; see builtin_agents.toml). A binary that is absent is skipped with a message (these machines
//! cannot log in to the vendors anyway, and CI does not install them).

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

#[tokio::test]
async fn installed_agent_clis_document_the_prompt_argument_their_profile_uses() -> anyhow::Result<()> {
    let mut checked = 0;
    for (program, args, needles) in HELP {
        if !on_path(program) {
            eprintln!("{program}: not installed here; its `{}` not checked", args.join(" "));
            continue;
        }
        // A home of its own: help must not depend on (or write to) the user's configuration.
        let home = tempfile::tempdir()?;
        let mut cmd = tokio::process::Command::new(program);
        cmd.args(*args).env("HOME", home.path()).stdin(std::process::Stdio::null()).kill_on_drop(true);
        let out = tokio::time::timeout(Duration::from_secs(60), cmd.output()).await??;
        let help = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        for needle in *needles {
            assert!(help.contains(needle), "`{program} {}` does not mention {needle}:\n{help}", args.join(" "));
        }
        checked += 1;
    }
    eprintln!("real agent CLI help texts checked: {checked}");
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
