//! The container runtime for real, with podman (rootful here, runc as its OCI runtime): an agent image made by the
//! test from the fake agent and the libraries it links (no image registry is reachable), runs whose profile says
//! `runtime = "container"`. The whole life of a run, the memory limit, the network switched off, a stop that leaves
//! no container, and a viban killed with -9 whose next start removes the container.

use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use tokio::sync::OnceCell;
use viban_test_support::podman::Podman;
use viban_test_support::{ServerProcess, git_repo, wait_until};

use super::{Fixture, fake_agent};

const IMAGE: &str = "localhost/viban-test/fake-agent:it";

fn podman() -> &'static Podman {
    static PODMAN: std::sync::OnceLock<Podman> = std::sync::OnceLock::new();
    PODMAN.get_or_init(|| Podman::new().unwrap_or_else(|e| panic!("a temp dir for the podman wrapper: {e}")))
}

async fn image() -> anyhow::Result<&'static str> {
    static BUILT: OnceCell<()> = OnceCell::const_new();
    BUILT.get_or_try_init(|| async { podman().agent_image(&fake_agent(), IMAGE) }).await?;
    Ok(IMAGE)
}

/// `[container]` and the container profiles.
async fn config() -> anyhow::Result<String> {
    let image = image().await?;
    let engine = podman().wrapper();
    let profile = |id: &str, args: &str, extra: &str| {
        format!(
            "[agents.{id}]\ncommand = \"/usr/local/bin/fake-agent\"\nruntime = \"container\"\nargs = [{args}]\n\
             [agents.{id}.container]\nimage = {image:?}\n{extra}\n"
        )
    };
    Ok([
        format!(
            "[container]\nengine = {:?}\nimage = {image:?}\nmemory = \"256m\"\ncpus = 1.0\npids = 128\n",
            engine.display()
        ),
        profile("boxed", r#""--ask", "Proceed?", "--write", "boxed.txt=done", "--", "{prompt}""#, ""),
        profile("hog", r#""--alloc-mib", "400", "--", "{prompt}""#, "memory = \"96m\""),
        profile("offline", r#""--connect", "host.containers.internal:{port}", "--", "{prompt}""#, "network = false"),
        profile("online", r#""--connect", "host.containers.internal:{port}", "--", "{prompt}""#, ""),
        profile("boxed-stubborn", r#""--ignore-sigterm", "--linger-ms", "600000", "--", "{prompt}""#, ""),
    ]
    .join("\n"))
}

fn containers_of(run: &str) -> anyhow::Result<String> {
    podman().containers_of(run)
}

#[tokio::test]
async fn podman_a_container_run_streams_takes_input_edits_the_worktree_and_is_removed() -> anyhow::Result<()> {
    let f = Fixture::start(&config().await?).await?;
    let run = f.run("boxed", "in a box").await?;
    let id = run["id"].as_str().unwrap_or_default().to_string();
    f.wait_screen(&id, "Proceed?").await?;
    assert_eq!(containers_of(&id)?, format!("viban-run-{id}"), "the container is named after the run");
    let r = f.app.post(&format!("/api/runs/{id}/input"), json!({"data": "yes\r"})).await?;
    assert!(r.status.is_success(), "{r:?}");
    let done = f.wait_status(&id, "succeeded", Duration::from_secs(60)).await?;
    assert_eq!(done["runtime"], "container", "{done}");
    assert_eq!(done["exit_code"], 0);
    let detail = done["runtime_detail"].as_str().unwrap_or_default();
    assert!(detail.contains(IMAGE) && detail.contains("256m") && detail.contains("128 pids"), "{detail}");
    let file = Path::new(done["worktree_path"].as_str().unwrap_or_default()).join("boxed.txt");
    assert_eq!(std::fs::read_to_string(&file)?, "done\n");
    let owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&file)?);
    let worktree_owner = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(file.parent().unwrap_or(&file))?);
    assert_eq!(owner, worktree_owner, "the agent's file belongs to the worktree's owner");
    let (bytes, _) = f.transcript(&id).await?;
    assert!(String::from_utf8_lossy(&bytes).contains("you said: yes"), "the transcript holds the session");
    wait_until("the container to be removed", Duration::from_secs(20), || async {
        containers_of(&id).ok().filter(String::is_empty)
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn podman_an_agent_over_its_memory_limit_is_killed_and_the_run_says_so() -> anyhow::Result<()> {
    let f = Fixture::start(&config().await?).await?;
    let id = f.run("hog", "eat").await?["id"].as_str().unwrap_or_default().to_string();
    let run = f.wait_status(&id, "failed", Duration::from_secs(60)).await?;
    let error = run["error"].as_str().unwrap_or_default();
    assert!(error.contains("memory limit (96 MiB)") && error.contains("raise `memory`"), "{run}");
    assert_eq!(run["exit_code"], 137);
    let (bytes, _) = f.transcript(&id).await?;
    assert!(!String::from_utf8_lossy(&bytes).contains("allocated"), "it never got its memory");
    assert_eq!(containers_of(&id)?, "");
    Ok(())
}

#[tokio::test]
async fn podman_a_network_off_profile_cannot_reach_the_host_and_a_network_on_one_can() -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind("0.0.0.0:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            drop(s);
        }
    });
    let f = Fixture::start(&config().await?.replace("{port}", &port.to_string())).await?;
    let off = f.run("offline", "p").await?["id"].as_str().unwrap_or_default().to_string();
    let on = f.run("online", "p").await?["id"].as_str().unwrap_or_default().to_string();
    for id in [&off, &on] {
        f.wait_status(id, "succeeded", Duration::from_secs(60)).await?;
    }
    let text = |b: Vec<u8>| String::from_utf8_lossy(&b).into_owned();
    let off_text = text(f.transcript(&off).await?.0);
    let on_text = text(f.transcript(&on).await?.0);
    assert!(off_text.contains(&format!("host.containers.internal:{port}: failed")), "{off_text}");
    assert!(on_text.contains(&format!("host.containers.internal:{port}: connected")), "{on_text}");
    Ok(())
}

#[tokio::test]
async fn podman_stopping_an_agent_that_ignores_sigterm_leaves_no_container() -> anyhow::Result<()> {
    let f = Fixture::start(&config().await?).await?;
    let id = f.run("boxed-stubborn", "p").await?["id"].as_str().unwrap_or_default().to_string();
    f.wait_screen(&id, "ready").await?;
    assert!(!containers_of(&id)?.is_empty());
    let r = f.app.post(&format!("/api/runs/{id}/stop"), json!({})).await?;
    assert!(r.status.is_success(), "{r:?}");
    f.wait_status(&id, "stopped", Duration::from_secs(60)).await?;
    assert_eq!(containers_of(&id)?, "", "no container is left");
    Ok(())
}

#[tokio::test]
async fn podman_after_viban_is_killed_with_9_the_next_start_removes_the_container_and_keeps_the_transcript()
-> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    std::fs::create_dir_all(home.path().join("config"))?;
    std::fs::write(home.path().join("config/agents.toml"), config().await?)?;
    let repos = tempfile::tempdir()?;
    let repo = git_repo(repos.path(), "boxed")?;
    let id = super::killed_mid_run(home.path(), &repo, "boxed-stubborn").await?;
    assert!(!containers_of(&id)?.is_empty(), "the container outlived viban");

    let server = ServerProcess::spawn(home.path(), &[]).await?;
    assert_eq!(containers_of(&id)?, "", "the next start removed it");
    let run = server.call(Method::GET, &format!("/api/runs/{id}"), None).await?;
    assert_eq!(run.body["status"], "interrupted", "{run:?}");
    let cast = reqwest::Client::new()
        .get(format!("{}/api/runs/{id}/transcript.cast", server.url))
        .bearer_auth(&server.token)
        .send()
        .await?
        .text()
        .await?;
    assert!(cast.contains("survive"), "the transcript is intact: {cast}");
    Ok(())
}

#[tokio::test]
async fn podman_bad_container_profiles_say_what_is_wrong_and_leave_nothing() -> anyhow::Result<()> {
    let image = image().await?;
    let extra = format!(
        "[agents.no-image]\ncommand = \"/usr/local/bin/fake-agent\"\nruntime = \"container\"\n\
         [agents.no-image.container]\nimage = \"localhost/viban-test/never-built:none\"\n\n\
         [agents.bad-limit]\ncommand = \"/usr/local/bin/fake-agent\"\nruntime = \"container\"\n\
         [agents.bad-limit.container]\nimage = {image:?}\nmemory = \"lots\"\n\n\
         [agents.not-in-image]\ncommand = \"/usr/bin/no-such-agent\"\nruntime = \"container\"\n\
         [agents.not-in-image.container]\nimage = {image:?}\n\n\
         [agents.not-in-image-engine]\ncommand = \"/usr/bin/no-such-agent\"\nruntime = \"container\"\n\
         [agents.not-in-image-engine.container]\nimage = {image:?}\nconsole = \"engine\"\n"
    );
    let f = Fixture::start(&format!("{}\n{extra}", config().await?)).await?;
    let task = f.task("bad").await?;
    let r = f.app.post(&format!("/api/tasks/{task}/runs"), json!({"agent": "no-image", "prompt": "p"})).await?;
    assert_eq!(r.body["code"], "agent_not_installed", "{r:?}");
    let message = r.body["message"].as_str().unwrap_or_default();
    assert!(message.contains("never-built:none is not there") && message.contains("pull"), "{message}");

    let limit = f.run("bad-limit", "p").await?["id"].as_str().unwrap_or_default().to_string();
    let run = f.wait_status(&limit, "failed", Duration::from_secs(60)).await?;
    assert!(run["error"].as_str().unwrap_or_default().contains("refused to start the agent (exit 125)"), "{run}");
    // With the direct console, `setsid` in the image says why in the terminal and exits 127.
    let missing = f.run("not-in-image", "p").await?["id"].as_str().unwrap_or_default().to_string();
    let run = f.wait_status(&missing, "failed", Duration::from_secs(60)).await?;
    assert_eq!(run["exit_code"], 127, "{run}");
    assert!(run["error"].as_str().unwrap_or_default().contains("not found in the image"), "{run}");
    let (bytes, _) = f.transcript(&missing).await?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert!(text.contains("failed to execute /usr/bin/no-such-agent"), "{text}");
    // Through the engine's TTY, the container's init (catatonit) says why; the run has its exit code.
    let engine = f.run("not-in-image-engine", "p").await?["id"].as_str().unwrap_or_default().to_string();
    let run = f.wait_status(&engine, "failed", Duration::from_secs(60)).await?;
    assert_eq!(run["exit_code"], 1, "{run}");
    let (bytes, _) = f.transcript(&engine).await?;
    assert!(String::from_utf8_lossy(&bytes).contains("failed to exec"), "{}", String::from_utf8_lossy(&bytes));
    for id in [&limit, &missing, &engine] {
        assert_eq!(containers_of(id)?, "", "nothing is left of {id}");
    }
    Ok(())
}

#[tokio::test]
async fn podman_a_run_or_its_project_can_put_a_local_profile_in_a_container_and_follow_ups_stay_there()
-> anyhow::Result<()> {
    let f = Fixture::start(&config().await?).await?;
    let task = f.task("override").await?;
    let body = json!({"agent": "ask", "prompt": "boxed by request", "runtime": "container"});
    let r = f.app.post(&format!("/api/tasks/{task}/runs"), body).await?;
    assert!(r.status.is_success(), "{r:?}");
    let id = r.str("id");
    assert_eq!(r.body["runtime"], "container", "{r:?}");
    f.wait_screen(&id, "Proceed?").await?;
    assert!(!containers_of(&id)?.is_empty(), "it runs in a container");
    f.app.post(&format!("/api/runs/{id}/input"), json!({"data": "yes\r"})).await?;
    f.wait_status(&id, "succeeded", Duration::from_secs(60)).await?;
    let follow = f.app.post(&format!("/api/runs/{id}/follow-up"), json!({"prompt": "again"})).await?;
    assert!(follow.status.is_success(), "{follow:?}");
    assert_eq!(follow.body["runtime"], "container", "a follow-up runs where its run ran: {follow:?}");
    let fid = follow.str("id");
    f.wait_screen(&fid, "Proceed?").await?;
    f.app.post(&format!("/api/runs/{fid}/input"), json!({"data": "no\r"})).await?;
    f.wait_status(&fid, "succeeded", Duration::from_secs(60)).await?;

    // A project whose default is the container puts runs there without being asked each time.
    let patch = f.app.patch(&format!("/api/projects/{}", f.project), json!({"default_runtime": "container"})).await?;
    assert_eq!(patch.body["default_runtime"], "container", "{patch:?}");
    let task2 = f.task("project default").await?;
    let r = f.app.post(&format!("/api/tasks/{task2}/runs"), json!({"agent": "ask", "prompt": "p"})).await?;
    assert_eq!(r.body["runtime"], "container", "{r:?}");
    let pid = r.str("id");
    f.wait_screen(&pid, "Proceed?").await?;
    f.app.post(&format!("/api/runs/{pid}/stop"), json!({})).await?;
    f.wait_status(&pid, "stopped", Duration::from_secs(60)).await?;

    // And the other way: a container profile run here is refused, since its command is the image's.
    let back = f
        .app
        .post(&format!("/api/tasks/{task}/runs"), json!({"agent": "boxed", "prompt": "p", "runtime": "local"}))
        .await?;
    assert_eq!(back.body["code"], "agent_not_installed", "{back:?}");
    Ok(())
}

#[tokio::test]
async fn podman_no_engine_and_an_unmountable_worktree_are_named_and_leave_nothing() -> anyhow::Result<()> {
    let image = image().await?;
    let profile = format!(
        "[agents.nowhere]\ncommand = \"/usr/local/bin/fake-agent\"\nruntime = \"container\"\n\
         [agents.nowhere.container]\nimage = {image:?}\n"
    );
    let f = Fixture::start(&format!("[container]\nengine = \"/nonexistent/podman\"\n\n{profile}")).await?;
    let task = f.task("no engine").await?;
    let r = f.app.post(&format!("/api/tasks/{task}/runs"), json!({"agent": "nowhere", "prompt": "p"})).await?;
    assert_eq!(r.body["code"], "agent_not_installed", "{r:?}");
    let message = r.body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("no container engine found (/nonexistent/podman)") && message.contains("install"),
        "{r:?}"
    );

    let root = tempfile::tempdir()?;
    let odd = root.path().join("work:trees");
    let runs = format!("[runs]\nworktree_root = {:?}\n", odd.display().to_string());
    let engine = format!("[container]\nengine = {:?}\n", podman().wrapper().display());
    let g = Fixture::start(&format!("{runs}\n{engine}\n{profile}")).await?;
    let id = g.run("nowhere", "p").await?["id"].as_str().unwrap_or_default().to_string();
    let run = g.wait_status(&id, "failed", Duration::from_secs(60)).await?;
    let error = run["error"].as_str().unwrap_or_default();
    assert!(error.contains("cannot be mounted into a container") && error.contains("worktree_root"), "{error}");
    assert_eq!(containers_of(&id)?, "", "no container was made");
    Ok(())
}
