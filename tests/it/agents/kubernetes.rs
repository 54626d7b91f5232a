//! The Kubernetes runtime against a stand-in API server (no real one can be installed here; see
//! `viban_test_support::kube_standin`): the real kube-rs client creates the Job, watches its pod, attaches to its TTY
//! over WebSocket and deletes it; the stand-in's "kubelet" runs the pod's script on this machine, so the clone from
//! the project's remote, the agent and the push back are real. One test runs against a real cluster when
//! `VIBAN_TEST_KUBECONFIG` is set.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use reqwest::Method;
use serde_json::json;
use viban_test_support::kube_standin::{Behaviour, KubeStandin};
use viban_test_support::{ServerProcess, git_repo, wait_until};

use super::{Fixture, fake_agent};

const NS: &str = "viban-test";

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git").arg("-C").arg(dir).args(args).output()?;
    anyhow::ensure!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A bare remote next to `repo`, with `repo`'s history pushed: what the pods clone and push to.
fn with_remote(repo: &Path) -> anyhow::Result<PathBuf> {
    let remote = repo.with_extension("remote.git");
    git(repo.parent().unwrap_or(repo), &["init", "-q", "--bare", &remote.display().to_string()])?;
    git(repo, &["remote", "add", "origin", &remote.display().to_string()])?;
    git(repo, &["push", "-q", "origin", "HEAD"])?;
    Ok(remote)
}

/// The stand-in (pods find the fake agent on their PATH) and the `[kubernetes]` and profiles that use it.
async fn cluster(kube_extra: &str) -> anyhow::Result<(KubeStandin, tempfile::TempDir, String)> {
    let agent_dir = fake_agent().parent().map(Path::to_path_buf).unwrap_or_default();
    let path = format!("{}:{}", agent_dir.display(), std::env::var("PATH").unwrap_or_default());
    let standin = KubeStandin::start(&path).await?;
    let dir = tempfile::tempdir()?;
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(&kubeconfig, standin.kubeconfig(NS))?;
    let profile = |id: &str, args: &str| {
        format!("[agents.{id}]\ncommand = \"fake-agent\"\nruntime = \"kubernetes\"\nargs = [{args}]\n")
    };
    let config = [
        format!(
            "[kubernetes]\nkubeconfig = {:?}\nimage = \"standin.example/fake-agent:1\"\ncpu = \"1\"\n\
             memory = \"512Mi\"\nstart_timeout_secs = 5\n{kube_extra}\n",
            kubeconfig.display()
        ),
        profile("pod", r#""--ask", "Proceed?", "--write", "pod-output.txt=done", "--", "{prompt}""#),
        profile("pod-stubborn", r#""--ignore-sigterm", "--linger-ms", "600000", "--", "{prompt}""#),
        profile("pod-busy", r#""--write", "half-done.txt=partial", "--linger-ms", "600000", "--", "{prompt}""#),
        "[agents.pod-missing]\ncommand = \"fake-agent\"\nruntime = \"kubernetes\"\n\
         [agents.pod-missing.kubernetes]\nimage = \"standin.example/missing:1\"\n"
            .to_string(),
    ]
    .join("\n");
    Ok((standin, dir, config))
}

fn id_of(run: &serde_json::Value) -> String {
    run["id"].as_str().unwrap_or_default().to_string()
}

#[tokio::test]
async fn kube_standin_a_run_is_a_job_whose_pod_streams_takes_input_pushes_its_branch_and_is_deleted()
-> anyhow::Result<()> {
    let (standin, _dir, config) = cluster("").await?;
    let f = Fixture::start(&config).await?;
    let remote = with_remote(&f.repos.path().join("agents"))?;
    let run = f.run("pod", "on the cluster").await?;
    let id = id_of(&run);
    f.wait_screen(&id, "Proceed?").await?;
    let jobs = standin.job_objects();
    assert_eq!(jobs.len(), 1, "one Job per run");
    let pod = &jobs[0]["spec"]["template"]["spec"];
    let c = &pod["containers"][0];
    assert_eq!((c["tty"].clone(), c["stdin"].clone()), (json!(true), json!(true)));
    assert_eq!(c["resources"]["limits"], json!({"cpu": "1", "memory": "512Mi"}));
    assert_eq!(jobs[0]["metadata"]["labels"]["dev.viban.run"], json!(id));
    assert!(!pod.to_string().contains("hostPath"), "no host paths in the pod: {pod}");
    let r = f.app.post(&format!("/api/runs/{id}/input"), json!({"data": "yes\r"})).await?;
    assert!(r.status.is_success(), "{r:?}");
    let done = f.wait_status(&id, "succeeded", Duration::from_secs(60)).await?;
    assert_eq!(done["runtime"], "kubernetes", "{done}");
    let detail = done["runtime_detail"].as_str().unwrap_or_default();
    assert!(detail.contains("1 CPU · 512Mi") && detail.contains("on standin-node-1"), "{detail}");
    // The pod pushed the branch; viban fetched it into the worktree, where review looks.
    let branch = done["branch"].as_str().unwrap_or_default();
    let worktree = Path::new(done["worktree_path"].as_str().unwrap_or_default());
    assert_eq!(std::fs::read_to_string(worktree.join("pod-output.txt"))?, "done\n");
    assert_eq!(git(&remote, &["rev-parse", branch])?, git(worktree, &["rev-parse", "HEAD"])?);
    let (bytes, _) = f.transcript(&id).await?;
    let text = String::from_utf8_lossy(&bytes);
    assert!(text.contains("you said: yes") && text.contains("running on standin-node-1"), "{text}");
    wait_until("the Job to be deleted", Duration::from_secs(20), || async { standin.jobs().is_empty().then_some(()) })
        .await?;
    assert_eq!(standin.running_processes(), 0);
    Ok(())
}

#[tokio::test]
async fn kube_standin_stop_deletes_the_job_and_its_pod_even_when_the_agent_ignores_sigterm() -> anyhow::Result<()> {
    let (standin, _dir, config) = cluster("").await?;
    let f = Fixture::start(&config).await?;
    with_remote(&f.repos.path().join("agents"))?;
    let id = id_of(&f.run("pod-stubborn", "hold on").await?);
    f.wait_screen(&id, "hold on").await?;
    assert_eq!(standin.running_processes(), 1);
    let r = f.app.post(&format!("/api/runs/{id}/stop"), json!({})).await?;
    assert!(r.status.is_success(), "{r:?}");
    f.wait_status(&id, "stopped", Duration::from_secs(60)).await?;
    assert!(standin.jobs().is_empty(), "the Job is gone");
    wait_until("the pod's process to end", Duration::from_secs(10), || async {
        (standin.running_processes() == 0).then_some(())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn kube_standin_a_stopped_pod_still_pushes_what_its_agent_did_and_the_worktree_gets_it() -> anyhow::Result<()> {
    let (standin, _dir, config) = cluster("").await?;
    let f = Fixture::start(&config).await?;
    let remote = with_remote(&f.repos.path().join("agents"))?;
    let id = id_of(&f.run("pod-busy", "work").await?);
    f.wait_screen(&id, "edited half-done.txt").await?;
    let r = f.app.post(&format!("/api/runs/{id}/stop"), json!({})).await?;
    assert!(r.status.is_success(), "{r:?}");
    let run = f.wait_status(&id, "stopped", Duration::from_secs(60)).await?;
    let worktree = Path::new(run["worktree_path"].as_str().unwrap_or_default());
    assert_eq!(std::fs::read_to_string(worktree.join("half-done.txt"))?, "partial\n", "the work came back");
    let branch = run["branch"].as_str().unwrap_or_default();
    assert_eq!(git(&remote, &["rev-parse", branch])?, git(worktree, &["rev-parse", "HEAD"])?);
    assert!(standin.jobs().is_empty() && standin.running_processes() == 0, "nothing is left on the cluster");
    Ok(())
}

#[tokio::test]
async fn kube_standin_refusals_and_stuck_pods_fail_the_run_with_the_reason_and_leave_no_job() -> anyhow::Result<()> {
    let (standin, _dir, config) = cluster("").await?;
    let f = Fixture::start(&config).await?;
    let repo = f.repos.path().join("agents");
    // No remote yet: the pod would have nothing to clone.
    let id = id_of(&f.run("pod", "p").await?);
    let run = f.wait_status(&id, "failed", Duration::from_secs(30)).await?;
    assert!(run["error"].as_str().unwrap_or_default().contains("has no remote \"origin\""), "{run}");
    with_remote(&repo)?;

    let cases: [(Behaviour, &str, &[&str]); 3] = [
        (
            Behaviour { forbid: Some(("create".into(), "jobs".into())), ..Default::default() },
            "pod",
            &["cannot create jobs", "viban-test", "installers/kubernetes/rbac.yaml"],
        ),
        (
            Behaviour {
                unschedulable: Some("0/3 nodes are available: 3 Insufficient cpu.".into()),
                ..Default::default()
            },
            "pod",
            &["could not be scheduled within 5 s", "3 Insufficient cpu", "Lower `cpu`/`memory`"],
        ),
        (
            Behaviour { unpullable: Some("missing".into()), ..Default::default() },
            "pod-missing",
            &["standin.example/missing:1 could not be pulled", "ErrImagePull"],
        ),
    ];
    for (behaviour, agent, words) in cases {
        standin.behave(behaviour);
        let id = id_of(&f.run(agent, "p").await?);
        let run = f.wait_status(&id, "failed", Duration::from_secs(30)).await?;
        let error = run["error"].as_str().unwrap_or_default();
        assert!(words.iter().all(|w| error.contains(w)), "{error}");
        assert!(standin.jobs().is_empty(), "no Job is left after: {error}");
    }
    standin.behave(Behaviour::default());

    // A remote the pod cannot reach: the pod says so, with git's words.
    let url = git(&repo, &["remote", "get-url", "origin"])?;
    git(&repo, &["remote", "set-url", "origin", "/nonexistent/remote.git"])?;
    let id = id_of(&f.run("pod", "p").await?);
    let run = f.wait_status(&id, "failed", Duration::from_secs(60)).await?;
    let error = run["error"].as_str().unwrap_or_default();
    assert!(error.contains("the pod cannot fetch /nonexistent/remote.git"), "{error}");
    git(&repo, &["remote", "set-url", "origin", &url])?;

    // A base commit the remote does not have: the pod says so, and nothing is pushed.
    std::fs::write(repo.join("local.txt"), "only here")?;
    git(&repo, &["add", "."])?;
    git(&repo, &["commit", "-q", "-m", "not pushed"])?;
    let id = id_of(&f.run("pod", "p").await?);
    let run = f.wait_status(&id, "failed", Duration::from_secs(60)).await?;
    let error = run["error"].as_str().unwrap_or_default();
    assert!(error.contains("is not on") && error.contains("push it"), "{error}");
    wait_until("the Job to be deleted", Duration::from_secs(20), || async { standin.jobs().is_empty().then_some(()) })
        .await?;
    assert_eq!(standin.running_processes(), 0);
    Ok(())
}

#[tokio::test]
async fn kube_standin_an_evicted_pod_and_a_rejected_push_fail_the_run_and_keep_the_worktree() -> anyhow::Result<()> {
    let (standin, _dir, config) = cluster("").await?;
    let f = Fixture::start(&config).await?;
    let remote = with_remote(&f.repos.path().join("agents"))?;
    let id = id_of(&f.run("pod-stubborn", "evict me").await?);
    f.wait_screen(&id, "evict me").await?;
    standin.evict_all();
    let run = f.wait_status(&id, "failed", Duration::from_secs(30)).await?;
    let error = run["error"].as_str().unwrap_or_default();
    assert!(error.contains("the pod was evicted: The node was low on resource: memory."), "{error}");
    wait_until("the Job to be deleted", Duration::from_secs(20), || async { standin.jobs().is_empty().then_some(()) })
        .await?;

    // The remote refuses every push: the run says so, and the local worktree is as it was.
    let hook = remote.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'pushes are closed today' >&2\nexit 1\n")?;
    std::fs::set_permissions(&hook, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let id = id_of(&f.run("pod", "p").await?);
    f.wait_screen(&id, "Proceed?").await?;
    f.app.post(&format!("/api/runs/{id}/input"), json!({"data": "y\r"})).await?;
    let run = f.wait_status(&id, "failed", Duration::from_secs(60)).await?;
    let error = run["error"].as_str().unwrap_or_default();
    assert!(error.contains("the remote rejected the push of viban/") && error.contains("pushes are closed"), "{error}");
    let worktree = Path::new(run["worktree_path"].as_str().unwrap_or_default());
    let base = git(&f.repos.path().join("agents"), &["rev-parse", "HEAD"])?;
    assert_eq!(git(worktree, &["rev-parse", "HEAD"])?, base, "nothing was fetched into the worktree");
    assert_eq!(git(worktree, &["status", "--porcelain"])?, "", "the local worktree is untouched");
    wait_until("the Job to be deleted", Duration::from_secs(20), || async { standin.jobs().is_empty().then_some(()) })
        .await?;
    assert_eq!(standin.running_processes(), 0);
    Ok(())
}

#[tokio::test]
async fn kube_standin_no_kubeconfig_and_a_missing_git_secret_are_named() -> anyhow::Result<()> {
    let (standin, dir, config) = cluster("git_secret = \"viban-git\"").await?;
    let f = Fixture::start(&config).await?;
    with_remote(&f.repos.path().join("agents"))?;
    let id = id_of(&f.run("pod", "p").await?);
    let run = f.wait_status(&id, "failed", Duration::from_secs(30)).await?;
    let error = run["error"].as_str().unwrap_or_default();
    assert!(error.contains("Secret \"viban-git\"") && error.contains("git-secret.example.yaml"), "{error}");
    standin.add_secret(NS, "viban-git", &[(".git-credentials", "https://u:t@git.example.com\n")]);
    let id = id_of(&f.run("pod", "p").await?);
    f.wait_screen(&id, "Proceed?").await?;
    f.app.post(&format!("/api/runs/{id}/input"), json!({"data": "y\r"})).await?;
    f.wait_status(&id, "succeeded", Duration::from_secs(60)).await?;

    // A cluster that does not answer: its address is named.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = closed.local_addr()?.port();
    drop(closed);
    let dead = dir.path().join("dead-kubeconfig");
    std::fs::write(&dead, standin.kubeconfig(NS).replace(&standin.addr.port().to_string(), &port.to_string()))?;
    let config_dead = config.replace(&dir.path().join("kubeconfig").display().to_string(), &dead.display().to_string());
    let h = Fixture::start(&config_dead).await?;
    with_remote(&h.repos.path().join("agents"))?;
    let id = id_of(&h.run("pod", "p").await?);
    let run = h.wait_status(&id, "failed", Duration::from_secs(60)).await?;
    let error = run["error"].as_str().unwrap_or_default();
    assert!(error.contains(&format!("cannot reach the Kubernetes API server at http://127.0.0.1:{port}")), "{error}");

    let missing = dir.path().join("no-such-kubeconfig");
    let config = config.replace(&dir.path().join("kubeconfig").display().to_string(), &missing.display().to_string());
    let g = Fixture::start(&config).await?;
    with_remote(&g.repos.path().join("agents"))?;
    let id = id_of(&g.run("pod", "p").await?);
    let run = g.wait_status(&id, "failed", Duration::from_secs(30)).await?;
    let error = run["error"].as_str().unwrap_or_default();
    assert!(error.contains("cannot read the kubeconfig") && error.contains("no-such-kubeconfig"), "{error}");
    Ok(())
}

#[tokio::test]
async fn kube_standin_after_viban_is_killed_with_9_the_next_start_deletes_the_job() -> anyhow::Result<()> {
    let (standin, _dir, config) = cluster("").await?;
    let home = tempfile::tempdir()?;
    std::fs::create_dir_all(home.path().join("config"))?;
    std::fs::write(home.path().join("config/agents.toml"), &config)?;
    let repos = tempfile::tempdir()?;
    let repo = git_repo(repos.path(), "pods")?;
    with_remote(&repo)?;
    let id = super::killed_mid_run(home.path(), &repo, "pod-stubborn").await?;
    assert_eq!(standin.jobs().len(), 1, "the Job outlived viban");

    let server = ServerProcess::spawn(home.path(), &[]).await?;
    wait_until("the next start to delete the Job", Duration::from_secs(30), || async {
        standin.jobs().is_empty().then_some(())
    })
    .await?;
    let run = server.call(Method::GET, &format!("/api/runs/{id}"), None).await?;
    assert_eq!(run.body["status"], "interrupted", "{run:?}");
    wait_until("the pod's process to end", Duration::from_secs(10), || async {
        (standin.running_processes() == 0).then_some(())
    })
    .await?;
    Ok(())
}

/// Needs `VIBAN_TEST_KUBECONFIG` (a cluster), `VIBAN_TEST_KUBE_IMAGE` (an image with `sh` and `git`) and
/// `VIBAN_TEST_KUBE_REMOTE` (a git URL the cluster can fetch from and push to; credentials in Secret `viban-git`
/// when `VIBAN_TEST_KUBE_SECRET=1`). Skipped with that message otherwise.
#[tokio::test]
async fn kube_real_cluster_runs_a_job_end_to_end_when_a_kubeconfig_is_given() -> anyhow::Result<()> {
    let vars = ["VIBAN_TEST_KUBECONFIG", "VIBAN_TEST_KUBE_IMAGE", "VIBAN_TEST_KUBE_REMOTE"].map(std::env::var);
    let [Ok(kubeconfig), Ok(image), Ok(remote)] = vars else {
        eprintln!(
            "skipped: set VIBAN_TEST_KUBECONFIG, VIBAN_TEST_KUBE_IMAGE and VIBAN_TEST_KUBE_REMOTE to run against a \
             real cluster"
        );
        return Ok(());
    };
    let secret = if std::env::var("VIBAN_TEST_KUBE_SECRET").is_ok() { "git_secret = \"viban-git\"\n" } else { "" };
    let config = format!(
        "[kubernetes]\nkubeconfig = {kubeconfig:?}\nimage = {image:?}\ncpu = \"500m\"\nmemory = \"256Mi\"\n{secret}\n\
         [agents.cluster]\ncommand = \"sh\"\nruntime = \"kubernetes\"\nargs = [\"-c\", \"echo {{prompt}} > kube.txt\"]\n"
    );
    let f = Fixture::start(&config).await?;
    let repo = f.repos.path().join("agents");
    git(&repo, &["remote", "add", "origin", &remote])?;
    git(&repo, &["push", "-q", "origin", "HEAD"])?;
    let id = id_of(&f.run("cluster", "from-the-cluster").await?);
    let done = f.wait_status(&id, "succeeded", Duration::from_secs(300)).await?;
    let worktree = Path::new(done["worktree_path"].as_str().unwrap_or_default());
    assert_eq!(std::fs::read_to_string(worktree.join("kube.txt"))?.trim(), "from-the-cluster");
    Ok(())
}

#[tokio::test]
async fn kube_standin_doctor_says_whether_the_cluster_answers_and_names_a_refused_verb() -> anyhow::Result<()> {
    let (standin, _dir, config) = cluster("").await?;
    let home = tempfile::tempdir()?;
    std::fs::create_dir_all(home.path().join("config"))?;
    std::fs::write(home.path().join("config/agents.toml"), &config)?;
    let home_dir = home.path().to_path_buf();
    let doctor = move || {
        let out = std::process::Command::new(viban_test_support::server_bin()?)
            .args(["doctor", "--home"])
            .arg(&home_dir)
            .output()?;
        Ok::<_, anyhow::Error>((out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned()))
    };
    let (ok, text) = tokio::task::spawn_blocking(doctor.clone()).await??;
    let line = text.lines().find(|l| l.contains("kubernetes")).unwrap_or_default().to_string();
    assert!(ok && line.starts_with("ok") && line.contains("namespace \"viban-test\""), "{text}");
    standin.behave(Behaviour { forbid: Some(("list".into(), "jobs".into())), ..Default::default() });
    let (ok, text) = tokio::task::spawn_blocking(doctor).await??;
    let line = text.lines().find(|l| l.contains("kubernetes")).unwrap_or_default().to_string();
    assert!(!ok && line.starts_with("MISSING") && line.contains("cannot list jobs"), "{text}");
    Ok(())
}

#[tokio::test]
async fn kube_standin_a_projects_runtime_options_win_over_the_profile_and_bad_ones_are_refused() -> anyhow::Result<()> {
    let (standin, _dir, config) = cluster("").await?;
    let f = Fixture::start(&config).await?;
    with_remote(&f.repos.path().join("agents"))?;
    let path = format!("/api/projects/{}", f.project);
    let bad = json!({"runtime_options": {"container": {"cpus": 0.0}, "kubernetes": {}}});
    let r = f.app.call(Method::PATCH, &path, Some(bad)).await?;
    assert_eq!(r.status, reqwest::StatusCode::BAD_REQUEST, "{r:?}");
    assert!(r.body["message"].as_str().unwrap_or_default().contains("cpus must be above 0"), "{r:?}");
    let bad = json!({"runtime_options": {"kubernetes": {"memory": "4 Gi"}}});
    let r = f.app.call(Method::PATCH, &path, Some(bad)).await?;
    assert_eq!(r.status, reqwest::StatusCode::BAD_REQUEST, "{r:?}");

    let options = json!({"kubernetes": {"image": "standin.example/project:2", "cpu": "250m"}});
    let r = f.app.call(Method::PATCH, &path, Some(json!({"runtime_options": options}))).await?;
    assert!(r.status.is_success(), "{r:?}");
    assert_eq!(r.body["runtime_options"]["kubernetes"]["cpu"], "250m");
    assert_eq!(r.body["runtime_options"]["container"]["image"], serde_json::Value::Null);
    let id = id_of(&f.run("pod", "p").await?);
    f.wait_screen(&id, "Proceed?").await?;
    let job = standin.job_objects().pop().unwrap_or_default();
    let c = &job["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(c["image"], "standin.example/project:2");
    // The project's cpu, the [kubernetes] memory under it.
    assert_eq!(c["resources"]["limits"], json!({"cpu": "250m", "memory": "512Mi"}));
    f.app.post(&format!("/api/runs/{id}/input"), json!({"data": "y\r"})).await?;
    let run = f.wait_status(&id, "succeeded", Duration::from_secs(60)).await?;
    assert!(
        run["runtime_detail"].as_str().unwrap_or_default().starts_with("standin.example/project:2 · 0.25 CPUs · 512Mi")
    );
    Ok(())
}
