//! The real agent CLIs: every built-in profile whose binary is installed here is detected with its version.
//! A binary that is absent is skipped with a message (these machines cannot log in to the vendors anyway).

use super::Fixture;

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
        let on_path = std::env::var("PATH")
            .unwrap_or_default()
            .split(':')
            .any(|d| std::path::Path::new(d).join(program).is_file());
        if !on_path {
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
