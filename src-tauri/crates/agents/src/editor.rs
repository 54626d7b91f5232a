//! "Open in editor": the user's editor on a run's worktree or on one of its files at a line. The command comes from
//! `[editor] command` in agents.toml, else from the first preset found on the login shell's PATH. It is split like
//! a shell would split it and run directly (never through a shell), detached from viban: a process group of its
//! own, no stdin/stdout, reaped by a thread, without viban's secrets. The server runs on the user's machine, so
//! the editor opens there (on a remote server it would open on the server host).

use std::os::unix::process::CommandExt;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Deserialize;
use uuid::Uuid;
use viban_core::{EditorPreset, Editors, OpenInEditor};

use crate::error::RunError;
use crate::runs::Runs;

/// `[editor]` of agents.toml.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EditorSettings {
    /// e.g. `code --goto {path}:{line}`; `{path}` is the absolute path (appended when absent), `{line}` the line.
    pub command: Option<String>,
}

/// (id, name, command) in the order the default is chosen.
const PRESETS: &[(&str, &str, &str)] = &[
    ("vscode", "VS Code", "code --goto {path}:{line}"),
    ("cursor", "Cursor", "cursor --goto {path}:{line}"),
    ("zed", "Zed", "zed {path}:{line}"),
    ("idea", "IntelliJ IDEA", "idea --line {line} {path}"),
    ("webstorm", "WebStorm", "webstorm --line {line} {path}"),
    ("pycharm", "PyCharm", "pycharm --line {line} {path}"),
    ("goland", "GoLand", "goland --line {line} {path}"),
    ("clion", "CLion", "clion --line {line} {path}"),
    ("rustrover", "RustRover", "rustrover --line {line} {path}"),
    ("phpstorm", "PhpStorm", "phpstorm --line {line} {path}"),
    ("rubymine", "RubyMine", "rubymine --line {line} {path}"),
];

const HINT: &str = "No editor found: install VS Code (`code`), Cursor (`cursor`), Zed (`zed`) or a JetBrains IDE \
     (`idea`, `webstorm`, `pycharm`, …) so that its command is on your login shell's PATH, or set one in agents.toml \
     (Agents settings): [editor] command = \"my-editor --goto {path}:{line}\"";

/// The presets with whether each is on `path_var`, and the command "Open in editor" uses.
pub fn editors(settings: &EditorSettings, path_var: &str) -> Editors {
    let presets: Vec<EditorPreset> = PRESETS
        .iter()
        .map(|(id, name, command)| {
            let program = command.split(' ').next().unwrap_or_default();
            EditorPreset {
                id: (*id).into(),
                name: (*name).into(),
                command: (*command).into(),
                installed: crate::detect::which(program, path_var).is_some(),
            }
        })
        .collect();
    let configured = settings.command.clone().filter(|c| !c.trim().is_empty());
    let command = configured.clone().or_else(|| presets.iter().find(|p| p.installed).map(|p| p.command.clone()));
    let hint = command.is_none().then(|| HINT.to_string());
    Editors { presets, configured, command, hint }
}

/// The argv of `command` for `path` (absolute) at `line`. Without a line, `:{line}`, a lone `{line}` with the
/// option before it (`--line {line}`) and `--line={line}`/`+{line}` go; a command without `{path}` gets the path
/// last.
pub fn argv(command: &str, path: &str, line: Option<u32>) -> Result<Vec<String>, String> {
    let words = shell_words::split(command).map_err(|e| format!("cannot split the editor command: {e}"))?;
    if words.is_empty() {
        return Err("the editor command is empty".into());
    }
    let mut out: Vec<String> = Vec::new();
    for w in &words {
        let word = match line {
            Some(n) => w.replace("{line}", &n.to_string()),
            None if w == "{line}" => {
                if out.len() > 1 && out.last().is_some_and(|o| o.starts_with('-')) {
                    out.pop();
                }
                continue;
            }
            None if w.contains(":{line}") => w.replace(":{line}", ""),
            None if w.contains("{line}") && !w.contains("{path}") => continue,
            None => w.replace("{line}", "1"),
        };
        out.push(word.replace("{path}", path));
    }
    if !words.iter().any(|w| w.contains("{path}")) {
        out.push(path.to_string());
    }
    Ok(out)
}

/// `rel` beneath `worktree`: relative, no `..`, and (once links are resolved) still inside it. The file must exist.
pub fn confine(worktree: &Path, rel: &str) -> Result<PathBuf, RunError> {
    let bad = |why: &str| RunError::InvalidPath(format!("{rel:?} {why}"));
    if rel.is_empty() || rel.contains('\0') {
        return Err(bad("is not a path"));
    }
    let mut clean = PathBuf::new();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(p) => clean.push(p),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                return Err(bad("is absolute: give a path inside the worktree"));
            }
            Component::ParentDir => return Err(bad("contains \"..\": give a path inside the worktree")),
        }
    }
    let full = worktree.join(&clean);
    let root = worktree.canonicalize().map_err(|_| RunError::WorktreeRemoved)?;
    let real = full.canonicalize().map_err(|_| bad("does not exist in the worktree"))?;
    if !real.starts_with(&root) {
        return Err(bad("leads out of the worktree (a symbolic link)"));
    }
    Ok(full)
}

/// Starts the editor detached: own process group (a Ctrl+C or hangup of viban's terminal does not reach it),
/// stdin and stdout closed, viban's secrets removed, the login PATH; a thread reaps it (editor CLIs often hand
/// over to a running instance and exit at once, but a JetBrains launcher may live as long as the IDE).
fn spawn_detached(argv: &[String], program: &Path, cwd: &Path, path_var: &str) -> std::io::Result<()> {
    let mut cmd = Command::new(program);
    cmd.args(&argv[1..]).current_dir(cwd).env("PATH", path_var);
    crate::env::scrub(&mut cmd);
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::null()).process_group(0);
    let mut child = cmd.spawn()?;
    let pid = child.id();
    std::thread::Builder::new().name(format!("editor-wait-{pid}")).spawn(move || match child.wait() {
        Ok(status) => tracing::debug!(pid, %status, "the editor command ended"),
        Err(e) => tracing::warn!(pid, error = %e, "waiting for the editor command failed"),
    })?;
    Ok(())
}

impl Runs {
    /// `GET /api/editors`. Blocking work (the login PATH) runs off the async threads.
    pub async fn editors(&self) -> Result<Editors, RunError> {
        let catalog = self.inner.catalog.clone();
        tokio::task::spawn_blocking(move || {
            let profiles = catalog.profiles().map_err(|e| RunError::BadProfile(e.to_string()))?;
            Ok(editors(&profiles.editor, &catalog.path_var(false)))
        })
        .await
        .map_err(|e| RunError::Io(format!("background task failed: {e}")))?
    }

    /// Opens the run's worktree, or a file of it at a line, in the user's editor.
    pub async fn open_in_editor(&self, id: Uuid, req: OpenInEditor) -> Result<(), RunError> {
        let run = self.inner.db.get_run(id).await?;
        if req.line.is_some() && req.path.is_none() {
            return Err(RunError::Validation("`line` needs a `path`".into()));
        }
        if self.inner.db.worktree_removed(id).await? || !Path::new(&run.worktree_path).is_dir() {
            return Err(RunError::WorktreeRemoved);
        }
        let catalog = self.inner.catalog.clone();
        let worktree = PathBuf::from(&run.worktree_path);
        tokio::task::spawn_blocking(move || {
            let target = match &req.path {
                Some(rel) => confine(&worktree, rel)?,
                None => worktree.clone(),
            };
            let profiles = catalog.profiles().map_err(|e| RunError::BadProfile(e.to_string()))?;
            let path_var = catalog.path_var(false);
            let found = editors(&profiles.editor, &path_var);
            let command = found.command.ok_or_else(|| RunError::NoEditor(HINT.into()))?;
            let argv = argv(&command, &target.to_string_lossy(), req.line).map_err(RunError::NoEditor)?;
            let program = crate::detect::which(&argv[0], &path_var).ok_or_else(|| {
                RunError::NoEditor(format!(
                    "the editor command `{}` was not found on your login shell's PATH; fix [editor] command in \
                     agents.toml (Agents settings)",
                    argv[0]
                ))
            })?;
            tracing::info!(run = %id, program = %program.display(), "opening the editor");
            spawn_detached(&argv, &program, &worktree, &path_var)
                .map_err(|e| RunError::NoEditor(format!("the editor `{}` could not start: {e}", argv[0])))
        })
        .await
        .map_err(|e| RunError::Io(format!("background task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh folder of this test process (the crate has no tempfile).
    fn temp(name: &str) -> anyhow::Result<PathBuf> {
        let dir = std::env::temp_dir().join(format!("viban-editor-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        Ok(dir)
    }

    fn v(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn placeholders_are_filled_and_dropped_without_a_line() {
        assert_eq!(argv("code --goto {path}:{line}", "/w/a b.rs", Some(7)), Ok(v(&["code", "--goto", "/w/a b.rs:7"])));
        assert_eq!(argv("code --goto {path}:{line}", "/w", None), Ok(v(&["code", "--goto", "/w"])));
        assert_eq!(argv("idea --line {line} {path}", "/w/x", Some(3)), Ok(v(&["idea", "--line", "3", "/w/x"])));
        assert_eq!(argv("idea --line {line} {path}", "/w", None), Ok(v(&["idea", "/w"])));
        assert_eq!(argv("vim +{line} {path}", "/w", None), Ok(v(&["vim", "/w"])));
        assert_eq!(argv("'my editor' -n", "/w/$(x)", Some(1)), Ok(v(&["my editor", "-n", "/w/$(x)"])));
        assert!(argv("", "/w", None).is_err());
        assert!(argv("code 'unclosed", "/w", None).is_err());
    }

    #[test]
    fn the_default_is_the_configured_command_else_the_first_installed_preset() -> anyhow::Result<()> {
        let dir = temp("presets")?;
        let none = editors(&EditorSettings::default(), &dir.display().to_string());
        assert!(none.command.is_none() && none.hint.is_some() && none.presets.iter().all(|p| !p.installed));
        for name in ["zed", "webstorm"] {
            let p = dir.join(name);
            std::fs::write(&p, "#!/bin/sh\n")?;
            std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
        }
        let found = editors(&EditorSettings::default(), &dir.display().to_string());
        assert_eq!(found.command.as_deref(), Some("zed {path}:{line}"));
        let mine = EditorSettings { command: Some("ed {path}".into()) };
        assert_eq!(editors(&mine, "").command.as_deref(), Some("ed {path}"));
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }

    #[test]
    fn paths_stay_inside_the_worktree() -> anyhow::Result<()> {
        let dir = temp("confine")?;
        let wt = dir.join("wt");
        std::fs::create_dir_all(wt.join("src"))?;
        std::fs::write(wt.join("src/a.rs"), "x")?;
        std::os::unix::fs::symlink("/etc", wt.join("out"))?;
        std::os::unix::fs::symlink("src/a.rs", wt.join("in"))?;
        assert_eq!(confine(&wt, "./src/a.rs")?, wt.join("src/a.rs"));
        assert_eq!(confine(&wt, "in")?, wt.join("in"));
        for bad in ["/etc/passwd", "../x", "src/../../x", "out/passwd", "out", "missing", ""] {
            assert!(matches!(confine(&wt, bad), Err(RunError::InvalidPath(_))), "{bad}");
        }
        std::fs::remove_dir_all(&dir)?;
        Ok(())
    }
}
