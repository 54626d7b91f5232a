//! A stand-in Kubernetes API server, written for the tests because no real API server can be installed on these
//! machines. It serves enough of the API — Jobs, Pods (list, get, watch), attach over WebSocket, events, Secrets,
//! bearer-token auth and RBAC-style refusals — to drive the real kube-rs client through viban's Kubernetes runtime.
//! A Job's pod is its container's command run as a local process in a PTY (kubelet.rs): the pod script takes its
//! paths (termination log, workspace, Secret mount) from variables, which the stand-in points into a temp dir.

mod kubelet;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tokio::sync::broadcast;

pub use kubelet::PodProcess;

const TOKEN: &str = "standin-token";

/// How the stand-in misbehaves, set by a test.
#[derive(Debug, Default, Clone)]
pub struct Behaviour {
    /// (verb, resource) refused with 403, e.g. ("create", "jobs").
    pub forbid: Option<(String, String)>,
    /// New pods stay Pending with this scheduler message.
    pub unschedulable: Option<String>,
    /// Images whose name contains this fail to pull.
    pub unpullable: Option<String>,
}

pub(crate) struct PodEntry {
    pub object: Value,
    pub process: Option<Arc<PodProcess>>,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub jobs: BTreeMap<(String, String), Value>,
    pub pods: BTreeMap<(String, String), PodEntry>,
    pub events: Vec<Value>,
    pub secrets: BTreeMap<(String, String), Value>,
    pub version: u64,
    pub behaviour: Behaviour,
}

pub(crate) struct Shared {
    pub inner: Mutex<Inner>,
    /// (namespace, event type, pod) for watchers.
    pub changes: broadcast::Sender<(String, &'static str, Value)>,
    /// Where pods live: `<dir>/<pod>/{workspace,secret,termination-log}`.
    pub dir: PathBuf,
    /// PATH of every pod process (where the agent's command is found).
    pub path: String,
}

impl Shared {
    pub(crate) fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn bump(&self) -> String {
        let mut inner = self.lock();
        inner.version += 1;
        inner.version.to_string()
    }
}

/// The running stand-in: its address and handles for the test to look at and change.
pub struct KubeStandin {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    _dir: tempfile::TempDir,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for KubeStandin {
    fn drop(&mut self) {
        self.task.abort();
        for entry in self.shared.lock().pods.values() {
            if let Some(p) = &entry.process {
                p.kill();
            }
        }
    }
}

impl KubeStandin {
    /// Listens on 127.0.0.1; pods run with `path` as their PATH.
    pub async fn start(path: &str) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir()?;
        let (changes, _) = broadcast::channel(256);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner::default()),
            changes,
            dir: dir.path().to_path_buf(),
            path: path.to_string(),
        });
        let app = Router::new()
            .route("/apis/batch/v1/namespaces/{ns}/jobs", get(list_jobs).post(create_job))
            .route("/apis/batch/v1/namespaces/{ns}/jobs/{name}", get(get_job).delete(delete_job))
            .route("/api/v1/namespaces/{ns}/pods", get(list_pods))
            .route("/api/v1/namespaces/{ns}/pods/{name}", get(get_pod))
            .route("/api/v1/namespaces/{ns}/pods/{name}/attach", get(kubelet::attach))
            .route("/api/v1/namespaces/{ns}/events", get(list_events))
            .route("/api/v1/namespaces/{ns}/secrets/{name}", get(get_secret))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self { addr, shared, _dir: dir, task })
    }

    /// A kubeconfig for this stand-in, with `namespace` as the context's.
    pub fn kubeconfig(&self, namespace: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: standin\n  cluster:\n    server: http://{}\nusers:\n- name: \
             viban\n  user:\n    token: {TOKEN}\ncontexts:\n- name: standin\n  context:\n    cluster: standin\n    user: \
             viban\n    namespace: {namespace}\ncurrent-context: standin\n",
            self.addr
        )
    }

    pub fn behave(&self, behaviour: Behaviour) {
        self.shared.lock().behaviour = behaviour;
    }

    /// A Secret with these string values.
    pub fn add_secret(&self, namespace: &str, name: &str, data: &[(&str, &str)]) {
        use base64::Engine as _;
        let data: serde_json::Map<String, Value> = data
            .iter()
            .map(|(k, v)| (k.to_string(), Value::String(base64::engine::general_purpose::STANDARD.encode(v))))
            .collect();
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": name, "namespace": namespace, "resourceVersion": "1"}, "data": data});
        self.shared.lock().secrets.insert((namespace.into(), name.into()), secret);
    }

    /// The Jobs that exist, as (namespace, name).
    pub fn jobs(&self) -> Vec<(String, String)> {
        self.shared.lock().jobs.keys().cloned().collect()
    }

    /// The Job objects as created by the client.
    pub fn job_objects(&self) -> Vec<Value> {
        self.shared.lock().jobs.values().cloned().collect()
    }

    /// How many pod processes are still running.
    pub fn running_processes(&self) -> usize {
        self.shared.lock().pods.values().filter_map(|p| p.process.as_ref()).filter(|p| p.alive()).count()
    }

    /// Evicts every running pod (the node ran short of memory).
    pub fn evict_all(&self) {
        for entry in self.shared.lock().pods.values() {
            if let Some(p) = &entry.process {
                p.evict();
            }
        }
    }
}

pub(crate) fn status(code: u16, reason: &str, message: &str) -> Response {
    let body = json!({"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code});
    (StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), axum::Json(body)).into_response()
}

/// Bearer token and the refusals the test asked for.
pub(crate) fn guard(shared: &Shared, headers: &HeaderMap, verb: &str, resource: &str, ns: &str) -> Option<Response> {
    let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if auth != format!("Bearer {TOKEN}") {
        return Some(status(401, "Unauthorized", "Unauthorized"));
    }
    let forbid = shared.lock().behaviour.forbid.clone();
    if forbid.is_some_and(|(v, r)| v == verb && r == resource) {
        let msg = format!(
            "{resource} is forbidden: User \"viban\" cannot {verb} resource \"{resource}\" in the namespace \"{ns}\""
        );
        return Some(status(403, "Forbidden", &msg));
    }
    None
}

fn matches(labels: Option<&Value>, selector: Option<&String>) -> bool {
    let Some(selector) = selector.filter(|s| !s.is_empty()) else { return true };
    selector.split(',').all(|term| match term.split_once('=') {
        Some((k, v)) => labels.and_then(|l| l.get(k)).and_then(Value::as_str) == Some(v),
        None => false,
    })
}

fn list(kind: &str, version: &str, items: Vec<Value>) -> Response {
    let api = if kind == "JobList" { "batch/v1" } else { "v1" };
    axum::Json(json!({"apiVersion": api, "kind": kind, "metadata": {"resourceVersion": version}, "items": items}))
        .into_response()
}

type Q = Query<BTreeMap<String, String>>;

async fn list_jobs(State(s): State<Arc<Shared>>, Path(ns): Path<String>, h: HeaderMap, Query(q): Q) -> Response {
    if let Some(r) = guard(&s, &h, "list", "jobs", &ns) {
        return r;
    }
    let inner = s.lock();
    let items = inner
        .jobs
        .iter()
        .filter(|((n, _), j)| *n == ns && matches(j.pointer("/metadata/labels"), q.get("labelSelector")))
        .map(|(_, j)| j.clone())
        .collect();
    list("JobList", &inner.version.to_string(), items)
}

async fn get_job(State(s): State<Arc<Shared>>, Path((ns, name)): Path<(String, String)>, h: HeaderMap) -> Response {
    if let Some(r) = guard(&s, &h, "get", "jobs", &ns) {
        return r;
    }
    match s.lock().jobs.get(&(ns, name.clone())) {
        Some(j) => axum::Json(j.clone()).into_response(),
        None => status(404, "NotFound", &format!("jobs.batch \"{name}\" not found")),
    }
}

async fn create_job(State(s): State<Arc<Shared>>, Path(ns): Path<String>, h: HeaderMap, body: String) -> Response {
    if let Some(r) = guard(&s, &h, "create", "jobs", &ns) {
        return r;
    }
    let Ok(job) = serde_json::from_str::<Value>(&body) else { return status(400, "BadRequest", "not JSON") };
    match create(&s, &ns, job) {
        Ok(job) => (StatusCode::CREATED, axum::Json(job)).into_response(),
        Err((code, v)) => status(code, "Invalid", &v),
    }
}

/// Stores the Job and makes its pod (started at once unless the behaviour holds it).
fn create(s: &Arc<Shared>, ns: &str, mut job: Value) -> Result<Value, (u16, String)> {
    let name = job.pointer("/metadata/name").and_then(Value::as_str).unwrap_or_default().to_string();
    if name.is_empty() || name.len() > 63 {
        return Err((422, format!("Job name {name:?} is invalid")));
    }
    if s.lock().jobs.contains_key(&(ns.to_string(), name.clone())) {
        return Err((409, format!("jobs.batch \"{name}\" already exists")));
    }
    let version = s.bump();
    job["metadata"]["namespace"] = json!(ns);
    job["metadata"]["uid"] = json!(format!("uid-{version}"));
    job["metadata"]["resourceVersion"] = json!(version);
    job["apiVersion"] = json!("batch/v1");
    job["kind"] = json!("Job");
    s.lock().jobs.insert((ns.to_string(), name.clone()), job.clone());
    kubelet::make_pod(s, ns, &name, &job);
    Ok(job)
}

async fn delete_job(State(s): State<Arc<Shared>>, Path((ns, name)): Path<(String, String)>, h: HeaderMap) -> Response {
    if let Some(r) = guard(&s, &h, "delete", "jobs", &ns) {
        return r;
    }
    let removed = s.lock().jobs.remove(&(ns.clone(), name.clone()));
    if removed.is_none() {
        return status(404, "NotFound", &format!("jobs.batch \"{name}\" not found"));
    }
    // Foreground propagation: the pods go first.
    let pods: Vec<PodEntry> = {
        let mut inner = s.lock();
        let keys: Vec<_> = inner
            .pods
            .iter()
            .filter(|((n, _), p)| *n == ns && p.object.pointer("/metadata/labels/job-name") == Some(&json!(name)))
            .map(|(k, _)| k.clone())
            .collect();
        keys.iter().filter_map(|k| inner.pods.remove(k)).collect()
    };
    for pod in pods {
        if let Some(p) = &pod.process {
            p.kill();
        }
        let _ = s.changes.send((ns.clone(), "DELETED", pod.object));
    }
    axum::Json(json!({"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Success"})).into_response()
}

async fn list_pods(State(s): State<Arc<Shared>>, Path(ns): Path<String>, h: HeaderMap, Query(q): Q) -> Response {
    let watching = q.get("watch").is_some_and(|w| w == "true" || w == "1");
    if let Some(r) = guard(&s, &h, if watching { "watch" } else { "list" }, "pods", &ns) {
        return r;
    }
    let selector = q.get("labelSelector").cloned();
    let current: Vec<Value> = {
        let inner = s.lock();
        inner
            .pods
            .iter()
            .filter(|((n, _), p)| *n == ns && matches(p.object.pointer("/metadata/labels"), selector.as_ref()))
            .map(|(_, p)| p.object.clone())
            .collect()
    };
    if !watching {
        return list("PodList", &s.lock().version.to_string(), current);
    }
    // Changes from here on; the current state first (the stand-in keeps no history to resume from).
    let mut changes = s.changes.subscribe();
    let secs = q.get("timeoutSeconds").and_then(|t| t.parse::<u64>().ok()).unwrap_or(290);
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<String, std::io::Error>>(64);
    tokio::spawn(async move {
        for pod in current {
            let _ = tx.send(Ok(format!("{}\n", json!({"type": "MODIFIED", "object": pod})))).await;
        }
        let until = tokio::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let change = tokio::select! {
                c = changes.recv() => c,
                () = tokio::time::sleep_until(until) => break,
            };
            match change {
                Ok((n, kind, pod)) if n == ns && matches(pod.pointer("/metadata/labels"), selector.as_ref()) => {
                    let line = format!("{}\n", json!({"type": kind, "object": pod}));
                    if tx.send(Ok(line)).await.is_err() {
                        break;
                    }
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => break,
            }
        }
    });
    let stream = tokio_stream_from(rx);
    Response::builder()
        .header("content-type", "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| status(500, "InternalError", "response"))
}

fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<String, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<String, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

async fn get_pod(State(s): State<Arc<Shared>>, Path((ns, name)): Path<(String, String)>, h: HeaderMap) -> Response {
    if let Some(r) = guard(&s, &h, "get", "pods", &ns) {
        return r;
    }
    match s.lock().pods.get(&(ns, name.clone())) {
        Some(p) => axum::Json(p.object.clone()).into_response(),
        None => status(404, "NotFound", &format!("pods \"{name}\" not found")),
    }
}

async fn list_events(State(s): State<Arc<Shared>>, Path(ns): Path<String>, h: HeaderMap, Query(q): Q) -> Response {
    if let Some(r) = guard(&s, &h, "list", "events", &ns) {
        return r;
    }
    let want = q.get("fieldSelector").and_then(|f| f.strip_prefix("involvedObject.name=")).map(str::to_string);
    let inner = s.lock();
    let items = inner
        .events
        .iter()
        .filter(|e| e.pointer("/metadata/namespace") == Some(&json!(ns)))
        .filter(|e| want.as_ref().is_none_or(|w| e.pointer("/involvedObject/name") == Some(&json!(w))))
        .cloned()
        .collect();
    list("EventList", &inner.version.to_string(), items)
}

async fn get_secret(State(s): State<Arc<Shared>>, Path((ns, name)): Path<(String, String)>, h: HeaderMap) -> Response {
    if let Some(r) = guard(&s, &h, "get", "secrets", &ns) {
        return r;
    }
    match s.lock().secrets.get(&(ns, name.clone())) {
        Some(v) => axum::Json(v.clone()).into_response(),
        None => status(404, "NotFound", &format!("secrets \"{name}\" not found")),
    }
}
