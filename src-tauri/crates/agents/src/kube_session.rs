//! A Kubernetes run from its Job's creation to its end: wait for the pod (naming what holds it: scheduling, the
//! image), attach to its TTY over the API's attach subresource, and relay it exactly like a local PTY — output
//! through the emulator to the store (`pty::read_loop`), keystrokes and resizes back — then read how the pod ended,
//! fetch the pushed branch into the local worktree and delete the Job.

use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures::{SinkExt, StreamExt, TryStreamExt};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, AttachParams, ListParams, PostParams, TerminalSize, WatchEvent, WatchParams};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

use crate::container::RUN_LABEL;
use crate::kubernetes::{AGENT_CONTAINER, Cluster, JobInput, delete_job};
use crate::live::LiveRun;
use crate::pipe::OutputPipe;
use crate::pty::{Exit, PtyControl};
use crate::runtimes::{Launch, OnCluster, PodLink, Session};
use crate::vt_feed::VtFeed;
use viban_core::RuntimeKind;

/// Keystroke writes waiting for the attach stream.
const INPUT_QUEUE: usize = 256;
/// How long the pod may take to report its end after its output closed.
const END_WAIT: Duration = Duration::from_secs(30);

/// Where the pushed branch comes back to.
struct FetchBack {
    pub worktree: PathBuf,
    pub remote_url: String,
    pub branch: String,
}

/// A started Kubernetes run: the same handles a local PTY gives, and the pod for the run's record.
struct Started {
    control: PtyControl,
    output: Arc<OutputPipe>,
    exit: oneshot::Receiver<Exit>,
    pod: String,
    node: String,
}

/// The `OnCluster` runtime's launch: the cluster, the project's remote and base commit, the Job, its attached pod.
pub(crate) async fn launch(on: &OnCluster, l: Launch<'_>) -> Result<Session, String> {
    let (db, run, spec) = (&l.runs.inner.db, l.run, &on.spec);
    let detail = format!("{} · {}", spec.image, spec.limits());
    db.set_run_runtime(run.id, RuntimeKind::Kubernetes.as_str(), &detail).await.map_err(|e| e.to_string())?;
    let worktree = PathBuf::from(&run.worktree_path);
    let (dir, remote) = (worktree.clone(), spec.remote.clone());
    let (remote_url, author) = tokio::task::spawn_blocking(move || {
        let url = viban_git::runner::text_ok(&dir, &["remote", "get-url", &remote]).map_err(|_| {
            format!(
                "the project has no remote {remote:?}: a Kubernetes run gets its code from the project's remote. \
                 Add one the cluster can reach and push the base commit"
            )
        })?;
        let get = |key: &str| viban_git::runner::text_ok(&dir, &["config", "--get", key]).ok();
        Ok::<_, String>((url, (get("user.name"), get("user.email"))))
    })
    .await
    .map_err(|e| e.to_string())??;
    let base = db.run_base_commit(run.id).await.map_err(|e| e.to_string())?;
    let cluster = Cluster::connect(&on.settings).await?;
    on.connected(cluster.clone());
    if let Some(secret) = &spec.git_secret {
        crate::kubernetes::check_secret(&cluster, secret).await?;
    }
    let home = crate::container::home_label(&l.runs.inner.data_dir);
    let job = crate::kubernetes::job(&JobInput {
        run: run.id,
        home: &home,
        spec,
        argv: &l.argv,
        env: &l.env,
        remote_url: &remote_url,
        base: &base,
        branch: &run.branch,
        setup: l.setup,
        author,
    });
    let back = FetchBack { worktree, remote_url, branch: run.branch.clone() };
    let started = start(&cluster, job, &l, spec.start_timeout, (back, on.link.clone())).await?;
    let detail = format!("{detail} · pod {} on {}", started.pod, started.node);
    db.set_run_runtime(run.id, RuntimeKind::Kubernetes.as_str(), &detail).await.map_err(|e| e.to_string())?;
    Ok(Session { control: started.control, output: started.output, exit: started.exit, pgid: None })
}

/// Creates the Job, waits for its pod, attaches. On any error the Job is deleted again.
async fn start(
    cluster: &Cluster,
    job: Job,
    l: &Launch<'_>,
    timeout: Duration,
    (back, link): (FetchBack, Arc<PodLink>),
) -> Result<Started, String> {
    let (run, live) = (l.run.id, l.live);
    let jobs: Api<Job> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    jobs.create(&PostParams::default(), &job).await.map_err(|e| cluster.explain("create", "jobs", &e))?;
    let name = crate::kubernetes::job_name(run);
    if l.runs.stop_requested(run) {
        // The stop came while the Job was being made: it found nothing to delete yet.
        delete_job(cluster, &name).await;
        return Err("stopped before it started".into());
    }
    note(live, &format!("job {name} created in namespace {}; waiting for its pod", cluster.namespace)).await;
    let started = async {
        let (pod, node) = wait_running(cluster, live, timeout).await?;
        note(live, &format!("pod {pod} running on {node}")).await;
        attach(cluster, live, &pod, (back, link)).await.map(|(control, output, exit)| Started {
            control,
            output,
            exit,
            pod,
            node,
        })
    };
    match started.await {
        Ok(s) => Ok(s),
        Err(e) => {
            delete_job(cluster, &name).await;
            Err(e)
        }
    }
}

/// One line of viban's own in the run's terminal and transcript.
async fn note(live: &LiveRun, text: &str) {
    let data = format!("\x1b[2mviban: {text}\x1b[0m\r\n");
    let offset = live.terminal.lock().unwrap_or_else(PoisonError::into_inner).offset();
    if live.transcript.write(offset, Instant::now(), Bytes::from(data.clone())).await.is_ok() {
        let _ = live.terminal.lock().unwrap_or_else(PoisonError::into_inner).process(data.as_bytes());
    }
}

/// What a pod's status says for a run that has not started yet.
enum PodState {
    Running { node: String },
    Waiting(Option<String>),
    Failed(String),
}

fn judge(pod: &Pod) -> PodState {
    let status = pod.status.clone().unwrap_or_default();
    let phase = status.phase.clone().unwrap_or_default();
    let agent = status.container_statuses.unwrap_or_default().into_iter().find(|c| c.name == AGENT_CONTAINER);
    if let Some(waiting) = agent.as_ref().and_then(|c| c.state.as_ref()).and_then(|s| s.waiting.as_ref()) {
        let (reason, message) =
            (waiting.reason.clone().unwrap_or_default(), waiting.message.clone().unwrap_or_default());
        if matches!(reason.as_str(), "ErrImagePull" | "ImagePullBackOff" | "InvalidImageName" | "ErrImageNeverPull") {
            let image = agent.as_ref().map(|c| c.image.clone()).unwrap_or_default();
            return PodState::Failed(format!(
                "the image {image} could not be pulled ({reason}: {message}). Check `image` in [kubernetes] and the \
                 cluster's access to its registry"
            ));
        }
        if matches!(reason.as_str(), "CreateContainerConfigError" | "CreateContainerError" | "RunContainerError") {
            return PodState::Failed(format!("the pod's container could not be created ({reason}: {message})"));
        }
    }
    match phase.as_str() {
        "Running" => {
            PodState::Running { node: pod.spec.as_ref().and_then(|s| s.node_name.clone()).unwrap_or_default() }
        }
        "Failed" | "Succeeded" => PodState::Failed(format!(
            "the pod ended before viban could attach to it ({}: {})",
            status.reason.unwrap_or_else(|| phase.clone()),
            status.message.unwrap_or_default()
        )),
        _ => {
            let unschedulable = status.conditions.unwrap_or_default().into_iter().find(|c| {
                c.type_ == "PodScheduled" && c.status == "False" && c.reason.as_deref() == Some("Unschedulable")
            });
            PodState::Waiting(unschedulable.map(|c| c.message.unwrap_or_else(|| "unschedulable".into())))
        }
    }
}

/// The scheduler's latest word on a pod (its FailedScheduling event), if there is one.
async fn scheduling_event(cluster: &Cluster, pod: &str) -> Option<String> {
    let events: Api<Event> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let list = events.list(&ListParams::default().fields(&format!("involvedObject.name={pod}"))).await.ok()?;
    list.items.into_iter().rfind(|e| e.reason.as_deref() == Some("FailedScheduling")).and_then(|e| e.message)
}

/// Until the run's pod runs: its name and node. Unschedulable pods are waited for (an autoscaler may add a node)
/// until the timeout, which then names the scheduler's event.
async fn wait_running(cluster: &Cluster, live: &LiveRun, timeout: Duration) -> Result<(String, String), String> {
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let selector = format!("{RUN_LABEL}={}", live.id);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut held: Option<(String, String)> = None;
    loop {
        let list = pods
            .list(&ListParams::default().labels(&selector))
            .await
            .map_err(|e| cluster.explain("list", "pods", &e))?;
        let version = list.metadata.resource_version.clone().unwrap_or_else(|| "0".into());
        let mut seen = list.items;
        let left = deadline.saturating_duration_since(tokio::time::Instant::now()).as_secs().clamp(1, 290) as u32;
        let mut stream = pods
            .watch(&WatchParams::default().labels(&selector).timeout(left), &version)
            .await
            .map_err(|e| cluster.explain("watch", "pods", &e))?
            .boxed();
        loop {
            for pod in seen.drain(..) {
                let name = pod.metadata.name.clone().unwrap_or_default();
                match judge(&pod) {
                    PodState::Running { node } => return Ok((name, node)),
                    PodState::Failed(why) => return Err(why),
                    PodState::Waiting(Some(why)) if held.as_ref().map(|h| &h.1) != Some(&why) => {
                        note(live, &format!("pod {name} is not scheduled yet: {why}")).await;
                        held = Some((name, why));
                    }
                    PodState::Waiting(_) => {}
                }
            }
            let event = tokio::select! {
                e = stream.try_next() => e,
                () = tokio::time::sleep_until(deadline) => {
                    return Err(match held {
                        Some((pod, why)) => {
                            let event = scheduling_event(cluster, &pod).await.unwrap_or(why);
                            format!("the pod could not be scheduled within {} s: {event}. Lower `cpu`/`memory` in \
                                     [kubernetes] or add capacity", timeout.as_secs())
                        }
                        None => format!("the pod did not start within {} s", timeout.as_secs()),
                    });
                }
            };
            match event {
                Ok(Some(WatchEvent::Added(p) | WatchEvent::Modified(p))) => seen.push(p),
                Ok(Some(WatchEvent::Deleted(_))) => return Err("the run's pod was deleted before it started".into()),
                // The watch ended or expired: list again.
                Ok(Some(WatchEvent::Error(_))) | Ok(None) | Err(_) => break,
                Ok(Some(WatchEvent::Bookmark(_))) => {}
            }
        }
    }
}

/// Output read from the attach stream, as a blocking reader for `pty::read_loop`.
struct ChannelReader {
    rx: mpsc::Receiver<Vec<u8>>,
    pending: Vec<u8>,
    at: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.at >= self.pending.len() {
            match self.rx.blocking_recv() {
                Some(data) => (self.pending, self.at) = (data, 0),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.pending.len() - self.at);
        buf[..n].copy_from_slice(&self.pending[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

type Handles = (PtyControl, Arc<OutputPipe>, oneshot::Receiver<Exit>);

/// Attaches to the pod's TTY and starts the relays; the exit comes once the pod ended and its branch is back.
async fn attach(
    cluster: &Cluster,
    live: &Arc<LiveRun>,
    pod: &str,
    (back, link): (FetchBack, Arc<PodLink>),
) -> Result<Handles, String> {
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let params = AttachParams::interactive_tty()
        .container(AGENT_CONTAINER)
        .max_stdin_buf_size(64 * 1024)
        .max_stdout_buf_size(64 * 1024);
    let mut attached = pods.attach(pod, &params).await.map_err(|e| cluster.explain("attach to", "pods", &e))?;
    let (Some(mut stdin), Some(mut stdout), Some(mut sizes)) =
        (attached.stdin(), attached.stdout(), attached.terminal_size())
    else {
        return Err("the pod's attach stream has no terminal".into());
    };
    let (cols, rows) = live.terminal.lock().unwrap_or_else(PoisonError::into_inner).size();
    let _ = sizes.send(TerminalSize { width: cols, height: rows }).await;
    // The pod's script waits for this line before it starts: nothing it prints is missed.
    stdin.write_all(b"\n").await.map_err(|e| format!("writing to the pod's terminal failed: {e}"))?;

    let (input_tx, input_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(INPUT_QUEUE);
    let (to_pod, mut for_pod) = mpsc::channel::<Vec<u8>>(INPUT_QUEUE);
    let (resize_tx, mut resizes) = mpsc::unbounded_channel::<(u16, u16)>();
    let (out_tx, out_rx) = mpsc::channel::<Vec<u8>>(16);
    let start_offset = live.terminal.lock().unwrap_or_else(PoisonError::into_inner).offset();
    let output = Arc::new(OutputPipe::new(start_offset));
    let spawn_err = |e: std::io::Error| format!("could not start the terminal relay: {e}");
    let feed = VtFeed::start(live.terminal.clone(), input_tx.clone(), 0).map_err(spawn_err)?;
    let out = output.clone();
    let reader = ChannelReader { rx: out_rx, pending: Vec::new(), at: 0 };
    std::thread::Builder::new()
        .name("kube-read".into())
        .spawn(move || crate::pty::read_loop(Box::new(reader), feed, &out))
        .map_err(spawn_err)?;
    std::thread::Builder::new()
        .name("kube-input".into())
        .spawn(move || {
            while let Ok(bytes) = input_rx.recv() {
                if to_pod.blocking_send(bytes).is_err() {
                    break;
                }
            }
        })
        .map_err(spawn_err)?;
    tokio::spawn(async move {
        while let Some(bytes) = for_pod.recv().await {
            if stdin.write_all(&bytes).await.and(stdin.flush().await).is_err() {
                break;
            }
        }
    });
    tokio::spawn(async move {
        while let Some((width, height)) = resizes.recv().await {
            if sizes.send(TerminalSize { width, height }).await.is_err() {
                break;
            }
        }
    });
    let reading = tokio::spawn(async move {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = stdout.read(&mut buf).await {
            if n == 0 || out_tx.send(buf[..n].to_vec()).await.is_err() {
                break;
            }
        }
    });
    let (exit_tx, exit_rx) = oneshot::channel();
    let (cluster, pod, run) = (cluster.clone(), pod.to_string(), live.id);
    let control = PtyControl::remote(input_tx, resize_tx, live.terminal.clone());
    let _ = link.control.set(control.clone());
    tokio::spawn(async move {
        let _ = reading.await;
        drop(attached);
        let exit = ended(&cluster, &pod, &back).await;
        link.ended.send_replace(true);
        delete_job(&cluster, &crate::kubernetes::job_name(run)).await;
        let _ = exit_tx.send(exit);
    });
    Ok((control, output, exit_rx))
}

/// How the pod ended, once its output closed; the branch it pushed is fetched into the local worktree.
async fn ended(cluster: &Cluster, pod: &str, back: &FetchBack) -> Exit {
    let pods: Api<Pod> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let deadline = Instant::now() + END_WAIT;
    let gone = Exit { code: None, signal: Some("pod deleted".into()), reason: None };
    let terminated = loop {
        let p = match pods.get(pod).await {
            Ok(p) => p,
            Err(kube::Error::Api(s)) if s.code == 404 => return gone,
            Err(e) if Instant::now() > deadline => {
                return Exit { reason: Some(cluster.explain("get", "pods", &e)), ..gone };
            }
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(250)).await;
                continue;
            }
        };
        let status = p.status.clone().unwrap_or_default();
        if status.reason.as_deref() == Some("Evicted") {
            let why = format!("the pod was evicted: {}", status.message.unwrap_or_default());
            return Exit { code: None, signal: None, reason: Some(why) };
        }
        let agent = status.container_statuses.unwrap_or_default().into_iter().find(|c| c.name == AGENT_CONTAINER);
        if let Some(t) = agent.and_then(|c| c.state).and_then(|s| s.terminated) {
            break t;
        }
        if Instant::now() > deadline {
            return Exit { reason: Some("the pod's output ended but it did not report an exit".into()), ..gone };
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let message = terminated.message.unwrap_or_default();
    let mut reason = message.strip_prefix("viban: ").map(str::to_string);
    if reason.is_none() && terminated.reason.as_deref() == Some("OOMKilled") {
        reason = Some("the agent ran out of memory in its pod (its memory limit was reached)".into());
    }
    if reason.is_none() {
        // The script pushed the branch: bring it into the worktree so the diff and review work here.
        let (dir, url, branch) = (back.worktree.clone(), back.remote_url.clone(), back.branch.clone());
        let fetched = tokio::task::spawn_blocking(move || {
            viban_git::runner::run_ok(&dir, &["fetch", "-q", &url, &format!("refs/heads/{branch}")])?;
            viban_git::runner::run_ok(&dir, &["merge", "-q", "--ff-only", "FETCH_HEAD"])
        })
        .await;
        match fetched {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => reason = Some(format!("the run's branch could not be brought back from the remote: {e}")),
            Err(e) => reason = Some(format!("fetching the run's branch failed: {e}")),
        }
    }
    Exit { code: Some(terminated.exit_code), signal: None, reason }
}
