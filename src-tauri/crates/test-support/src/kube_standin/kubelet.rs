//! The stand-in's kubelet: a Job's pod is its container's command, run as a local process in a PTY with the
//! container's environment; its status moves Pending → Running → Succeeded/Failed as a real pod's does, and its TTY
//! is served over the attach subresource (WebSocket, channel protocol v4: 0 stdin, 1 stdout, 3 status, 4 resize).

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use portable_pty::{CommandBuilder, MasterPty, PtySize, native_pty_system};
use serde_json::{Value, json};

use super::{PodEntry, Shared, guard, status};

const NODE: &str = "standin-node-1";

/// A pod's process: its PTY, the output not yet sent to an attached client, and whether it still runs.
pub struct PodProcess {
    pid: i32,
    writer: Mutex<Box<dyn Write + Send>>,
    master: Mutex<Box<dyn MasterPty + Send>>,
    output: Mutex<(VecDeque<Vec<u8>>, bool)>,
    more: tokio::sync::Notify,
    running: AtomicBool,
    /// Ended by an eviction (the node ran short), not by its own exit.
    evicted: AtomicBool,
}

impl PodProcess {
    pub fn alive(&self) -> bool {
        self.running.load(Ordering::SeqCst)
    }

    /// The node evicts the pod: its process is killed and the pod reports `Evicted`.
    pub fn evict(&self) {
        self.evicted.store(true, Ordering::SeqCst);
        self.kill();
    }

    /// SIGKILL to the pod's process group (its PTY session).
    pub fn kill(&self) {
        if self.pid > 0 {
            let _ = nix::sys::signal::killpg(nix::unistd::Pid::from_raw(self.pid), nix::sys::signal::Signal::SIGKILL);
        }
    }

    fn push(&self, data: Option<&[u8]>) {
        let mut o = self.output.lock().unwrap_or_else(PoisonError::into_inner);
        match data {
            Some(d) => o.0.push_back(d.to_vec()),
            None => o.1 = true,
        }
        drop(o);
        self.more.notify_one();
    }

    /// Output waiting to be sent; None once the PTY closed and everything was taken.
    async fn next(&self) -> Option<Vec<u8>> {
        loop {
            let notified = self.more.notified();
            {
                let mut o = self.output.lock().unwrap_or_else(PoisonError::into_inner);
                if !o.0.is_empty() {
                    return Some(o.0.drain(..).flatten().collect());
                }
                if o.1 {
                    return None;
                }
            }
            notified.await;
        }
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn container_status(image: &str, state: Value) -> Value {
    json!([{"name": "agent", "image": image, "imageID": "", "ready": state.get("running").is_some(),
        "restartCount": 0, "state": state}])
}

/// Sets a pod's status and tells the watchers.
fn set_status(shared: &Shared, ns: &str, pod: &str, status: Value, node: Option<&str>) {
    let version = shared.bump();
    let object = {
        let mut inner = shared.lock();
        let Some(entry) = inner.pods.get_mut(&(ns.to_string(), pod.to_string())) else { return };
        entry.object["status"] = status;
        entry.object["metadata"]["resourceVersion"] = json!(version);
        if let Some(n) = node {
            entry.object["spec"]["nodeName"] = json!(n);
        }
        entry.object.clone()
    };
    let _ = shared.changes.send((ns.to_string(), "MODIFIED", object));
}

/// The Job's pod: Pending first; then held (unschedulable, image pull) or started.
pub(crate) fn make_pod(shared: &Arc<Shared>, ns: &str, job_name: &str, job: &Value) {
    let template = job.pointer("/spec/template").cloned().unwrap_or_default();
    let version = shared.bump();
    let pod_name = format!("{job_name}-{}", &format!("{version:0>5}")[..5]);
    let mut labels = template.pointer("/metadata/labels").cloned().unwrap_or(json!({}));
    labels["job-name"] = json!(job_name);
    let container = template.pointer("/spec/containers/0").cloned().unwrap_or_default();
    let image = container.get("image").and_then(Value::as_str).unwrap_or_default().to_string();
    let pod = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": pod_name, "namespace": ns, "labels": labels, "resourceVersion": version,
            "uid": format!("pod-{version}")},
        "spec": template.get("spec").cloned().unwrap_or_default(),
        "status": {"phase": "Pending"}});
    shared.lock().pods.insert((ns.into(), pod_name.clone()), PodEntry { object: pod.clone(), process: None });
    let _ = shared.changes.send((ns.to_string(), "ADDED", pod));
    let behaviour = shared.lock().behaviour.clone();
    if let Some(message) = behaviour.unschedulable {
        let cond = json!([{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": message}]);
        set_status(shared, ns, &pod_name, json!({"phase": "Pending", "conditions": cond}), None);
        let event = json!({"apiVersion": "v1", "kind": "Event", "type": "Warning", "reason": "FailedScheduling",
            "message": message, "metadata": {"name": format!("{pod_name}.1"), "namespace": ns},
            "involvedObject": {"kind": "Pod", "name": pod_name, "namespace": ns}});
        shared.lock().events.push(event);
        return;
    }
    if behaviour.unpullable.is_some_and(|u| image.contains(&u)) {
        let waiting = json!({"waiting": {"reason": "ErrImagePull",
            "message": format!("failed to pull image \"{image}\": manifest unknown")}});
        let status = json!({"phase": "Pending", "containerStatuses": container_status(&image, waiting)});
        set_status(shared, ns, &pod_name, status, Some(NODE));
        return;
    }
    let volumes = template.pointer("/spec/volumes").cloned().unwrap_or_default();
    match spawn(shared, ns, &pod_name, &container, &volumes) {
        Ok(process) => {
            if let Some(entry) = shared.lock().pods.get_mut(&(ns.to_string(), pod_name.clone())) {
                entry.process = Some(process);
            }
            let running = json!({"running": {"startedAt": now()}});
            let status = json!({"phase": "Running", "containerStatuses": container_status(&image, running)});
            set_status(shared, ns, &pod_name, status, Some(NODE));
        }
        Err(e) => {
            let waiting = json!({"waiting": {"reason": "RunContainerError", "message": e.to_string()}});
            let status = json!({"phase": "Pending", "containerStatuses": container_status(&image, waiting)});
            set_status(shared, ns, &pod_name, status, Some(NODE));
        }
    }
}

/// Runs the container's command in a PTY, with the pod script's paths in `<dir>/<pod>`.
fn spawn(
    shared: &Arc<Shared>,
    ns: &str,
    pod: &str,
    container: &Value,
    volumes: &Value,
) -> anyhow::Result<Arc<PodProcess>> {
    let root = shared.dir.join(pod);
    let (work, secret) = (root.join("workspace"), root.join("secret"));
    std::fs::create_dir_all(&work)?;
    std::fs::create_dir_all(&secret)?;
    std::fs::create_dir_all(root.join("home"))?;
    materialise_secret(shared, ns, volumes, &secret)?;
    let argv: Vec<String> = container
        .get("command")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .chain(container.get("args").and_then(Value::as_array).into_iter().flatten())
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    anyhow::ensure!(!argv.is_empty(), "the container has no command");
    let pair = native_pty_system()
        .openpty(PtySize { rows: 24, cols: 80, pixel_width: 0, pixel_height: 0 })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut cmd = CommandBuilder::from_argv(argv.iter().map(Into::into).collect());
    cmd.env_clear();
    for e in container.get("env").and_then(Value::as_array).into_iter().flatten() {
        if let (Some(k), Some(v)) = (e.get("name").and_then(Value::as_str), e.get("value").and_then(Value::as_str)) {
            // A real pod's processes are not on viban's machine, where its stop ladder looks for the run's marker;
            // these are, so the marker's value is changed to keep the ladder from finding them.
            let v = if k == "VIBAN_RUN_ID" { format!("pod-{v}") } else { v.to_string() };
            cmd.env(k, v);
        }
    }
    cmd.env("PATH", &shared.path);
    cmd.env("HOME", root.join("home"));
    cmd.env("VIBAN_TERMINATION_LOG", root.join("termination-log"));
    cmd.env("VIBAN_WORKDIR", &work);
    cmd.env("VIBAN_GIT_SECRET_DIR", &secret);
    cmd.cwd(&work);
    let mut child = pair.slave.spawn_command(cmd).map_err(|e| anyhow::anyhow!("{e}"))?;
    drop(pair.slave);
    let mut reader = pair.master.try_clone_reader().map_err(|e| anyhow::anyhow!("{e}"))?;
    let writer = pair.master.take_writer().map_err(|e| anyhow::anyhow!("{e}"))?;
    let process = Arc::new(PodProcess {
        pid: child.process_id().map(|p| p as i32).unwrap_or(-1),
        writer: Mutex::new(writer),
        master: Mutex::new(pair.master),
        output: Mutex::new((VecDeque::new(), false)),
        more: tokio::sync::Notify::new(),
        running: AtomicBool::new(true),
        evicted: AtomicBool::new(false),
    });
    let p = process.clone();
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            p.push(Some(&buf[..n]));
        }
        p.push(None);
    });
    let (p, shared, ns, pod) = (process.clone(), shared.clone(), ns.to_string(), pod.to_string());
    let image = container.get("image").and_then(Value::as_str).unwrap_or_default().to_string();
    std::thread::spawn(move || {
        let code = child.wait().map(|s| if s.signal().is_some() { 137 } else { s.exit_code() as i32 }).unwrap_or(-1);
        p.running.store(false, Ordering::SeqCst);
        let message = std::fs::read_to_string(root.join("termination-log")).unwrap_or_default();
        let terminated = json!({"terminated": {"exitCode": code, "reason": if code == 0 { "Completed" } else { "Error" },
            "message": message, "startedAt": now(), "finishedAt": now()}});
        let phase = if code == 0 { "Succeeded" } else { "Failed" };
        let mut status = json!({"phase": phase, "containerStatuses": container_status(&image, terminated)});
        if p.evicted.load(Ordering::SeqCst) {
            status["reason"] = json!("Evicted");
            status["message"] = json!("The node was low on resource: memory.");
        }
        set_status(&shared, &ns, &pod, status, None);
    });
    Ok(process)
}

/// The Secret volume's files, as the kubelet would mount them.
fn materialise_secret(shared: &Shared, ns: &str, volumes: &Value, dir: &std::path::Path) -> anyhow::Result<()> {
    use base64::Engine as _;
    let inner = shared.lock();
    let wanted = volumes.as_array().into_iter().flatten().filter_map(|v| v.pointer("/secret/secretName"));
    for name in wanted.filter_map(Value::as_str).map(str::to_string) {
        let Some(secret) = inner.secrets.get(&(ns.to_string(), name)) else { continue };
        for (k, v) in secret.get("data").and_then(Value::as_object).into_iter().flatten() {
            let bytes = base64::engine::general_purpose::STANDARD.decode(v.as_str().unwrap_or_default())?;
            std::fs::write(dir.join(k), bytes)?;
        }
    }
    Ok(())
}

pub(crate) async fn attach(
    State(s): State<Arc<Shared>>,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    if let Some(r) = guard(&s, &headers, "create", "pods/attach", &ns) {
        return r;
    }
    let process = s.lock().pods.get(&(ns, name.clone())).and_then(|p| p.process.clone());
    let Some(process) = process else {
        return status(400, "BadRequest", &format!("pod {name} has no running container to attach to"));
    };
    ws.protocols(["v4.channel.k8s.io"]).on_upgrade(move |socket| relay(socket, process)).into_response()
}

/// stdout → client until the PTY closes, then the status; client stdin and resizes → the PTY.
async fn relay(socket: WebSocket, process: Arc<PodProcess>) {
    let (mut tx, mut rx) = socket.split();
    let p = process.clone();
    let inbound = tokio::spawn(async move {
        while let Some(Ok(msg)) = rx.next().await {
            let Message::Binary(data) = msg else { continue };
            match data.first() {
                Some(0) => {
                    let mut w = p.writer.lock().unwrap_or_else(PoisonError::into_inner);
                    let _ = w.write_all(&data[1..]).and_then(|()| w.flush());
                }
                Some(4) => {
                    let size: Value = serde_json::from_slice(&data[1..]).unwrap_or_default();
                    let (cols, rows) = (size["Width"].as_u64().unwrap_or(80), size["Height"].as_u64().unwrap_or(24));
                    let size = PtySize { rows: rows as u16, cols: cols as u16, pixel_width: 0, pixel_height: 0 };
                    let _ = p.master.lock().unwrap_or_else(PoisonError::into_inner).resize(size);
                }
                _ => {}
            }
        }
    });
    while let Some(data) = process.next().await {
        let mut frame = Vec::with_capacity(data.len() + 1);
        frame.push(1u8);
        frame.extend_from_slice(&data);
        if tx.send(Message::Binary(frame.into())).await.is_err() {
            break;
        }
    }
    let mut frame = vec![3u8];
    frame.extend_from_slice(json!({"metadata": {}, "status": "Success"}).to_string().as_bytes());
    let _ = tx.send(Message::Binary(frame.into())).await;
    let _ = tx.send(Message::Close(None)).await;
    inbound.abort();
}
