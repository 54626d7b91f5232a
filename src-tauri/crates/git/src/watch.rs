//! One debounced file watcher for every worktree. Directories are watched one by one (not recursively), skipping
//! `.git/`, `node_modules/`, `target/` and what `.gitignore` ignores, so a worktree with a big dependency tree
//! costs only the inotify watches of its own sources. New directories are added as they appear.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use ignore::gitignore::Gitignore;
use notify::{EventKind, RecursiveMode};
use notify_debouncer_full::{DebounceEventResult, new_debouncer};

/// Never watched, whatever `.gitignore` says.
const SKIPPED: [&str; 3] = [".git", "node_modules", "target"];
const DEBOUNCE: Duration = Duration::from_millis(250);
/// More paths than this in one batch are reported as "many" (refetch everything), not listed.
pub const MAX_TOUCHED_PATHS: usize = 200;

enum Command {
    Watch(PathBuf),
    Unwatch(PathBuf),
    Events(Vec<(PathBuf, bool)>),
    /// Events were lost: report every worktree as changed and watch the folders made meanwhile.
    Rescan,
}

#[derive(Debug, thiserror::Error)]
#[error("could not start the file watcher: {0}")]
pub struct WatchError(String);

/// One debounced batch of changes in one worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Touched {
    pub root: PathBuf,
    /// Paths relative to `root` (files or folders written, created or removed), sorted; None when there were more
    /// than `MAX_TOUCHED_PATHS` or a new folder appeared (its files may predate its watch): look at everything.
    pub paths: Option<Vec<PathBuf>>,
}

/// Handle to the watcher thread. Changed worktrees arrive on the channel given to `start`.
#[derive(Debug, Clone)]
pub struct WorktreeWatcher {
    commands: mpsc::Sender<Command>,
}

impl WorktreeWatcher {
    /// Starts the watcher thread; each debounced batch of relevant changes sends what changed, per worktree.
    pub fn start(changed: tokio::sync::mpsc::UnboundedSender<Touched>) -> Result<Self, WatchError> {
        let (tx, rx) = mpsc::channel();
        let events = tx.clone();
        let debouncer = new_debouncer(DEBOUNCE, None, move |result: DebounceEventResult| {
            // The kernel's event queue overflowed (thousands of files written at once on a busy machine) or the
            // backend failed: events were lost, so every worktree must be looked at again, never left stale.
            let batch = match result {
                Ok(batch) if !batch.iter().any(|e| e.need_rescan()) => batch,
                Ok(_) | Err(_) => {
                    let _ = events.send(Command::Rescan);
                    return;
                }
            };
            let paths = batch
                .iter()
                .flat_map(|e| {
                    let created = matches!(e.kind, EventKind::Create(_));
                    e.paths.iter().map(move |p| (p.clone(), created))
                })
                .collect();
            let _ = events.send(Command::Events(paths));
        })
        .map_err(|e| WatchError(e.to_string()))?;
        std::thread::Builder::new()
            .name("worktree-watch".into())
            .spawn(move || run(debouncer, rx, changed))
            .map_err(|e| WatchError(e.to_string()))?;
        Ok(Self { commands: tx })
    }

    pub fn watch(&self, root: &Path) {
        let _ = self.commands.send(Command::Watch(root.to_path_buf()));
    }

    pub fn unwatch(&self, root: &Path) {
        let _ = self.commands.send(Command::Unwatch(root.to_path_buf()));
    }
}

struct Root {
    ignore: Gitignore,
    dirs: HashSet<PathBuf>,
}

fn skipped(name: &std::ffi::OsStr) -> bool {
    SKIPPED.iter().any(|s| name == *s)
}

/// Directories under `dir` worth watching.
fn watchable_dirs(dir: &Path) -> Vec<PathBuf> {
    ignore::WalkBuilder::new(dir)
        .hidden(false)
        .git_ignore(true)
        .git_exclude(true)
        .require_git(false)
        .filter_entry(|e| !skipped(e.file_name()))
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_some_and(|t| t.is_dir()))
        .map(ignore::DirEntry::into_path)
        .collect()
}

fn run<W: notify::Watcher, C: notify_debouncer_full::FileIdCache>(
    mut debouncer: notify_debouncer_full::Debouncer<W, C>,
    commands: mpsc::Receiver<Command>,
    changed: tokio::sync::mpsc::UnboundedSender<Touched>,
) {
    let mut roots: BTreeMap<PathBuf, Root> = BTreeMap::new();
    let add_dirs = |debouncer: &mut notify_debouncer_full::Debouncer<W, C>, root: &mut Root, dir: &Path| {
        for d in watchable_dirs(dir) {
            if !root.dirs.contains(&d) && debouncer.watch(&d, RecursiveMode::NonRecursive).is_ok() {
                root.dirs.insert(d);
            }
        }
    };
    while let Ok(cmd) = commands.recv() {
        match cmd {
            Command::Watch(path) => {
                let (ignore, _) = Gitignore::new(path.join(".gitignore"));
                let mut root = Root { ignore, dirs: HashSet::new() };
                add_dirs(&mut debouncer, &mut root, &path);
                tracing::debug!(root = %path.display(), dirs = root.dirs.len(), "watching worktree");
                roots.insert(path, root);
            }
            Command::Unwatch(path) => {
                if let Some(root) = roots.remove(&path) {
                    for d in root.dirs {
                        let _ = debouncer.unwatch(&d);
                    }
                }
            }
            Command::Rescan => {
                tracing::debug!("watcher lost events: every worktree is reported changed");
                for (path, root) in roots.iter_mut() {
                    add_dirs(&mut debouncer, root, path);
                    let _ = changed.send(Touched { root: path.clone(), paths: None });
                }
            }
            Command::Events(paths) => {
                let mut touched: BTreeMap<PathBuf, Option<BTreeSet<PathBuf>>> = BTreeMap::new();
                for (p, created) in paths {
                    let Some((root_path, root)) = roots.iter_mut().rev().find(|(r, _)| p.starts_with(r)) else {
                        continue;
                    };
                    let Ok(rel) = p.strip_prefix(root_path) else { continue };
                    if rel.components().any(|c| skipped(c.as_os_str())) {
                        continue;
                    }
                    let is_dir = p.is_dir();
                    if root.ignore.matched_path_or_any_parents(rel, is_dir).is_ignore() {
                        continue;
                    }
                    let paths = touched.entry(root_path.clone()).or_insert_with(|| Some(BTreeSet::new()));
                    if created && is_dir {
                        add_dirs(&mut debouncer, root, &p);
                        *paths = None;
                    }
                    if let Some(set) = paths.as_mut().filter(|_| !rel.as_os_str().is_empty()) {
                        set.insert(rel.to_path_buf());
                        if set.len() > MAX_TOUCHED_PATHS {
                            *paths = None;
                        }
                    }
                }
                for (root, paths) in touched {
                    let _ = changed.send(Touched { root, paths: paths.map(|s| s.into_iter().collect()) });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skips_dependency_and_git_folders_and_gitignored_ones() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        for d in ["src/a", "node_modules/x/y", "target/debug", ".git/objects", "build/out"] {
            std::fs::create_dir_all(dir.path().join(d))?;
        }
        std::fs::write(dir.path().join(".gitignore"), "build/\n")?;
        let mut dirs: Vec<String> = watchable_dirs(dir.path())
            .iter()
            .filter_map(|d| d.strip_prefix(dir.path()).ok().map(|r| r.display().to_string()))
            .collect();
        dirs.sort();
        assert_eq!(dirs, vec!["", "src", "src/a"]);
        Ok(())
    }

    #[tokio::test]
    async fn reports_changes_in_new_folders_but_not_in_ignored_ones() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().canonicalize()?;
        std::fs::create_dir_all(root.join("node_modules"))?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let w = WorktreeWatcher::start(tx)?;
        w.watch(&root);
        tokio::time::sleep(Duration::from_millis(200)).await;
        std::fs::write(root.join("node_modules/junk.js"), "x")?;
        let quiet = tokio::time::timeout(Duration::from_millis(800), rx.recv()).await;
        assert!(quiet.is_err(), "a change in node_modules was reported");
        std::fs::create_dir_all(root.join("src/deep"))?;
        let first = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await?;
        assert_eq!(first, Some(Touched { root: root.clone(), paths: None }), "a new folder: look at everything");
        // The new folder is watched too.
        tokio::time::sleep(Duration::from_millis(400)).await;
        while rx.try_recv().is_ok() {}
        std::fs::write(root.join("src/deep/file.rs"), "fn main() {}")?;
        let second = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await?;
        assert_eq!(second, Some(Touched { root, paths: Some(vec![PathBuf::from("src/deep/file.rs")]) }));
        Ok(())
    }

    #[tokio::test]
    async fn lost_events_report_every_worktree_as_changed() -> anyhow::Result<()> {
        let (a, b) = (tempfile::tempdir()?, tempfile::tempdir()?);
        let roots = [a.path().canonicalize()?, b.path().canonicalize()?];
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let w = WorktreeWatcher::start(tx)?;
        for r in &roots {
            w.watch(r);
        }
        // What an inotify queue overflow looks like to us: a rescan, with no path named. Nothing was written, so
        // only the rescan can make these reports.
        let _ = w.commands.send(Command::Rescan);
        let mut seen = Vec::new();
        for _ in 0..2 {
            let got = tokio::time::timeout(Duration::from_secs(5), rx.recv()).await?;
            seen.extend(got.filter(|t| t.paths.is_none()).map(|t| t.root));
        }
        seen.sort();
        let mut expected = roots.to_vec();
        expected.sort();
        assert_eq!(seen, expected);
        Ok(())
    }
}
