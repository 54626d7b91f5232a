//! viban as an MCP server, driven by the official SDK's client (rmcp): over Streamable HTTP at `/api/mcp`, and over
//! stdio through `viban-server mcp` started as a child process. Every tool is called on a real board with the fake
//! agent; the endpoint is refused without the token, for another Host and from another origin.

use std::time::Duration;

use reqwest::StatusCode;
use rmcp::ServiceExt;
use rmcp::model::{CallToolRequestParams, CallToolResult};
use rmcp::service::{RoleClient, RunningService};
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use serde_json::{Value, json};
use viban_test_support::wait_until;

use crate::agents::Fixture;

type Client = RunningService<RoleClient, ()>;

const TOOLS: [&str; 12] = [
    "add_dependency",
    "create_task",
    "get_run",
    "get_run_diff",
    "get_task",
    "list_agents",
    "list_projects",
    "list_tasks",
    "send_input",
    "start_run",
    "stop_run",
    "update_task",
];

async fn http_client(f: &Fixture) -> anyhow::Result<Client> {
    let config =
        StreamableHttpClientTransportConfig::with_uri(f.app.url("/api/mcp")).auth_header(f.app.app.token.clone());
    Ok(().serve(StreamableHttpClientTransport::from_config(config)).await?)
}

/// Calls a tool; the structured answer, or the tool error's `{code, message}` as Err.
async fn call(client: &Client, tool: &str, args: Value) -> anyhow::Result<Result<Value, Value>> {
    let args = args.as_object().cloned().unwrap_or_default();
    let result: CallToolResult =
        client.call_tool(CallToolRequestParams::new(tool.to_string()).with_arguments(args)).await?;
    let value = result.structured_content.clone().unwrap_or(Value::Null);
    anyhow::ensure!(value.is_object(), "{tool}: structured content must be an object: {result:?}");
    Ok(if result.is_error == Some(true) { Err(value) } else { Ok(value) })
}

async fn ok(client: &Client, tool: &str, args: Value) -> anyhow::Result<Value> {
    call(client, tool, args).await?.map_err(|e| anyhow::anyhow!("{tool} failed: {e}"))
}

#[tokio::test]
async fn mcp_over_http_lists_every_tool_with_a_schema_and_each_tool_works_on_a_real_board() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let client = http_client(&f).await?;
    let tools = client.list_all_tools().await?;
    let mut names: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    names.sort_unstable();
    assert_eq!(names, TOOLS);
    for t in &tools {
        assert!(t.description.as_deref().is_some_and(|d| d.len() > 20), "{} needs a description for a model", t.name);
        assert_eq!(t.input_schema.get("type"), Some(&json!("object")), "{}", t.name);
    }

    let projects = ok(&client, "list_projects", json!({})).await?;
    assert_eq!(projects["projects"][0]["id"], json!(f.project));
    let agents = ok(&client, "list_agents", json!({})).await?;
    assert!(agents["agents"].as_array().is_some_and(|a| a.iter().any(|x| x["id"] == "ask")), "{agents}");
    let made =
        ok(&client, "create_task", json!({"project_id": f.project, "title": "From a model", "description": "d"}))
            .await?;
    let task = made["task"]["id"].as_str().unwrap_or_default().to_string();
    ok(&client, "update_task", json!({"task_id": task, "title": "From a model, renamed"})).await?;
    let found =
        ok(&client, "list_tasks", json!({"project_id": f.project, "text": "RENAMED", "status": "todo"})).await?;
    assert_eq!(found["tasks"].as_array().map(Vec::len), Some(1), "{found}");
    assert_eq!(found["total"], 1);
    let short = &task.replace('-', "")[24..];
    let by_id = ok(&client, "list_tasks", json!({"project_id": f.project, "text": format!("#{short}")})).await?;
    assert_eq!(by_id["tasks"][0]["id"], json!(task), "the #id shown on cards finds the task");

    let run = ok(&client, "start_run", json!({"task_id": task, "agent": "ask", "prompt": "from mcp"})).await?;
    let run = run["run"]["id"].as_str().unwrap_or_default().to_string();
    wait_until("the agent's question on its screen", Duration::from_secs(30), || async {
        let r = ok(&client, "get_run", json!({"run_id": run})).await.ok()?;
        r["screen"].to_string().contains("Proceed?").then_some(())
    })
    .await?;
    ok(&client, "send_input", json!({"run_id": run, "text": "yes"})).await?;
    let done = wait_until("the run to succeed", Duration::from_secs(30), || async {
        let r = ok(&client, "get_run", json!({"run_id": run, "lines": 5})).await.ok()?;
        (r["run"]["status"] == "succeeded").then_some(r)
    })
    .await?;
    assert!(done["screen"].as_array().is_some_and(|l| l.len() <= 5), "{done}");
    let got = ok(&client, "get_task", json!({"task_id": task})).await?;
    assert_eq!(got["runs"][0]["id"], json!(run));
    let diff = ok(&client, "get_run_diff", json!({"run_id": run, "patch": true})).await?;
    assert_eq!(diff["diff"]["files"][0]["path"], "agent-output.txt", "{diff}");
    assert!(diff["patch"].as_str().is_some_and(|p| p.contains("+done")), "{diff}");

    let long = ok(&client, "start_run", json!({"task_id": task, "agent": "linger", "prompt": "wait"})).await?;
    let long = long["run"]["id"].as_str().unwrap_or_default().to_string();
    wait_until("the second run to start", Duration::from_secs(30), || async {
        let r = ok(&client, "get_run", json!({"run_id": long})).await.ok()?;
        (r["run"]["status"] == "running").then_some(())
    })
    .await?;
    let stopped = ok(&client, "stop_run", json!({"run_id": long})).await?;
    assert_eq!(stopped["run"]["status"], "stopped");
    client.cancel().await?;
    Ok(())
}

#[tokio::test]
async fn mcp_tool_errors_carry_the_api_codes_and_bad_calls_are_refused() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let client = http_client(&f).await?;
    let missing = uuid::Uuid::now_v7().to_string();
    let e = call(&client, "get_task", json!({"task_id": missing})).await?.err().unwrap_or_default();
    assert_eq!(e["code"], "not_found", "{e}");
    let e = call(&client, "get_task", json!({"task_id": "not-an-id"})).await?.err().unwrap_or_default();
    assert_eq!(e["code"], "not_found", "{e}");
    let e = call(&client, "list_tasks", json!({"project_id": f.project, "status": "someday"})).await?.err();
    assert!(e.unwrap_or_default()["message"].as_str().unwrap_or_default().contains("use todo"));
    let task = ok(&client, "create_task", json!({"project_id": f.project, "title": "t"})).await?;
    let task = task["task"]["id"].as_str().unwrap_or_default().to_string();
    let e = call(&client, "start_run", json!({"task_id": task, "agent": "nobody", "prompt": "p"})).await?.err();
    assert_eq!(e.unwrap_or_default()["code"], "unknown_agent");
    let e = call(&client, "send_input", json!({"run_id": missing, "text": "x"})).await?.err().unwrap_or_default();
    assert_eq!(e["code"], "not_found", "{e}");
    let huge = "x".repeat(600);
    let e = call(&client, "create_task", json!({"project_id": f.project, "title": huge})).await?.err();
    assert_eq!(e.unwrap_or_default()["code"], "validation");
    // Arguments the schema does not have: a tool error naming them (a model can correct itself); a tool that does
    // not exist: a protocol error.
    let args = json!({"project_id": f.project, "bogus": 1}).as_object().cloned().unwrap_or_default();
    let r = client.call_tool(CallToolRequestParams::new("list_tasks").with_arguments(args)).await?;
    assert_eq!(r.is_error, Some(true));
    assert!(format!("{:?}", r.content).contains("unknown field `bogus`"), "{r:?}");
    assert!(client.call_tool(CallToolRequestParams::new("drop_database")).await.is_err());
    // The task a tool call named was deleted meanwhile.
    f.app.call(reqwest::Method::DELETE, &format!("/api/tasks/{task}"), None).await?;
    let e = call(&client, "update_task", json!({"task_id": task, "title": "again"})).await?.err().unwrap_or_default();
    assert_eq!(e["code"], "not_found");
    client.cancel().await?;
    Ok(())
}

#[tokio::test]
async fn mcp_endpoint_refuses_no_token_another_host_another_origin_and_malformed_messages() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
        "capabilities": {}, "clientInfo": {"name": "probe", "version": "1"}}});
    let http = reqwest::Client::new();
    let post = |body: String| {
        http.post(f.app.url("/api/mcp"))
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .body(body)
    };
    let r = post(init.to_string()).send().await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "no token");
    let token = f.app.app.token.clone();
    let r = post(init.to_string()).bearer_auth(&token).header("host", "evil.example:80").send().await?;
    assert!(r.status().is_client_error(), "another Host: {}", r.status());
    let r = post(init.to_string()).bearer_auth(&token).header("origin", "http://127.0.0.1:1").send().await?;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "another origin");
    let r = post(init.to_string()).bearer_auth(&token).send().await?;
    assert!(r.status().is_success(), "the same request with the token: {}", r.status());
    let r = post("{not json".into()).bearer_auth(&token).send().await?;
    assert!(r.status().is_client_error(), "malformed: {}", r.status());
    let mut huge = init.clone();
    huge["params"]["clientInfo"]["name"] = json!("a".repeat(2 << 20));
    let r = post(huge.to_string()).bearer_auth(&token).send().await?;
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE, "a huge message");
    Ok(())
}

#[tokio::test]
async fn mcp_over_stdio_through_viban_server_mcp_reaches_the_running_viban() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let mut cmd = tokio::process::Command::new(viban_test_support::server_bin()?);
    cmd.arg("mcp").arg("--home").arg(f.app.home.path());
    let client = ().serve(TokioChildProcess::new(cmd)?).await?;
    let tools = client.list_all_tools().await?;
    assert_eq!(tools.len(), TOOLS.len());
    let projects = ok(&client, "list_projects", json!({})).await?;
    assert_eq!(projects["projects"][0]["id"], json!(f.project));
    let e = call(&client, "get_task", json!({"task_id": uuid::Uuid::now_v7().to_string()})).await?.err();
    assert_eq!(e.unwrap_or_default()["code"], "not_found");
    client.cancel().await?;

    // No viban running for that home: a clear message on stderr, exit 1.
    let empty = tempfile::tempdir()?;
    let out = std::process::Command::new(viban_test_support::server_bin()?)
        .arg("mcp")
        .arg("--home")
        .arg(empty.path())
        .stdin(std::process::Stdio::null())
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("viban is not running") && err.contains("viban-server serve"), "{err}");
    assert!(out.stdout.is_empty(), "nothing but protocol on stdout");
    Ok(())
}

/// The run's printed `env: NAME=value`.
fn printed(text: &str, name: &str) -> Option<String> {
    text.lines().find_map(|l| l.trim().strip_prefix(&format!("env: {name}=")).map(|v| v.trim().to_string()))
}

#[tokio::test]
async fn mcp_an_agent_gets_the_server_reads_its_task_makes_a_subtask_and_sees_no_other_project() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let other_repos = tempfile::tempdir()?;
    let other = f.app.project(other_repos.path(), "elsewhere").await?;
    let bin = crate::agents::fake_agent().display().to_string();
    let extra = format!(
        "[agents.mcp-agent]\ncommand = {bin:?}\nargs = [\"--mcp\", \"--mcp-other\", \"{other}\", \"--\", \"{{prompt}}\"]\n\
         [agents.no-mcp]\ncommand = {bin:?}\nmcp = false\nargs = [\"--print-env\", \"--\", \"{{prompt}}\"]\n"
    );
    f.set_profiles(&extra).await?;
    let run = f.run("mcp-agent", "split the work").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    f.wait_status(&id, "succeeded", Duration::from_secs(30)).await?;
    let (bytes, _) = f.transcript(&id).await?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert!(text.contains("mcp task: task for mcp-agent"), "{text}");
    assert!(text.contains("mcp other project: not_found"), "its token does not reach another project: {text}");
    let sub = text.lines().find_map(|l| l.trim().strip_prefix("mcp subtask: ")).unwrap_or_default().trim().to_string();
    let made = f.app.get(&format!("/api/tasks/{sub}")).await?;
    assert_eq!(made.body["parent_id"], run["task_id"], "{made:?}");
    assert_eq!(made.body["title"], "Subtask from the agent");

    // Its token: the MCP endpoint of its project while it runs; nothing else, and nothing once it ended.
    let env = f.run("env", "print").await?;
    let env_id = env["id"].as_str().unwrap_or_default().to_string();
    f.wait_status(&env_id, "succeeded", Duration::from_secs(30)).await?;
    let text = String::from_utf8_lossy(&f.transcript(&env_id).await?.0).into_owned();
    let token = printed(&text, "VIBAN_MCP_TOKEN").unwrap_or_default();
    assert!(token.starts_with("vr1."), "the agent got a run token: {text}");
    assert_eq!(printed(&text, "VIBAN_MCP_URL").unwrap_or_default(), f.app.url("/api/mcp"));
    let http = reqwest::Client::new();
    let r = http.get(f.app.url("/api/projects")).bearer_auth(&token).send().await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "a run token is not an API token");
    let config = StreamableHttpClientTransportConfig::with_uri(f.app.url("/api/mcp")).auth_header(token);
    let client = ().serve(StreamableHttpClientTransport::from_config(config)).await?;
    let e = call(&client, "list_projects", json!({})).await?.err().unwrap_or_default();
    assert_eq!(e["code"], "unauthorized", "its run has ended: {e}");
    client.cancel().await?;

    // `mcp = false`: no server, no token.
    let off = f.run("no-mcp", "print").await?;
    let off_id = off["id"].as_str().unwrap_or_default().to_string();
    f.wait_status(&off_id, "succeeded", Duration::from_secs(30)).await?;
    let text = String::from_utf8_lossy(&f.transcript(&off_id).await?.0).into_owned();
    assert!(printed(&text, "VIBAN_MCP_TOKEN").is_none() && text.contains("env: VIBAN_RUN_ID="), "{text}");
    Ok(())
}

#[tokio::test]
async fn mcp_a_live_runs_token_sees_only_its_own_project() -> anyhow::Result<()> {
    let f = Fixture::start("").await?;
    let other_repos = tempfile::tempdir()?;
    f.app.project(other_repos.path(), "elsewhere").await?;
    // `linger` keeps running: its token stays valid while the test uses it.
    let extra = format!(
        "[agents.env-linger]\ncommand = {:?}\nargs = [\"--print-env\", \"--linger-ms\", \"600000\", \"--\", \"{{prompt}}\"]\n",
        crate::agents::fake_agent().display().to_string()
    );
    f.set_profiles(&extra).await?;
    let run = f.run("env-linger", "hold").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    // Printed in name order: once VIBAN_TASK_ID shows, the whole token line is out. The run is live (its transcript
    // would wait for its end): read the screen, whose rows wrap a line longer than the terminal.
    f.wait_screen(&id, "VIBAN_TASK_ID").await?;
    let screen = f.app.get(&format!("/api/runs/{id}/screen")).await?.body;
    let cols = screen["cols"].as_u64().unwrap_or(0) as usize;
    let rows: Vec<&str> = screen["lines"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let mut text = String::new();
    for row in rows {
        text.push_str(row);
        if row.chars().count() < cols {
            text.push('\n');
        }
    }
    let token = printed(&text, "VIBAN_MCP_TOKEN").ok_or_else(|| anyhow::anyhow!("no token in {text}"))?;
    let config = StreamableHttpClientTransportConfig::with_uri(f.app.url("/api/mcp")).auth_header(token);
    let client = ().serve(StreamableHttpClientTransport::from_config(config)).await?;
    let projects = ok(&client, "list_projects", json!({})).await?;
    let ids: Vec<&str> =
        projects["projects"].as_array().into_iter().flatten().filter_map(|p| p["id"].as_str()).collect();
    assert_eq!(ids, [f.project.as_str()], "only its own project");
    // The agent can print before its run's row says running (the status is written after the spawn).
    wait_until("the run to be running", Duration::from_secs(30), || async {
        let mine = ok(&client, "get_run", json!({"run_id": id})).await.ok()?;
        (mine["run"]["status"] == "running").then_some(())
    })
    .await?;
    client.cancel().await?;
    f.app.post(&format!("/api/runs/{id}/stop"), json!({})).await?;
    Ok(())
}
