//! The Kubernetes runtime: a run is a Job on the user's cluster. Its pod gets the repository at the run's base
//! commit from the project's remote (credentials from a named Secret; no host paths), runs the agent with a TTY and
//! stdin, and pushes the run's branch back when it ends; viban attaches to the pod's TTY (kube_session.rs), stores the
//! transcript like any run's, and fetches the branch into the local worktree so review works. Jobs carry the run's
//! label: a stop deletes the Job (foreground), and the next start deletes the Jobs of runs that died with viban.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::batch::v1::{Job, JobSpec};
use k8s_openapi::api::core::v1::{
    Container, EnvVar, PodSpec, PodTemplateSpec, ResourceRequirements, SecretVolumeSource, Volume, VolumeMount,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, ListParams};
use kube::{Client, Config};
use serde::Deserialize;
use uuid::Uuid;

use crate::container::{HOME_LABEL, RUN_LABEL};

/// The container in the pod that runs the agent.
pub const AGENT_CONTAINER: &str = "agent";
/// Where the pod finds the git credentials Secret.
const SECRET_DIR: &str = "/var/run/viban/git";

/// The pod's entrypoint: waits for viban to attach (so no output is missed), gets the code at the base commit,
/// runs the agent, commits what it left, pushes the branch. Its own failures go to the termination log, which the
/// pod's status carries back as the run's error. Paths are variables so a stand-in kubelet can run it on a host.
pub const POD_SCRIPT: &str = r#"set -u
log="${VIBAN_TERMINATION_LOG:-/dev/termination-log}"
fail() { printf '\r\nviban: %s\r\n' "$1"; printf 'viban: %s' "$1" > "$log" 2>/dev/null; exit "$2"; }
stty -echo 2>/dev/null; IFS= read -r _go || true; stty echo 2>/dev/null
secret="${VIBAN_GIT_SECRET_DIR:-/var/run/viban/git}"
if [ -f "$secret/.git-credentials" ]; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=credential.helper GIT_CONFIG_VALUE_0="store --file=$secret/.git-credentials"
fi
if [ -f "$secret/ssh-privatekey" ]; then
  export GIT_SSH_COMMAND="ssh -i $secret/ssh-privatekey -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/tmp/viban-known-hosts"
fi
export GIT_TERMINAL_PROMPT=0
work="${VIBAN_WORKDIR:-/workspace}/repo"
printf '\033[2mviban: getting %s at %s\033[0m\r\n' "$VIBAN_REMOTE" "$VIBAN_BASE"
mkdir -p "$work" && cd "$work" || fail "cannot create $work in the pod" 90
git init -q . && git remote add origin "$VIBAN_REMOTE" || fail "git is missing or failed in the image" 90
if ! git fetch -q origin "$VIBAN_BASE" 2>/tmp/viban-fetch.err; then
  git fetch -q origin 2>/tmp/viban-fetch.err || fail "the pod cannot fetch $VIBAN_REMOTE: $(tail -n 2 /tmp/viban-fetch.err | tr '\n' ' ')" 90
fi
git -c advice.detachedHead=false checkout -q -b "$VIBAN_BRANCH" "$VIBAN_BASE" 2>/dev/null \
  || fail "commit $VIBAN_BASE is not on $VIBAN_REMOTE: push it, then start the run again" 91
if [ -n "${VIBAN_SETUP:-}" ]; then sh -c "$VIBAN_SETUP" || fail "the project's setup script failed in the pod" 92; fi
# A stop is a Ctrl-C on the TTY: it ends the agent, and this script still commits and pushes its work.
trap 'true' INT
"$@"
code=$?
git add -A
if ! git diff --cached --quiet; then
  git -c user.name="${VIBAN_GIT_NAME:-viban}" -c user.email="${VIBAN_GIT_EMAIL:-viban@localhost}" commit -q -m "viban: work of run $VIBAN_RUN_ID" \
    || fail "committing the agent's changes failed" 93
fi
git push -q origin "HEAD:refs/heads/$VIBAN_BRANCH" 2>/tmp/viban-push.err \
  || fail "the remote rejected the push of $VIBAN_BRANCH: $(tail -n 5 /tmp/viban-push.err | tr '\n' ' ')" 93
exit "$code"
"#;

/// A profile's `[agents.<id>.kubernetes]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KubeDef {
    /// The image the agent runs in (it must hold the agent's command, `sh` and `git`).
    pub image: Option<String>,
    /// CPU request and limit, as Kubernetes writes it (`2`, `500m`).
    pub cpu: Option<String>,
    /// Memory request and limit (`4Gi`).
    pub memory: Option<String>,
}

impl KubeDef {
    pub fn overlay(self, over: KubeDef) -> KubeDef {
        KubeDef { image: over.image.or(self.image), cpu: over.cpu.or(self.cpu), memory: over.memory.or(self.memory) }
    }
}

impl From<&viban_core::KubernetesOptions> for KubeDef {
    fn from(o: &viban_core::KubernetesOptions) -> Self {
        Self { image: o.image.clone(), cpu: o.cpu.clone(), memory: o.memory.clone() }
    }
}

/// `[kubernetes]` in agents.toml: the cluster, namespace and the defaults every Kubernetes profile starts from.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KubeSettings {
    /// A kubeconfig file (`~/` is the user's home). Default: `KUBECONFIG`, `~/.kube/config`, then in-cluster.
    pub kubeconfig: Option<String>,
    /// The kubeconfig context (default: its current one).
    pub context: Option<String>,
    /// Default: the context's namespace, else `default`.
    pub namespace: Option<String>,
    /// The pods' service account (see installers/kubernetes/rbac.yaml).
    pub service_account: Option<String>,
    /// A Secret with `.git-credentials` and/or `ssh-privatekey`, mounted read-only for the pod's git.
    pub git_secret: Option<String>,
    /// The project's remote the pod clones and pushes (default `origin`).
    pub remote: Option<String>,
    /// How long a pod may take to start (scheduling, image pull) before the run fails. Default 300.
    pub start_timeout_secs: Option<u64>,
    #[serde(flatten)]
    pub defaults: KubeDef,
}

/// What a Kubernetes run gets, every default applied.
#[derive(Debug, Clone, PartialEq)]
pub struct KubeSpec {
    pub image: String,
    pub cpu: String,
    pub memory: String,
    pub service_account: Option<String>,
    pub git_secret: Option<String>,
    pub remote: String,
    pub start_timeout: Duration,
}

impl KubeSpec {
    pub const DEFAULT_CPU: &str = "2";
    pub const DEFAULT_MEMORY: &str = "4Gi";

    pub fn resolve(profile: &str, def: &KubeDef, settings: &KubeSettings) -> Result<Self, String> {
        let def = settings.defaults.clone().overlay(def.clone());
        let image = def.image.filter(|i| !i.trim().is_empty()).ok_or_else(|| {
            format!("profile {profile:?} runs on Kubernetes but names no image: set `image` in [kubernetes]")
        })?;
        let quantity = |v: Option<String>, default: &str, what: &str| -> Result<String, String> {
            let v = v.unwrap_or_else(|| default.into());
            let ok = !v.is_empty()
                && v.len() <= 32
                && v.chars().next().is_some_and(|c| c.is_ascii_digit())
                && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '.');
            if ok { Ok(v) } else { Err(format!("profile {profile:?}: {what} {v:?} is not a Kubernetes quantity")) }
        };
        Ok(Self {
            image,
            cpu: quantity(def.cpu, Self::DEFAULT_CPU, "cpu")?,
            memory: quantity(def.memory, Self::DEFAULT_MEMORY, "memory")?,
            service_account: settings.service_account.clone().filter(|s| !s.is_empty()),
            git_secret: settings.git_secret.clone().filter(|s| !s.is_empty()),
            remote: settings.remote.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "origin".into()),
            start_timeout: Duration::from_secs(settings.start_timeout_secs.unwrap_or(300).clamp(5, 3600)),
        })
    }

    /// For the card and the run: "2 CPUs · 4Gi" (millicores as a fraction: "250m" is "0.25 CPUs").
    pub fn limits(&self) -> String {
        let cpus = match self.cpu.strip_suffix('m').and_then(|m| m.parse::<f64>().ok()) {
            Some(milli) => (milli / 1000.0).to_string(),
            None => self.cpu.clone(),
        };
        format!("{cpus} CPU{} · {}", if cpus == "1" { "" } else { "s" }, self.memory)
    }
}

/// A connected cluster: the client and the namespace runs go to.
#[derive(Clone)]
pub struct Cluster {
    pub client: Client,
    pub namespace: String,
    /// For messages: the API server's address.
    pub server: String,
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), std::env::var_os("HOME")) {
        (Some(rest), Some(home)) => PathBuf::from(home).join(rest),
        _ => PathBuf::from(path),
    }
}

impl Cluster {
    /// The cluster from the settings' kubeconfig, else the usual places, else in-cluster config.
    pub async fn connect(settings: &KubeSettings) -> Result<Self, String> {
        let options = kube::config::KubeConfigOptions { context: settings.context.clone(), ..Default::default() };
        let config = match &settings.kubeconfig {
            Some(path) => {
                let path = expand_home(path);
                let file = kube::config::Kubeconfig::read_from(&path).map_err(|e| {
                    format!("cannot read the kubeconfig {}: {e}. Fix `kubeconfig` in [kubernetes]", path.display())
                })?;
                Config::from_custom_kubeconfig(file, &options)
                    .await
                    .map_err(|e| format!("the kubeconfig {} cannot be used: {e}", path.display()))?
            }
            None if settings.context.is_some() => Config::from_kubeconfig(&options).await.map_err(|e| {
                format!("no usable kubeconfig for context {:?}: {e}", settings.context.as_deref().unwrap_or(""))
            })?,
            None => Config::infer().await.map_err(|e| {
                format!(
                    "no Kubernetes cluster is configured: no kubeconfig (KUBECONFIG, ~/.kube/config) and not running \
                     in a cluster ({e}). Set `kubeconfig` in [kubernetes]"
                )
            })?,
        };
        let namespace =
            settings.namespace.clone().filter(|n| !n.is_empty()).unwrap_or(config.default_namespace.clone());
        let server = config.cluster_url.to_string();
        let client = Client::try_from(config).map_err(|e| format!("cannot make a Kubernetes client: {e}"))?;
        Ok(Self { client, namespace, server })
    }

    /// An API error in words: who refused what, and the fix.
    pub fn explain(&self, verb: &str, resource: &str, e: &kube::Error) -> String {
        match e {
            kube::Error::Api(s) if s.code == 403 => format!(
                "Kubernetes forbids this: cannot {verb} {resource} in namespace {:?} ({}). Apply \
                 installers/kubernetes/rbac.yaml for viban's user or service account",
                self.namespace, s.message
            ),
            kube::Error::Api(s) if s.code == 401 => {
                format!("the cluster at {} refused viban's credentials: {}", self.server, s.message)
            }
            kube::Error::Api(s) if s.code == 404 && resource == "jobs" => {
                format!("namespace {:?} does not exist on the cluster: {}", self.namespace, s.message)
            }
            kube::Error::Api(s) => format!("Kubernetes refused to {verb} {resource}: {}", s.message),
            kube::Error::HyperError(_) | kube::Error::Service(_) => {
                format!("cannot reach the Kubernetes API server at {}: {e}", self.server)
            }
            other => format!("{verb} {resource} failed: {other}"),
        }
    }
}

/// What the Job is made from.
pub struct JobInput<'a> {
    pub run: Uuid,
    pub home: &'a str,
    pub spec: &'a KubeSpec,
    pub argv: &'a [String],
    pub env: &'a [(String, String)],
    pub remote_url: &'a str,
    pub base: &'a str,
    pub branch: &'a str,
    pub setup: &'a str,
    pub author: (Option<String>, Option<String>),
}

pub fn job_name(run: Uuid) -> String {
    format!("viban-run-{run}")
}

fn env_var(name: &str, value: &str) -> EnvVar {
    EnvVar { name: name.into(), value: Some(value.into()), ..Default::default() }
}

/// The Job of a run: one pod, never restarted, with the agent's TTY and stdin open for viban's attach.
pub fn job(input: &JobInput<'_>) -> Job {
    let labels = BTreeMap::from([(RUN_LABEL.into(), input.run.to_string()), (HOME_LABEL.into(), input.home.into())]);
    let mut env: Vec<EnvVar> = input.env.iter().filter(|(k, _)| k != "PATH").map(|(k, v)| env_var(k, v)).collect();
    env.extend([
        env_var("TERM", "xterm-256color"),
        env_var("COLORTERM", "truecolor"),
        env_var("VIBAN_REMOTE", input.remote_url),
        env_var("VIBAN_BASE", input.base),
        env_var("VIBAN_BRANCH", input.branch),
        env_var("VIBAN_SETUP", input.setup),
    ]);
    if let Some(name) = &input.author.0 {
        env.push(env_var("VIBAN_GIT_NAME", name));
    }
    if let Some(email) = &input.author.1 {
        env.push(env_var("VIBAN_GIT_EMAIL", email));
    }
    let quantities = BTreeMap::from([
        ("cpu".to_string(), Quantity(input.spec.cpu.clone())),
        ("memory".to_string(), Quantity(input.spec.memory.clone())),
    ]);
    let mut command = vec!["/bin/sh".to_string(), "-c".into(), POD_SCRIPT.into(), "viban-run".into()];
    command.extend(input.argv.iter().cloned());
    let (volumes, mounts) = match &input.spec.git_secret {
        Some(secret) => (
            Some(vec![Volume {
                name: "git".into(),
                secret: Some(SecretVolumeSource {
                    secret_name: Some(secret.clone()),
                    default_mode: Some(0o400),
                    ..Default::default()
                }),
                ..Default::default()
            }]),
            Some(vec![VolumeMount {
                name: "git".into(),
                mount_path: SECRET_DIR.into(),
                read_only: Some(true),
                ..Default::default()
            }]),
        ),
        None => (None, None),
    };
    let container = Container {
        name: AGENT_CONTAINER.into(),
        image: Some(input.spec.image.clone()),
        command: Some(command),
        env: Some(env),
        stdin: Some(true),
        tty: Some(true),
        working_dir: Some("/workspace".into()),
        resources: Some(ResourceRequirements {
            limits: Some(quantities.clone()),
            requests: Some(quantities),
            ..Default::default()
        }),
        volume_mounts: mounts,
        ..Default::default()
    };
    let scratch = Volume { name: "workspace".into(), empty_dir: Some(Default::default()), ..Default::default() };
    let mut container = container;
    container.volume_mounts.get_or_insert_with(Vec::new).push(VolumeMount {
        name: "workspace".into(),
        mount_path: "/workspace".into(),
        ..Default::default()
    });
    let mut volumes = volumes.unwrap_or_default();
    volumes.push(scratch);
    Job {
        metadata: ObjectMeta { name: Some(job_name(input.run)), labels: Some(labels.clone()), ..Default::default() },
        spec: Some(JobSpec {
            backoff_limit: Some(0),
            ttl_seconds_after_finished: Some(3600),
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta { labels: Some(labels), ..Default::default() }),
                spec: Some(PodSpec {
                    restart_policy: Some("Never".into()),
                    service_account_name: input.spec.service_account.clone(),
                    automount_service_account_token: Some(false),
                    containers: vec![container],
                    volumes: Some(volumes),
                    ..Default::default()
                }),
            },
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Deletes a Job and, with foreground propagation, its pod; a Job already gone is fine.
pub(crate) async fn delete_job(cluster: &Cluster, name: &str) {
    let jobs: Api<Job> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    match jobs.delete(name, &DeleteParams::foreground()).await {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => tracing::warn!(job = name, error = %cluster.explain("delete", "jobs", &e), "deleting the Job failed"),
    }
}

/// Deletes the Jobs of this viban home whose run is not kept (asked after the list: a run that started meanwhile
/// keeps its Job); the run ids it deleted.
pub async fn reap(cluster: &Cluster, home: &str, keep: impl Fn(Uuid) -> bool) -> Result<Vec<Uuid>, String> {
    let jobs: Api<Job> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let list = jobs
        .list(&ListParams::default().labels(&format!("{HOME_LABEL}={home}")))
        .await
        .map_err(|e| cluster.explain("list", "jobs", &e))?;
    let mut removed = Vec::new();
    for job in list {
        let run = job.metadata.labels.as_ref().and_then(|l| l.get(RUN_LABEL)).and_then(|r| Uuid::parse_str(r).ok());
        let (Some(run), Some(name)) = (run, job.metadata.name.as_deref()) else { continue };
        if keep(run) {
            continue;
        }
        delete_job(cluster, name).await;
        removed.push(run);
    }
    Ok(removed)
}

/// The words for a Kubernetes run when agents.toml has no `[kubernetes]` table.
pub const NOT_CONFIGURED: &str = "this run is meant for Kubernetes, and agents.toml has no [kubernetes] table: add one \
                                  with at least `image` (and `kubeconfig`, `namespace` as needed)";

/// The git credentials Secret must exist before a Job mounts it (or its pod waits forever on a missing volume).
pub async fn check_secret(cluster: &Cluster, name: &str) -> Result<(), String> {
    let secrets: Api<k8s_openapi::api::core::v1::Secret> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    match secrets.get_metadata(name).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) if s.code == 404 => Err(format!(
            "the Secret {name:?} (git_secret) does not exist in namespace {:?}: create it (see \
             installers/kubernetes/git-secret.example.yaml) or remove `git_secret`",
            cluster.namespace
        )),
        Err(e) => Err(cluster.explain("get", "secrets", &e)),
    }
}

/// For `doctor`: whether the cluster answers and lets viban list Jobs and pods in its namespace.
pub async fn check(settings: &KubeSettings) -> Result<String, String> {
    let cluster = Cluster::connect(settings).await?;
    let jobs: Api<Job> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    let list = jobs.list(&ListParams::default().limit(1)).await.map_err(|e| cluster.explain("list", "jobs", &e))?;
    let pods: Api<k8s_openapi::api::core::v1::Pod> = Api::namespaced(cluster.client.clone(), &cluster.namespace);
    pods.list(&ListParams::default().limit(1)).await.map_err(|e| cluster.explain("list", "pods", &e))?;
    let _ = list;
    Ok(format!("namespace {:?} at {} answers", cluster.namespace, cluster.server))
}
