//! Finding: "agents inherit the server's whole environment". `VIBAN_TOKEN` (the API token: it would let an agent
//! drive viban), `VIBAN_DATABASE_URL` and every other `VIBAN_*`, and `PGPASSWORD`, reached the agent and its setup
//! script. The server here runs with such secrets set (a dummy `VIBAN_*` name stands for the database URL, which
//! would switch databases); the stored transcript shows none of them, but does show the run's marker.

use std::time::Duration;

use serde_json::{Value, json};
use viban_test_support::{ServerProcess, wait_until};

use super::{fake_agent, profiles};

const TOKEN: &str = "test-token-that-agents-must-not-see-0123456789abcdef";

#[tokio::test]
async fn agents_and_setup_scripts_do_not_inherit_vibans_secrets() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let bin = fake_agent().display().to_string();
    // A profile may still hand an agent a VIBAN_ variable on purpose.
    let extra = format!(
        "[agents.envp]\ncommand = {bin:?}\nargs = [\"--print-env\", \"--\", \"{{prompt}}\"]\n\
         env = {{ VIBAN_PROFILE_VAR = \"set-by-profile\" }}\n"
    );
    std::fs::create_dir_all(home.path().join("config"))?;
    std::fs::write(home.path().join("config/agents.toml"), profiles(&extra))?;
    let repos = tempfile::tempdir()?;
    let repo = viban_test_support::git_repo(repos.path(), "env")?;
    let secrets = [("VIBAN_TOKEN", TOKEN), ("VIBAN_SOME_SECRET", "hunter2-viban"), ("PGPASSWORD", "hunter2-pg")];
    let mut server = ServerProcess::spawn_with_env(home.path(), &[], &secrets).await?;
    server.token = TOKEN.to_string();
    use reqwest::Method;

    let body = json!({"name": "env", "repo_path": repo});
    let project = server.call(Method::POST, "/api/projects", Some(body)).await?.str("id");
    anyhow::ensure!(!project.is_empty(), "creating the project failed");
    let setup = json!({"setup_script": "echo setup-env-begin; env | sort; echo setup-env-end"});
    server.call(Method::PATCH, &format!("/api/projects/{project}"), Some(setup)).await?;
    let body = json!({"title": "env"});
    let task = server.call(Method::POST, &format!("/api/projects/{project}/tasks"), Some(body)).await?.str("id");
    let body = json!({"agent": "envp", "prompt": "p"});
    let run = server.call(Method::POST, &format!("/api/tasks/{task}/runs"), Some(body)).await?;
    let id = run.str("id");
    anyhow::ensure!(!id.is_empty(), "starting: {run:?}");
    wait_until("the run to succeed", Duration::from_secs(30), || async {
        let r = server.call(Method::GET, &format!("/api/runs/{id}"), None).await.ok()?;
        (r.body["status"] == "succeeded").then_some(())
    })
    .await?;

    let cast = reqwest::Client::new()
        .get(format!("{}/api/runs/{id}/transcript.cast", server.url))
        .bearer_auth(TOKEN)
        .send()
        .await?
        .text()
        .await?;
    let mut text = String::new();
    for line in cast.lines().skip(1) {
        let event: Value = serde_json::from_str(line)?;
        text.push_str(event[2].as_str().unwrap_or_default());
    }
    let (setup_out, agent_out) = text.split_once("setup-env-end").unwrap_or_default();
    assert!(setup_out.contains("setup-env-begin"), "{text}");
    assert!(setup_out.contains(&format!("VIBAN_RUN_ID={id}")), "the setup script has the marker: {setup_out}");
    assert!(agent_out.contains(&format!("env: VIBAN_RUN_ID={id}")), "the agent has the marker: {agent_out}");
    assert!(agent_out.contains("env: VIBAN_PROFILE_VAR=set-by-profile"), "{agent_out}");
    for (name, value) in secrets {
        assert!(!text.contains(value), "{name}'s value reached the run: {text}");
        assert!(!text.contains(&format!("{name}=")), "{name} reached the run: {text}");
    }
    server.signal(nix::sys::signal::Signal::SIGTERM);
    assert!(server.wait_exit(Duration::from_secs(60)).await?.success());
    Ok(())
}
