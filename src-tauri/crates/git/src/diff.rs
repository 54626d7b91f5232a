//! What a run's worktree holds against the merge-base with its target: the file list with +/− counts (stats first,
//! `--numstat`-class cost), through the host's `git`. Everything is read with `-z` and kept as bytes: git may hold
//! any byte in a file name, and a name is never re-parsed from quoted or lossy text (callers decide how to show it).
//! Blocking: call from a blocking thread.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// git's own binary test: a NUL in the first 8000 bytes (`buffer_is_binary`).
pub const BINARY_SNIFF: usize = 8000;

#[derive(Debug, thiserror::Error)]
pub enum DiffError {
    #[error("the worktree {0} is gone (removed by hand?): start a new run, or restore the folder")]
    WorktreeMissing(PathBuf),
    #[error(
        "{0} is no longer a git worktree: its repository was moved or deleted; move it back, or run \
         `git worktree repair {0}` in the repository's new place"
    )]
    RepoMissing(PathBuf),
    #[error("the target {0:?} no longer exists in the repository: recreate the branch, or start a run on another base")]
    TargetMissing(String),
    #[error("the worktree's branch and {0:?} have no common history: there is no merge-base to compare with")]
    NoMergeBase(String),
    #[error("{0:?} is not a file of this run's changes")]
    NotInDiff(String),
    #[error("{0:?} is not a relative path inside the worktree")]
    InvalidPath(String),
    #[error(transparent)]
    Git(#[from] crate::GitError),
    #[error("{0}")]
    Io(String),
}

/// How a file changed (git's status letters A, M, D, R, C, T).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    Added,
    Modified,
    Deleted,
    Renamed,
    Copied,
    TypeChanged,
}

/// One file of the change. Paths are the exact bytes git reported, relative to the worktree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffEntry {
    pub path: Vec<u8>,
    pub old_path: Option<Vec<u8>>,
    pub change: Change,
    pub additions: u64,
    pub deletions: u64,
    pub binary: bool,
    pub untracked: bool,
    /// Octal modes as git prints them (`100644`, `100755`, `120000` link, `160000` submodule); None on the side
    /// that does not exist.
    pub old_mode: Option<String>,
    pub new_mode: Option<String>,
    /// The merge-base side's object id (None when added).
    pub old_object: Option<String>,
}

impl DiffEntry {
    pub fn is_gitlink(&self) -> bool {
        self.old_mode.as_deref() == Some("160000") || self.new_mode.as_deref() == Some("160000")
    }
}

/// The whole change of a worktree against its target.
#[derive(Debug, Clone)]
pub struct DiffStats {
    pub target: String,
    pub merge_base: String,
    /// Sorted by path bytes.
    pub files: Vec<DiffEntry>,
}

/// The runner's git (runner.rs), with its errors as diff errors.
pub(crate) fn command(dir: &Path) -> Command {
    crate::runner::command(dir)
}

pub(crate) fn run<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Result<Output, DiffError> {
    Ok(crate::runner::run(dir, args)?)
}

pub(crate) fn failed<S: AsRef<OsStr>>(args: &[S], out: &Output) -> DiffError {
    DiffError::Git(crate::runner::failed(args, out))
}

/// stdout of a git command that must succeed.
pub(crate) fn run_ok<S: AsRef<OsStr>>(dir: &Path, args: &[S]) -> Result<Vec<u8>, DiffError> {
    Ok(crate::runner::run_ok(dir, args)?)
}

fn trimmed(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).trim().to_string()
}

/// The worktree exists and git still recognises it (its repository was not moved or deleted).
pub fn check_worktree(dir: &Path) -> Result<(), DiffError> {
    if !dir.is_dir() {
        return Err(DiffError::WorktreeMissing(dir.to_path_buf()));
    }
    let out = run(dir, &["rev-parse", "--is-inside-work-tree"])?;
    if !out.status.success() {
        tracing::warn!(dir = %dir.display(), stderr = %String::from_utf8_lossy(&out.stderr).trim(), "not a worktree");
        return Err(DiffError::RepoMissing(dir.to_path_buf()));
    }
    Ok(())
}

/// The commit the change is measured from: a full commit id is that commit; anything else (a branch, a tag, a
/// remote branch) is the merge-base of HEAD (detached or not) and what it names now.
pub fn merge_base(dir: &Path, target: &str) -> Result<String, DiffError> {
    if target.is_empty() || target.starts_with('-') {
        return Err(DiffError::TargetMissing(target.to_string()));
    }
    let is_full_id = matches!(target.len(), 40 | 64) && target.bytes().all(|b| b.is_ascii_hexdigit());
    let resolved = run(dir, &["rev-parse", "--verify", "-q", &format!("{target}^{{commit}}")])?;
    if !resolved.status.success() {
        return Err(DiffError::TargetMissing(target.to_string()));
    }
    let commit = trimmed(resolved.stdout);
    if is_full_id {
        return Ok(commit);
    }
    let out = run(dir, &["merge-base", "HEAD", &commit])?;
    match out.status.code() {
        Some(0) => Ok(trimmed(out.stdout)),
        Some(1) => Err(DiffError::NoMergeBase(target.to_string())),
        _ => Err(failed(&["merge-base", "HEAD", &commit], &out)),
    }
}

/// The file list with +/− counts: tracked changes (committed, staged or not) from one `git diff --raw --numstat`,
/// untracked files that are not ignored with their lines counted here (git would need a process per file).
pub fn diff_stats(dir: &Path, target: &str) -> Result<DiffStats, DiffError> {
    list(dir, target, true)
}

/// The file list without counts (cheaper: no file is read); what a single-file request is checked against.
pub fn diff_files(dir: &Path, target: &str) -> Result<DiffStats, DiffError> {
    list(dir, target, false)
}

fn list(dir: &Path, target: &str, counts: bool) -> Result<DiffStats, DiffError> {
    check_worktree(dir)?;
    let merge_base = merge_base(dir, target)?;
    let mut args = vec!["diff", "--raw", "-z", "-M", "--no-abbrev", "--no-ext-diff", "--no-color"];
    if counts {
        args.push("--numstat");
    }
    args.extend([merge_base.as_str(), "--"]);
    let raw = run_ok(dir, &args)?;
    let mut files = parse_raw_numstat(&raw)?;
    let others = run_ok(dir, &["ls-files", "--others", "--exclude-standard", "-z"])?;
    let others: Vec<&[u8]> = others.split(|b| *b == 0).filter(|p| !p.is_empty()).collect();
    files.extend(untracked_entries(dir, &others, counts));
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(DiffStats { target: target.to_string(), merge_base, files })
}

/// Untracked files are read to count their lines, on every core for a large change (thousands of files written by
/// an agent); in listing order.
fn untracked_entries(dir: &Path, paths: &[&[u8]], counts: bool) -> Vec<DiffEntry> {
    const PER_THREAD: usize = 256;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(paths.len() / PER_THREAD).max(1);
    if threads == 1 {
        return paths.iter().map(|p| untracked_entry(dir, p, counts)).collect();
    }
    let chunk = paths.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let workers: Vec<_> = paths
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|p| untracked_entry(dir, p, counts)).collect::<Vec<_>>()))
            .collect();
        let mut out = Vec::with_capacity(paths.len());
        for (worker, part) in workers.into_iter().zip(paths.chunks(chunk)) {
            // A worker that panicked: its part is counted here instead.
            out.extend(
                worker.join().unwrap_or_else(|_| part.iter().map(|p| untracked_entry(dir, p, counts)).collect()),
            );
        }
        out
    })
}

fn untracked_entry(dir: &Path, path: &[u8], counts: bool) -> DiffEntry {
    // A folder (`sub/`) is an untracked repository inside the worktree: git lists it, never its files.
    let nested_repo = path.ends_with(b"/");
    let mut entry = DiffEntry {
        path: path.to_vec(),
        old_path: None,
        change: Change::Added,
        additions: 0,
        deletions: 0,
        binary: false,
        untracked: true,
        old_mode: None,
        new_mode: None,
        old_object: None,
    };
    if nested_repo {
        entry.new_mode = Some("160000".into());
        return entry;
    }
    match crate::diff_read::read_beneath(dir, path, if counts { u64::MAX } else { 0 }) {
        Ok(crate::diff_read::Leaf::Link(target)) => {
            entry.new_mode = Some("120000".into());
            entry.additions = u64::from(!target.is_empty());
        }
        Ok(crate::diff_read::Leaf::File { executable, bytes, .. }) => {
            entry.new_mode = Some(if executable { "100755" } else { "100644" }.into());
            if let Some(bytes) = bytes {
                entry.binary = is_binary(&bytes);
                if !entry.binary {
                    entry.additions = count_lines(&bytes);
                }
            }
        }
        Ok(crate::diff_read::Leaf::Other | crate::diff_read::Leaf::Missing) => {}
        Err(e) => tracing::debug!(path = %String::from_utf8_lossy(path), error = %e, "untracked file not read"),
    }
    entry
}

/// Whether git would call these bytes binary.
pub fn is_binary(bytes: &[u8]) -> bool {
    bytes[..bytes.len().min(BINARY_SNIFF)].contains(&0)
}

/// Lines as git counts them: a last line without a newline counts too.
pub fn count_lines(bytes: &[u8]) -> u64 {
    let newlines = bytes.iter().filter(|b| **b == b'\n').count() as u64;
    newlines + u64::from(bytes.last().is_some_and(|b| *b != b'\n'))
}

fn bad(what: &str) -> DiffError {
    DiffError::Io(format!("unexpected `git diff` output: {what}"))
}

/// Parses `git diff --raw [--numstat] -z` output: every raw record (`:old new oid oid STATUS\0path\0[path\0]`),
/// then, with `--numstat`, one numstat record per file in the same order (`add\tdel\tpath\0`, or
/// `add\tdel\t\0old\0new\0` for a rename or copy; `-\t-` for binary).
pub fn parse_raw_numstat(out: &[u8]) -> Result<Vec<DiffEntry>, DiffError> {
    let mut fields = out.split(|b| *b == 0).peekable();
    let mut files = Vec::new();
    while let Some(head) = fields.next_if(|f| f.first() == Some(&b':')) {
        let head = std::str::from_utf8(&head[1..]).map_err(|_| bad("raw header"))?;
        let parts: Vec<&str> = head.split(' ').collect();
        let [old_mode, new_mode, old_oid, _new_oid, status] = parts[..] else { return Err(bad(head)) };
        let letter = status.as_bytes().first().copied().ok_or_else(|| bad(head))?;
        let change = match letter {
            b'A' => Change::Added,
            b'D' => Change::Deleted,
            b'R' => Change::Renamed,
            b'C' => Change::Copied,
            b'T' => Change::TypeChanged,
            _ => Change::Modified,
        };
        let first = fields.next().ok_or_else(|| bad("missing path"))?.to_vec();
        let (path, old_path) = if matches!(change, Change::Renamed | Change::Copied) {
            (fields.next().ok_or_else(|| bad("missing new path"))?.to_vec(), Some(first))
        } else {
            (first, None)
        };
        let mode = |m: &str| (!m.trim_start_matches('0').is_empty()).then(|| m.to_string());
        let old_mode = mode(old_mode);
        files.push(DiffEntry {
            path,
            old_path,
            change,
            additions: 0,
            deletions: 0,
            binary: false,
            untracked: false,
            old_object: old_mode.as_ref().map(|_| old_oid.to_string()),
            old_mode,
            new_mode: mode(new_mode),
        });
    }
    for entry in &mut files {
        // Without `--numstat` only the empty field after the last NUL is left.
        let Some(record) = fields.next().filter(|r| !r.is_empty()) else { break };
        let text = std::str::from_utf8(record).map_err(|_| bad("numstat"))?;
        let mut it = text.splitn(3, '\t');
        let (add, del) = (it.next().unwrap_or(""), it.next().unwrap_or(""));
        let rest = it.next().unwrap_or("");
        if rest.is_empty() {
            // A rename or copy: the two paths follow as fields of their own.
            fields.next();
            fields.next();
        }
        if add == "-" {
            entry.binary = true;
        } else {
            entry.additions = add.parse().map_err(|_| bad("numstat count"))?;
            entry.deletions = del.parse().map_err(|_| bad("numstat count"))?;
        }
    }
    Ok(files)
}

/// `bytes` as an argument or path, unchanged (non-UTF-8 names included).
pub(crate) fn os(bytes: &[u8]) -> OsString {
    OsString::from_vec(bytes.to_vec())
}

/// A requested path: relative, no `..`, no NUL; `./` and duplicate slashes are not accepted either, so a path
/// means exactly one name in the list.
pub fn check_request_path(path: &[u8]) -> Result<(), DiffError> {
    let shown = || DiffError::InvalidPath(String::from_utf8_lossy(path).into_owned());
    if path.is_empty() || path.starts_with(b"/") || path.contains(&0) {
        return Err(shown());
    }
    if Path::new(OsStr::from_bytes(path)).components().any(|c| !matches!(c, std::path::Component::Normal(_))) {
        return Err(shown());
    }
    Ok(())
}

/// The file of the change `path` names: exact bytes first; else the one file whose lossy UTF-8 form is `path`
/// (how the JSON shows a non-UTF-8 name).
pub fn find_entry<'a>(files: &'a [DiffEntry], path: &[u8]) -> Result<&'a DiffEntry, DiffError> {
    check_request_path(path)?;
    if let Some(e) = files.iter().find(|e| e.path == path) {
        return Ok(e);
    }
    let mut lossy = files.iter().filter(|e| String::from_utf8_lossy(&e.path).as_bytes() == path);
    match (lossy.next(), lossy.next()) {
        (Some(e), None) => Ok(e),
        _ => Err(DiffError::NotInDiff(String::from_utf8_lossy(path).into_owned())),
    }
}

#[cfg(test)]
#[path = "diff_tests.rs"]
mod tests;
