//! Agent profiles: built-ins for the known CLIs, overlaid field by field with the user's `agents.toml`, which can
//! also add agents and set the run limits.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

/// The built-in profiles, in the same format as the user's file.
const BUILTIN: &str = include_str!("builtin_agents.toml");

/// What a fresh config dir gets: comments only, so every default stays visible and nothing is overridden.
pub const TEMPLATE: &str = include_str!("agents_template.toml");

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("{0}")]
    Parse(String),
    #[error("profile {id:?} has no command: set `command` (and `args`) or `command_line`")]
    NoCommand { id: String },
    #[error("profile {id:?}: cannot split command_line: {message}")]
    BadCommandLine { id: String, message: String },
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunSettings {
    /// Runs at once across all projects.
    pub max_concurrent: Option<u32>,
    pub max_per_project: Option<u32>,
    /// Notify when a running agent printed nothing this long (it probably waits for input).
    pub idle_notify_secs: Option<u64>,
    /// Where worktrees go (default: `<data dir>/worktrees`).
    pub worktree_root: Option<PathBuf>,
    /// When worktrees are removed by themselves (their branches stay unless `delete_branch_on_merge`).
    pub worktree_cleanup: Option<WorktreeCleanup>,
    /// Worktrees of Done/Cancelled tasks whose last run finished this many days ago are removed by a sweep (at
    /// start and hourly), whatever `worktree_cleanup` says; unsafe ones are kept and reported.
    pub cleanup_after_days: Option<u32>,
    /// When cleanup removes a worktree whose branch is merged into its target, the branch goes too.
    pub delete_branch_on_merge: Option<bool>,
    /// How often open pull requests are checked (default 60 s).
    pub pr_poll_secs: Option<u64>,
    /// The `gh` and `glab` to use for pull requests (default: found on the login shell's PATH).
    pub gh: Option<String>,
    pub glab: Option<String>,
}

/// The cleanup policy for worktrees.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorktreeCleanup {
    /// Only when the user removes one.
    #[default]
    Manual,
    /// After a merge through viban (or a pull request seen merged), that worktree is removed if nothing would be
    /// lost.
    OnMerge,
    /// When the task moves to Done or Cancelled (a merge does that too), the task's worktrees are removed if
    /// nothing would be lost.
    WhenDone,
}

impl RunSettings {
    pub fn max_concurrent(&self) -> usize {
        self.max_concurrent.unwrap_or(8).max(1) as usize
    }
    pub fn max_per_project(&self) -> usize {
        self.max_per_project.unwrap_or(4).max(1) as usize
    }
    pub fn idle_notify_secs(&self) -> u64 {
        self.idle_notify_secs.unwrap_or(60).max(5)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileDef {
    name: Option<String>,
    command: Option<String>,
    args: Option<Vec<String>>,
    follow_up_args: Option<Vec<String>>,
    version_args: Option<Vec<String>>,
    command_line: Option<String>,
    shell: Option<bool>,
    env: Option<BTreeMap<String, String>>,
    install_hint: Option<String>,
    /// `local` (default: a PTY on this machine), `container` or `kubernetes`.
    runtime: Option<viban_core::RuntimeKind>,
    container: Option<crate::container::ContainerDef>,
    kubernetes: Option<crate::kubernetes::KubeDef>,
    /// Give the agent viban's MCP server (default true).
    mcp: Option<bool>,
    /// Arguments that configure viban's MCP server in this CLI, right after the program: `{mcp_url}` is filled in;
    /// the token only as `${VIBAN_MCP_TOKEN}` or a variable's name, for the CLI to read (no token on a command line).
    mcp_args: Option<Vec<String>>,
    /// Environment for the same (`{mcp_dir}`: viban's folder of MCP client files).
    mcp_env: Option<BTreeMap<String, String>>,
}

impl ProfileDef {
    fn overlay(self, over: ProfileDef) -> ProfileDef {
        ProfileDef {
            name: over.name.or(self.name),
            // A command line replaces command + args (and the other way round).
            command: over.command.clone().or(if over.command_line.is_some() { None } else { self.command }),
            args: over.args.or(self.args),
            follow_up_args: over.follow_up_args.or(self.follow_up_args),
            version_args: over.version_args.or(self.version_args),
            command_line: over.command_line.or(if over.command.is_some() { None } else { self.command_line }),
            shell: over.shell.or(self.shell),
            env: over.env.or(self.env),
            install_hint: over.install_hint.or(self.install_hint),
            runtime: over.runtime.or(self.runtime),
            container: match (self.container, over.container) {
                (Some(a), Some(b)) => Some(a.overlay(b)),
                (a, b) => b.or(a),
            },
            kubernetes: match (self.kubernetes, over.kubernetes) {
                (Some(a), Some(b)) => Some(a.overlay(b)),
                (a, b) => b.or(a),
            },
            mcp: over.mcp.or(self.mcp),
            mcp_args: over.mcp_args.or(self.mcp_args),
            mcp_env: over.mcp_env.or(self.mcp_env),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct AgentsFile {
    #[serde(default)]
    runs: RunSettings,
    #[serde(default)]
    agents: BTreeMap<String, ProfileDef>,
    #[serde(default)]
    editor: crate::editor::EditorSettings,
    #[serde(default)]
    container: crate::container::ContainerSettings,
    #[serde(default)]
    kubernetes: Option<crate::kubernetes::KubeSettings>,
}

/// How the agent is launched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Launch {
    /// A program and its arguments; `{prompt}` in an argument is replaced by the prompt.
    Argv { command: String, args: Vec<String>, follow_up_args: Option<Vec<String>> },
    /// A command line split into words like a shell would (quotes), but never run through one.
    Line { words: Vec<String> },
    /// A command line run by `/bin/sh -c`; the prompt is passed as `$1`, never pasted into the line.
    Shell { line: String },
}

#[derive(Debug, Clone)]
pub struct Profile {
    pub id: String,
    pub name: String,
    pub builtin: bool,
    /// None when the profile cannot run (`problem` says why).
    pub launch: Option<Launch>,
    pub problem: Option<String>,
    pub version_args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub install_hint: Option<String>,
    pub runtime: viban_core::RuntimeKind,
    /// The profile's own container settings (the `[container]` defaults apply under them).
    pub container: crate::container::ContainerDef,
    /// The profile's own Kubernetes settings (the `[kubernetes]` defaults apply under them).
    pub kubernetes: crate::kubernetes::KubeDef,
    /// Whether the agent gets viban's MCP server, and how this CLI is told about it.
    pub mcp: bool,
    pub mcp_args: Vec<String>,
    pub mcp_env: BTreeMap<String, String>,
}

impl Profile {
    /// The program to look up (first word).
    pub fn program(&self) -> Option<&str> {
        match self.launch.as_ref()? {
            Launch::Argv { command, .. } => Some(command),
            Launch::Line { words } => words.first().map(String::as_str),
            Launch::Shell { .. } => Some("/bin/sh"),
        }
    }

    /// The command line as shown to the user.
    pub fn display(&self) -> String {
        match &self.launch {
            Some(Launch::Argv { command, args, .. }) => shell_words::join(std::iter::once(command).chain(args)),
            Some(Launch::Line { words }) => shell_words::join(words),
            Some(Launch::Shell { line }) => format!("/bin/sh -c {}", shell_words::quote(line)),
            None => String::new(),
        }
    }

    /// Why a prompt starting with `-` must not be passed to this profile, or None when it is safe: every
    /// `{prompt}` that begins an argument must come after a `--` (the end of options for commander, clap, yargs,
    /// argparse and getopt alike); one inside an argument after text of the profile's own (`--message={prompt}`)
    /// cannot become an option. Otherwise a task titled `--yes` or `--write=…` would be read as an option.
    pub fn dash_prompt_problem(&self, follow_up: bool) -> Option<String> {
        let (words, field, shell): (Vec<String>, &str, bool) = match self.launch.as_ref()? {
            Launch::Argv { args, follow_up_args, .. } => match (follow_up, follow_up_args) {
                (true, Some(f)) => (f.clone(), "follow_up_args", false),
                _ => (args.clone(), "args", false),
            },
            Launch::Line { words } => (words.iter().skip(1).cloned().collect(), "command_line", false),
            Launch::Shell { line } => match shell_words::split(line) {
                Ok(words) => (words.into_iter().skip(1).collect(), "command_line", true),
                Err(_) => (vec!["{prompt}".into()], "command_line", true),
            },
        };
        let mut options_ended = false;
        let mut unsafe_place = false;
        for w in &words {
            if w == "--" {
                options_ended = true;
            } else if shell && ["|", "||", "&&", ";", "&"].contains(&w.as_str()) {
                // A `--` before a pipe belonged to another command.
                options_ended = false;
            } else if w.starts_with("{prompt}") && !options_ended {
                unsafe_place = true;
            }
        }
        unsafe_place.then(|| {
            let program = self.program().unwrap_or_default();
            format!(
                "the prompt starts with \"-\", and the {} profile passes it as an argument of its own with no \"--\" \
                 before it, so `{program}` could read it as an option. Start the prompt with another character, or fix \
                 the profile's `{field}` in agents.toml: put \"--\" before \"{{prompt}}\" (if the CLI accepts it) or \
                 pass the prompt inside one argument, like \"--message={{prompt}}\".",
                self.name
            )
        })
    }

    /// argv for a run, with `program` (the resolved binary) first. The prompt is one argument (or part of one),
    /// verbatim: it never passes through a shell. Errors say why the profile cannot run this prompt.
    pub fn argv(&self, program: &str, prompt: &str, follow_up: bool) -> Result<Vec<String>, String> {
        let Some(launch) = self.launch.as_ref() else {
            return Err(self.problem.clone().unwrap_or_else(|| format!("the {} profile cannot run", self.name)));
        };
        if prompt.starts_with('-')
            && let Some(problem) = self.dash_prompt_problem(follow_up)
        {
            return Err(problem);
        }
        let fill = |a: &String| a.replace("{prompt}", prompt);
        Ok(match launch {
            Launch::Argv { args, follow_up_args, .. } => {
                let args = if follow_up { follow_up_args.as_ref().unwrap_or(args) } else { args };
                std::iter::once(program.to_string()).chain(args.iter().map(fill)).collect()
            }
            Launch::Line { words } => {
                std::iter::once(program.to_string()).chain(words.iter().skip(1).map(fill)).collect()
            }
            Launch::Shell { line } => vec![
                program.to_string(),
                "-c".into(),
                line.replace("{prompt}", "\"$1\""),
                "viban-agent".into(),
                prompt.to_string(),
            ],
        })
    }
}

fn resolve(id: &str, def: ProfileDef, builtin: bool) -> Profile {
    let launch = match (&def.command_line, &def.command) {
        (Some(line), _) if def.shell.unwrap_or(false) => Ok(Launch::Shell { line: line.clone() }),
        (Some(line), _) => match shell_words::split(line) {
            Ok(words) if !words.is_empty() => Ok(Launch::Line { words }),
            Ok(_) => Err(ProfileError::NoCommand { id: id.into() }),
            Err(e) => Err(ProfileError::BadCommandLine { id: id.into(), message: e.to_string() }),
        },
        (None, Some(command)) if !command.trim().is_empty() => Ok(Launch::Argv {
            command: command.clone(),
            args: def.args.clone().unwrap_or_else(|| vec!["{prompt}".into()]),
            follow_up_args: def.follow_up_args.clone(),
        }),
        _ => Err(ProfileError::NoCommand { id: id.into() }),
    };
    let (launch, problem) = match launch {
        Ok(l) => (Some(l), None),
        Err(e) => (None, Some(e.to_string())),
    };
    Profile {
        id: id.to_string(),
        name: def.name.unwrap_or_else(|| id.to_string()),
        builtin,
        launch,
        problem,
        version_args: def.version_args.unwrap_or_else(|| vec!["--version".into()]),
        env: def.env.unwrap_or_default(),
        install_hint: def.install_hint,
        runtime: def.runtime.unwrap_or_default(),
        container: def.container.unwrap_or_default(),
        kubernetes: def.kubernetes.unwrap_or_default(),
        mcp: def.mcp.unwrap_or(true),
        mcp_args: def.mcp_args.unwrap_or_default(),
        mcp_env: def.mcp_env.unwrap_or_default(),
    }
}

fn parse(text: &str) -> Result<AgentsFile, ProfileError> {
    toml::from_str(text).map_err(|e| ProfileError::Parse(e.to_string()))
}

/// Every profile (built-ins first, in their file order, then the user's) and the run settings.
#[derive(Debug, Clone)]
pub struct Profiles {
    pub list: Vec<Profile>,
    pub runs: RunSettings,
    /// "Open in editor" (`[editor]`).
    pub editor: crate::editor::EditorSettings,
    /// The container engine and default limits (`[container]`).
    pub container: crate::container::ContainerSettings,
    /// The cluster, namespace and default limits for Kubernetes runs (`[kubernetes]`; None: not configured).
    pub kubernetes: Option<crate::kubernetes::KubeSettings>,
}

impl Profiles {
    /// Built-ins overlaid with the user's file text (which must parse; check it with this before saving).
    pub fn load(user: &str) -> Result<Self, ProfileError> {
        let builtin = parse(BUILTIN)?;
        let mut user = parse(user)?;
        let order = ["claude", "codex", "gemini", "aider", "opencode", "amp", "qwen", "cursor", "custom"];
        let mut list = Vec::new();
        let mut builtins = builtin.agents;
        for id in order {
            let Some(def) = builtins.remove(id) else { continue };
            let def = match user.agents.remove(id) {
                Some(over) => def.overlay(over),
                None => def,
            };
            list.push(resolve(id, def, true));
        }
        for (id, def) in builtins.into_iter().chain(user.agents) {
            list.push(resolve(&id, def, false));
        }
        Ok(Self { list, runs: user.runs, editor: user.editor, container: user.container, kubernetes: user.kubernetes })
    }

    pub fn get(&self, id: &str) -> Option<&Profile> {
        self.list.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_cover_the_known_agents_and_custom_needs_a_command() -> anyhow::Result<()> {
        let p = Profiles::load("")?;
        for id in ["claude", "codex", "gemini", "aider", "opencode", "amp", "qwen", "cursor"] {
            let profile = p.get(id).ok_or_else(|| anyhow::anyhow!("{id} missing"))?;
            assert!(profile.launch.is_some(), "{id}: {:?}", profile.problem);
            assert!(profile.install_hint.is_some(), "{id} has no install hint");
        }
        let custom = p.get("custom").ok_or_else(|| anyhow::anyhow!("custom missing"))?;
        assert!(custom.problem.as_deref().is_some_and(|m| m.contains("command_line")));
        assert_eq!(p.runs.max_concurrent(), 8);
        Ok(())
    }

    #[test]
    fn the_prompt_is_one_argument_verbatim() -> anyhow::Result<()> {
        let p = Profiles::load("")?;
        let claude = p.get("claude").ok_or_else(|| anyhow::anyhow!("claude"))?;
        let prompt = "fix $(rm -rf /) `x` ; echo \"quoted\" 'single' && |";
        assert_eq!(
            claude.argv("/bin/claude", prompt, false),
            Ok(vec!["/bin/claude".into(), "--".into(), prompt.into()])
        );
        assert_eq!(
            claude.argv("/bin/claude", "again", true),
            Ok(vec!["/bin/claude".into(), "--continue".into(), "--".into(), "again".into()])
        );
        Ok(())
    }

    #[test]
    fn every_builtin_keeps_a_dash_prompt_a_prompt() -> anyhow::Result<()> {
        let p = Profiles::load("")?;
        let prompt = "--yes --write=/etc/passwd";
        for profile in p.list.iter().filter(|p| p.launch.is_some()) {
            for follow_up in [false, true] {
                assert_eq!(profile.dash_prompt_problem(follow_up), None, "{} (follow-up: {follow_up})", profile.id);
                let argv = profile.argv("/bin/x", prompt, follow_up).map_err(anyhow::Error::msg)?;
                let at = argv.iter().position(|a| a.ends_with(prompt)).ok_or_else(|| anyhow::anyhow!("{argv:?}"))?;
                // Either after `--`, or the value of a `--option=` argument.
                assert!(argv[at] != prompt || argv[..at].contains(&"--".to_string()), "{}: {argv:?}", profile.id);
            }
        }
        let gemini = p.get("gemini").ok_or_else(|| anyhow::anyhow!("gemini"))?;
        assert_eq!(gemini.argv("g", "-x", false), Ok(vec!["g".into(), "--prompt-interactive=-x".into()]));
        Ok(())
    }

    #[test]
    fn profiles_that_would_pass_a_dash_prompt_as_an_option_refuse_it() -> anyhow::Result<()> {
        let user = r#"
            [agents.bare]
            command = "agent"
            args = ["--yes", "{prompt}"]
            follow_up_args = ["--continue", "--", "{prompt}"]
            [agents.split]
            command = "agent"
            args = ["--message", "{prompt}"]
            [agents.line]
            command_line = "agent -- {prompt}"
            [agents.shell]
            shell = true
            command_line = "agent -- x | cat {prompt}"
            [agents.shellok]
            shell = true
            command_line = "agent --task={prompt} | cat"
        "#;
        let p = Profiles::load(user)?;
        let get = |id: &str| p.get(id).ok_or_else(|| anyhow::anyhow!("{id}"));
        let err = get("bare")?.argv("agent", "--write=x", false).err().unwrap_or_default();
        assert!(err.contains("starts with \"-\"") && err.contains("`args`") && err.contains("\"--\""), "{err}");
        assert!(get("bare")?.argv("agent", "--write=x", true).is_ok(), "the follow-up form has `--`");
        assert!(get("bare")?.argv("agent", "write it", false).is_ok(), "other prompts are fine");
        assert!(get("split")?.argv("agent", "-x", false).is_err());
        assert!(get("line")?.argv("agent", "-x", false).is_ok());
        assert!(get("shell")?.argv("/bin/sh", "-x", false).is_err(), "a `--` of another command does not count");
        assert!(get("shellok")?.argv("/bin/sh", "-x", false).is_ok());
        Ok(())
    }

    #[test]
    fn user_file_overrides_fields_adds_agents_and_sets_limits() -> anyhow::Result<()> {
        let user = r#"
            [runs]
            max_concurrent = 2
            [agents.claude]
            args = ["--model", "opus", "{prompt}"]
            [agents.custom]
            command_line = "bash -c 'echo \"$0\"' {prompt}"
            [agents.mine]
            name = "Mine"
            shell = true
            command_line = "echo {prompt} | cat"
        "#;
        let p = Profiles::load(user)?;
        assert_eq!(p.runs.max_concurrent(), 2);
        let claude = p.get("claude").ok_or_else(|| anyhow::anyhow!("claude"))?;
        assert_eq!(claude.argv("c", "x", false), Ok(vec!["c".into(), "--model".into(), "opus".into(), "x".into()]));
        assert_eq!(claude.name, "Claude Code");
        let custom = p.get("custom").ok_or_else(|| anyhow::anyhow!("custom"))?;
        assert_eq!(custom.program(), Some("bash"));
        assert_eq!(
            custom.argv("/bin/bash", "a b;c", false),
            Ok(vec!["/bin/bash".into(), "-c".into(), "echo \"$0\"".into(), "a b;c".into()])
        );
        let mine = p.get("mine").ok_or_else(|| anyhow::anyhow!("mine"))?;
        assert!(!mine.builtin);
        assert_eq!(
            mine.argv("/bin/sh", "$(x)", false),
            Ok(vec!["/bin/sh".into(), "-c".into(), "echo \"$1\" | cat".into(), "viban-agent".into(), "$(x)".into()])
        );
        Ok(())
    }

    #[test]
    fn bad_files_say_where() {
        let err = Profiles::load("[agents.x]\ncommand = 3\n").err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("line 2"), "{err}");
        assert!(Profiles::load("[agents.x]\nnope = 1\n").is_err());
        let p = Profiles::load("[agents.x]\ncommand_line = \"unclosed 'quote\"\n");
        assert!(p.is_ok_and(|p| p.get("x").is_some_and(|x| x.problem.is_some())));
    }

    #[test]
    fn the_template_parses_and_changes_nothing() -> anyhow::Result<()> {
        let p = Profiles::load(TEMPLATE)?;
        assert_eq!(p.list.len(), Profiles::load("")?.list.len());
        Ok(())
    }
}
