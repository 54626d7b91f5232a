//! The container runtime: a run's agent in a container (podman or docker), started in the run's own PTY through
//! the engine's TTY (`run -it`), so the terminal, transcript, offsets and input work exactly as for a local run.
//! The worktree is bind-mounted read-write at its own path (and the repository's git dir, which a worktree's `.git`
//! points into); nothing else of the host unless the profile lists it, read-only. Memory, CPU and pids limits per
//! run; network on or off. Every container is named after its run and labelled with it and with the viban home:
//! a stop removes it (a killed client must never leave it running), and the next start removes the containers of
//! runs that died with the previous process.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use uuid::Uuid;

/// The label every viban container carries, with the run id.
pub const RUN_LABEL: &str = "dev.viban.run";
/// The label naming the viban home (a hash of its data dir) the container belongs to.
pub const HOME_LABEL: &str = "dev.viban.home";

/// A profile's `[agents.<id>.container]`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ContainerDef {
    /// The image the agent runs in (it must hold the agent's command).
    pub image: Option<String>,
    /// Memory limit, as the engine takes it (`512m`, `4g`).
    pub memory: Option<String>,
    pub cpus: Option<f64>,
    pub pids: Option<u32>,
    /// Network on (the engine's default network) or off (`--network none`).
    pub network: Option<bool>,
    /// Host paths mounted read-only at the same path (`~/` is the user's home), e.g. `~/.gitconfig`.
    pub mounts: Option<Vec<String>>,
    /// How the agent's terminal reaches viban (default `direct` with podman).
    pub console: Option<Console>,
}

/// How a container's terminal reaches the run's PTY.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Console {
    /// The PTY itself is handed into the container (podman `--preserve-fds`), where `sh` and `setsid -c` make it
    /// the agent's terminal: no relay process, local speed. Needs `sh` and `setsid` in the image.
    #[default]
    Direct,
    /// The engine's own TTY (`run -it`), relayed by the engine: any image, slower output.
    Engine,
}

impl ContainerDef {
    pub fn overlay(self, over: ContainerDef) -> ContainerDef {
        ContainerDef {
            image: over.image.or(self.image),
            memory: over.memory.or(self.memory),
            cpus: over.cpus.or(self.cpus),
            pids: over.pids.or(self.pids),
            network: over.network.or(self.network),
            mounts: over.mounts.or(self.mounts),
            console: over.console.or(self.console),
        }
    }
}

impl From<&viban_core::ContainerOptions> for ContainerDef {
    fn from(o: &viban_core::ContainerOptions) -> Self {
        Self {
            image: o.image.clone(),
            memory: o.memory.clone(),
            cpus: o.cpus,
            pids: o.pids,
            network: o.network,
            mounts: None,
            console: None,
        }
    }
}

/// `[container]` in agents.toml: the engine, and the limits every container profile starts from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContainerSettings {
    /// `podman` or `docker`, a name on PATH or a path (default: podman if found, else docker).
    pub engine: Option<String>,
    /// Arguments before the subcommand, e.g. `["--runtime", "runc"]`.
    pub engine_args: Option<Vec<String>>,
    #[serde(flatten)]
    pub defaults: ContainerDef,
}

/// What a container run gets, every default applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerSpec {
    pub image: String,
    pub memory: String,
    pub cpus: f64,
    pub pids: u32,
    pub network: bool,
    pub mounts: Vec<PathBuf>,
    pub console: Console,
}

impl ContainerSpec {
    pub const DEFAULT_MEMORY: &str = "4g";
    pub const DEFAULT_CPUS: f64 = 2.0;
    pub const DEFAULT_PIDS: u32 = 1024;

    pub fn resolve(profile: &str, def: &ContainerDef, settings: &ContainerSettings) -> Result<Self, String> {
        let def = settings.defaults.clone().overlay(def.clone());
        let image = def
            .image
            .filter(|i| !i.trim().is_empty())
            .ok_or_else(|| format!("profile {profile:?} runs in a container but names no image: set `image`"))?;
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let mounts = def
            .mounts
            .unwrap_or_default()
            .into_iter()
            .map(|m| match (m.strip_prefix("~/"), &home) {
                (Some(rest), Some(h)) => h.join(rest),
                _ => PathBuf::from(m),
            })
            .collect();
        let cpus = def.cpus.unwrap_or(Self::DEFAULT_CPUS);
        if !(cpus > 0.0 && cpus <= 1024.0) {
            return Err(format!("profile {profile:?}: cpus must be above 0, got {cpus}"));
        }
        Ok(Self {
            image,
            memory: def.memory.unwrap_or_else(|| Self::DEFAULT_MEMORY.into()),
            cpus,
            pids: def.pids.unwrap_or(Self::DEFAULT_PIDS).max(16),
            network: def.network.unwrap_or(true),
            mounts,
            console: def.console.unwrap_or_default(),
        })
    }

    /// For the card and the run: "2 CPUs · 4g · 1024 pids · network off".
    pub fn limits(&self) -> String {
        format!(
            "{} CPU{} · {} · {} pids · network {}",
            self.cpus,
            if (self.cpus - 1.0).abs() < f64::EPSILON { "" } else { "s" },
            self.memory,
            self.pids,
            if self.network { "on" } else { "off" }
        )
    }
}

/// The container engine's command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engine {
    pub program: PathBuf,
    pub args: Vec<String>,
}

pub fn container_name(run: Uuid) -> String {
    format!("viban-run-{run}")
}

/// A viban home's label value: stable for one data dir, different for two.
pub fn home_label(data_dir: &Path) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data_dir.to_string_lossy().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

impl Engine {
    /// The configured engine, else podman, else docker, on `path`.
    pub fn find(settings: &ContainerSettings, path: &str) -> Result<Engine, String> {
        let args = settings.engine_args.clone().unwrap_or_default();
        let names: Vec<String> = match &settings.engine {
            Some(e) => vec![e.clone()],
            None => vec!["podman".into(), "docker".into()],
        };
        names.iter().find_map(|n| crate::detect::which(n, path)).map(|program| Engine { program, args }).ok_or_else(
            || {
                format!(
                    "no container engine found ({}): install podman (`apt-get install podman`) or docker, or set \
                     `engine` under [container] in agents.toml",
                    names.join(", ")
                )
            },
        )
    }

    /// Whether the engine can hand a file descriptor to the container (podman's `--preserve-fds`; docker cannot).
    pub fn passes_fds(&self) -> bool {
        !self.program.file_name().is_some_and(|n| n.to_string_lossy().contains("docker"))
    }

    /// The console a spec gets with this engine: `direct` only where the engine can pass the PTY in.
    pub fn console(&self, spec: &ContainerSpec) -> Console {
        if self.passes_fds() { spec.console } else { Console::Engine }
    }

    fn command(&self) -> Command {
        let mut c = Command::new(&self.program);
        c.args(&self.args);
        c
    }

    /// Whether the engine can run containers here (`info` answers: the daemon runs, the storage opens), and its
    /// version (for `viban-server doctor`).
    pub fn probe(&self) -> Result<String, String> {
        let out = self
            .command()
            .arg("info")
            .output()
            .map_err(|e| format!("{} could not run: {e}", self.program.display()))?;
        if !out.status.success() {
            let why = String::from_utf8_lossy(&out.stderr);
            let why = why.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no reason given").trim().to_string();
            return Err(format!("`{} info` failed: {why}", self.program.display()));
        }
        let version =
            self.command().arg("--version").output().map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
        Ok(version.unwrap_or_default())
    }

    /// Whether the image is there (viban never pulls one by itself: a pull can take minutes and needs a registry).
    pub fn image_present(&self, image: &str) -> Result<(), String> {
        let out = self
            .command()
            .args(["image", "inspect", "--format", "{{.Id}}", image])
            .output()
            .map_err(|e| format!("{} could not run: {e}", self.program.display()))?;
        if out.status.success() {
            return Ok(());
        }
        let engine = self.program.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        Err(format!("the image {image} is not there: build it or `{engine} pull {image}`"))
    }

    /// The argv that runs `argv` in a container in the run's PTY.
    pub fn wrap(
        &self,
        spec: &ContainerSpec,
        ids: &WrapIds,
        cwd: &Path,
        env: &[(String, String)],
        argv: &[String],
    ) -> Vec<String> {
        let mut out: Vec<String> =
            std::iter::once(self.program.to_string_lossy().into_owned()).chain(self.args.iter().cloned()).collect();
        let path = |p: &Path| p.to_string_lossy().into_owned();
        // No `--rm`: the container is removed after the stop ladder, once viban asked why it ended (memory).
        let direct = self.console(spec) == Console::Direct;
        if direct {
            // The run's PTY arrives as fd 3 (pty::spawn_console); nothing is relayed.
            out.extend(["run", "--init", "--preserve-fds", "1"].map(String::from));
        } else {
            out.extend(["run", "-i", "-t", "--init"].map(String::from));
        }
        // viban stores the transcript; the engine's own log of the TTY would write every byte to disk a second time.
        out.push("--log-driver=none".into());
        out.extend(["--name".into(), container_name(ids.run)]);
        out.extend(["--label".into(), format!("{RUN_LABEL}={}", ids.run)]);
        out.extend(["--label".into(), format!("{HOME_LABEL}={}", ids.home)]);
        out.extend(["--memory".into(), spec.memory.clone(), "--memory-swap".into(), spec.memory.clone()]);
        out.extend(["--cpus".into(), spec.cpus.to_string(), "--pids-limit".into(), spec.pids.to_string()]);
        if !spec.network {
            out.extend(["--network".into(), "none".into()]);
        }
        out.extend(ownership_args(self, cwd));
        out.extend(["-v".into(), format!("{0}:{0}:rw", path(cwd)), "--workdir".into(), path(cwd)]);
        if let Some(git) = git_common_dir(cwd).filter(|g| !g.starts_with(cwd)) {
            out.extend(["-v".into(), format!("{0}:{0}:rw", path(&git))]);
        }
        for m in spec.mounts.iter().filter(|m| m.exists()) {
            out.extend(["-v".into(), format!("{0}:{0}:ro", path(m))]);
        }
        out.extend(["-e".into(), "TERM=xterm-256color".into(), "-e".into(), "COLORTERM=truecolor".into()]);
        out.extend(["-e".into(), "HOME=/tmp".into()]);
        // The host's PATH means nothing in the image.
        for (k, v) in env.iter().filter(|(k, _)| k != "PATH") {
            out.extend(["-e".into(), format!("{k}={v}")]);
        }
        out.push(spec.image.clone());
        if direct {
            // A session of its own whose terminal is fd 3: the agent's output goes straight to viban's PTY.
            let console = "setsid -c \"$@\" <&3 >&3 2>&3 3<&-";
            out.extend(["sh".into(), "-c".into(), console.into(), "viban-console".into()]);
        }
        out.extend(argv.iter().cloned());
        out
    }

    /// Removes the run's container if there is one (killing what runs in it). Returns whether one was removed.
    pub fn remove(&self, run: Uuid) -> bool {
        let out = self.command().args(["rm", "-f", "-t", "0"]).arg(container_name(run)).output();
        match out {
            Ok(o) if o.status.success() => !String::from_utf8_lossy(&o.stdout).trim().is_empty(),
            Ok(_) => false,
            Err(e) => {
                tracing::warn!(run = %run, error = %e, "could not run the container engine to remove a run's container");
                false
            }
        }
    }

    /// Removes every container of this home whose run is not in `keep`; returns the removed runs' ids.
    pub fn reap(&self, home: &str, keep: &[Uuid]) -> Vec<String> {
        let listed = self
            .command()
            .args(["ps", "-a", "--filter"])
            .arg(format!("label={HOME_LABEL}={home}"))
            .args(["--format", &format!("{{{{index .Labels \"{RUN_LABEL}\"}}}}")])
            .output();
        let Ok(listed) = listed.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()) else { return Vec::new() };
        let mut removed = Vec::new();
        for id in listed.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let Ok(run) = id.parse::<Uuid>() else { continue };
            if !keep.contains(&run) && self.remove(run) {
                removed.push(id.to_string());
            }
        }
        removed
    }
}

/// The run and home a container is labelled with.
#[derive(Debug, Clone)]
pub struct WrapIds {
    pub run: Uuid,
    pub home: String,
}

/// Files the agent writes in the worktree belong to the worktree's owner, not to root: as root, the container runs
/// as that owner; rootless podman maps our own user into the container.
fn ownership_args(engine: &Engine, cwd: &Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let root = nix::unistd::geteuid().is_root();
    let podman = engine.program.file_name().is_some_and(|n| n.to_string_lossy().contains("podman"));
    match std::fs::metadata(cwd) {
        Ok(m) if root => vec!["--user".into(), format!("{}:{}", m.uid(), m.gid())],
        _ if podman => vec!["--userns=keep-id".into()],
        _ => vec!["--user".into(), format!("{}:{}", nix::unistd::getuid(), nix::unistd::getgid())],
    }
}

/// A bind mount is `SRC:DST:OPTIONS`: a path with a `:` (or a `,`, which separates options) cannot be mounted.
pub fn mountable(worktree: &Path) -> Result<(), String> {
    let text = worktree.to_string_lossy();
    match text.chars().find(|c| matches!(c, ':' | ',')) {
        Some(c) => Err(format!(
            "the worktree {text} cannot be mounted into a container: its path has a {c:?}. Set `worktree_root` \
             under [runs] in agents.toml to a folder whose path has none"
        )),
        None => Ok(()),
    }
}

/// The repository's git dir a worktree's `.git` file points into (`<repo>/.git`), so git works in the container.
fn git_common_dir(worktree: &Path) -> Option<PathBuf> {
    let text = std::fs::read_to_string(worktree.join(".git")).ok()?;
    let gitdir = PathBuf::from(text.strip_prefix("gitdir:")?.trim());
    let common = std::fs::read_to_string(gitdir.join("commondir")).ok()?;
    std::fs::canonicalize(gitdir.join(common.trim())).ok()
}

/// Why a container run ended badly, when the container tells more than the exit code: the engine's own codes
/// (125–127), or a SIGKILL (exit 137) that viban did not send: the engine's `OOMKilled` when it knows
/// (cgroup v2); with cgroup v1 it does not report it (seen with podman + runc here), and the memory limit is then
/// named as the likely cause. The words the run shows; None for any other end.
pub fn end_reason(engine: &Engine, run: Uuid, exit_code: Option<i32>) -> Option<String> {
    // The engine's own exit codes (podman and docker agree): it could not start the container or the command.
    match exit_code {
        Some(125) => {
            return Some(
                "the container engine refused to start the agent (exit 125): its message is in the terminal — \
                 check the profile's image and limits"
                    .into(),
            );
        }
        Some(126) => return Some("the agent's command in the image cannot be run (exit 126)".into()),
        Some(127) => return Some("the agent's command was not found in the image (exit 127)".into()),
        _ => {}
    }
    let out = engine
        .command()
        .args(["inspect", "--format", "{{.State.OOMKilled}} {{.HostConfig.Memory}}"])
        .arg(container_name(run))
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    let oom = words.next() == Some("true");
    let limit =
        words.next().and_then(|b| b.parse::<u64>().ok()).filter(|b| *b > 0).map(|b| format!(" ({} MiB)", b >> 20));
    let limit = limit.unwrap_or_default();
    if oom {
        Some(format!(
            "the agent went over its container's memory limit{limit} and was killed; raise `memory` in its profile"
        ))
    } else if exit_code == Some(137) {
        Some(format!(
            "the agent was killed (SIGKILL, exit 137), most likely for going over its container's memory \
             limit{limit}; raise `memory` in its profile"
        ))
    } else {
        None
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_spec_takes_the_profile_then_the_settings_then_the_defaults_and_needs_an_image() {
        let settings = ContainerSettings {
            defaults: ContainerDef { memory: Some("1g".into()), network: Some(false), ..ContainerDef::default() },
            ..ContainerSettings::default()
        };
        let def = ContainerDef { image: Some("img".into()), cpus: Some(0.5), ..ContainerDef::default() };
        let spec = ContainerSpec::resolve("p", &def, &settings).unwrap();
        assert_eq!((spec.memory.as_str(), spec.cpus, spec.pids, spec.network), ("1g", 0.5, 1024, false));
        assert_eq!(spec.limits(), "0.5 CPUs · 1g · 1024 pids · network off");
        let err = ContainerSpec::resolve("p", &ContainerDef::default(), &settings).unwrap_err();
        assert!(err.contains("names no image"), "{err}");
        let bad = ContainerDef { image: Some("i".into()), cpus: Some(0.0), ..ContainerDef::default() };
        assert!(ContainerSpec::resolve("p", &bad, &settings).is_err());
    }

    #[test]
    fn the_wrapped_command_mounts_only_the_worktree_labels_the_run_and_sets_the_limits() {
        let dir = std::env::temp_dir().join(format!("viban-wrap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let engine = Engine { program: "/usr/bin/podman".into(), args: vec!["--runtime".into(), "runc".into()] };
        let spec = ContainerSpec {
            image: "img:1".into(),
            memory: "256m".into(),
            cpus: 1.0,
            pids: 64,
            network: false,
            mounts: vec![dir.join("missing")],
            console: Console::Engine,
        };
        let run = Uuid::nil();
        let ids = WrapIds { run, home: "abc".into() };
        let env = vec![("PATH".into(), "/host/bin".into()), ("VIBAN_RUN_ID".into(), run.to_string())];
        let argv = engine.wrap(&spec, &ids, &dir, &env, &["agent".into(), "--go".into()]);
        let line = argv.join(" ");
        assert!(
            line.starts_with("/usr/bin/podman --runtime runc run -i -t --init --log-driver=none --name viban-run-"),
            "{line}"
        );
        for part in ["--memory 256m", "--cpus 1", "--pids-limit 64", "--network none", "dev.viban.home=abc"] {
            assert!(line.contains(part), "{part} in {line}");
        }
        assert!(line.contains(&format!("-v {0}:{0}:rw --workdir {0}", dir.display())), "{line}");
        assert!(!line.contains("missing"), "a mount that does not exist is left out: {line}");
        assert!(!line.contains("/host/bin") && line.contains("VIBAN_RUN_ID="), "{line}");
        assert!(line.ends_with("img:1 agent --go"), "{line}");
        // The direct console: the PTY comes in as fd 3, and `sh` + `setsid -c` make it the agent's terminal.
        let direct = ContainerSpec { console: Console::Direct, ..spec.clone() };
        let line = engine.wrap(&direct, &ids, &dir, &env, &["agent".into(), "--go".into()]).join(" ");
        assert!(
            line.starts_with("/usr/bin/podman --runtime runc run --init --preserve-fds 1 --log-driver=none"),
            "{line}"
        );
        assert!(line.ends_with("img:1 sh -c setsid -c \"$@\" <&3 >&3 2>&3 3<&- viban-console agent --go"), "{line}");
        // docker cannot pass a file descriptor in: its own TTY, whatever the profile says.
        let docker = Engine { program: "/usr/bin/docker".into(), args: vec![] };
        assert_eq!(docker.console(&direct), Console::Engine);
        assert!(docker.wrap(&direct, &ids, &dir, &env, &["agent".into()]).join(" ").contains("run -i -t --init"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
