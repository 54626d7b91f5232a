//! One file of the change on demand (both sides' contents and its patch, under a per-file cap), and the whole
//! change as one unified patch, streamed: `git diff <merge-base>` for tracked files, then
//! `git diff --no-index /dev/null <file>` for each untracked one — byte for byte what those commands print.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;

use crate::diff::{DiffEntry, DiffError, count_lines, is_binary, os, run, run_ok};
use crate::diff_read::{Leaf, read_beneath};

/// Above either, a file's contents and patch are not sent ("too large to show here").
#[derive(Debug, Clone, Copy)]
pub struct Caps {
    pub max_bytes: u64,
    pub max_lines: u64,
}

impl Default for Caps {
    fn default() -> Self {
        Self { max_bytes: 1 << 20, max_lines: 20_000 }
    }
}

/// One file: sizes, both sides' bytes (None for a side that does not exist, is binary, a submodule, or when the file
/// is too large) and its unified patch (empty when too large).
#[derive(Debug, Clone, Default)]
pub struct FileDiffData {
    pub binary: bool,
    pub too_large: bool,
    pub old_size: u64,
    pub new_size: u64,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
    pub patch: Vec<u8>,
}

fn io_err(e: impl std::fmt::Display) -> DiffError {
    DiffError::Io(e.to_string())
}

/// The merge-base side: the object the raw diff named (never the worktree).
fn old_side(dir: &Path, entry: &DiffEntry, caps: Caps) -> Result<(u64, Option<Vec<u8>>, bool), DiffError> {
    let Some(oid) = entry.old_object.as_deref().filter(|_| entry.old_mode.as_deref() != Some("160000")) else {
        return Ok((0, None, false));
    };
    let size: u64 = String::from_utf8_lossy(&run_ok(dir, &["cat-file", "-s", oid])?).trim().parse().map_err(io_err)?;
    if size > caps.max_bytes {
        return Ok((size, None, true));
    }
    Ok((size, Some(run_ok(dir, &["cat-file", "blob", oid])?), false))
}

/// The worktree side, read beneath the worktree without following links (a link shows as its target text).
fn new_side(dir: &Path, entry: &DiffEntry, caps: Caps) -> Result<(u64, Option<Vec<u8>>, bool), DiffError> {
    if entry.new_mode.is_none() || entry.new_mode.as_deref() == Some("160000") {
        return Ok((0, None, false));
    }
    match read_beneath(dir, &entry.path, caps.max_bytes).map_err(io_err)? {
        Leaf::Link(target) => Ok((target.len() as u64, Some(target), false)),
        Leaf::File { size, bytes: Some(b), .. } => Ok((size, Some(b), false)),
        Leaf::File { size, bytes: None, .. } => Ok((size, None, true)),
        Leaf::Other | Leaf::Missing => Ok((0, None, false)),
    }
}

/// One file of the change (`entry` from `diff_files`/`diff_stats` of the same worktree and merge-base).
pub fn file_diff(dir: &Path, merge_base: &str, entry: &DiffEntry, caps: Caps) -> Result<FileDiffData, DiffError> {
    let (old_size, old, old_big) = old_side(dir, entry, caps)?;
    let (new_size, new, new_big) = new_side(dir, entry, caps)?;
    let too_many_lines = |b: &Option<Vec<u8>>| b.as_deref().is_some_and(|b| count_lines(b) > caps.max_lines);
    let too_large = old_big || new_big || too_many_lines(&old) || too_many_lines(&new);
    let binary = entry.binary || [&old, &new].iter().any(|b| b.as_deref().is_some_and(is_binary));
    let mut data = FileDiffData { binary, too_large, old_size, new_size, ..Default::default() };
    if too_large {
        return Ok(data);
    }
    data.patch = file_patch(dir, merge_base, entry)?;
    if !binary {
        (data.old, data.new) = (old, new);
    }
    Ok(data)
}

/// The unified patch of one file, as the full patch has it.
pub fn file_patch(dir: &Path, merge_base: &str, entry: &DiffEntry) -> Result<Vec<u8>, DiffError> {
    if entry.untracked {
        return untracked_patch(dir, &entry.path);
    }
    let mut args = vec![os(b"--literal-pathspecs"), os(b"diff"), os(b"--no-color"), os(b"--no-ext-diff"), os(b"-M")];
    args.extend([os(merge_base.as_bytes()), os(b"--")]);
    if let Some(old) = &entry.old_path {
        args.push(os(old));
    }
    args.push(os(&entry.path));
    run_ok(dir, &args)
}

fn untracked_args(path: &[u8]) -> Vec<std::ffi::OsString> {
    ["diff", "--no-index", "--no-color", "--no-ext-diff", "--", "/dev/null"]
        .iter()
        .map(|a| os(a.as_bytes()))
        .chain([os(path)])
        .collect()
}

/// `git diff --no-index /dev/null <path>`, which exits 1 when there is a difference.
fn untracked_patch(dir: &Path, path: &[u8]) -> Result<Vec<u8>, DiffError> {
    let args = untracked_args(path);
    let out = run(dir, &args)?;
    match out.status.code() {
        Some(0 | 1) => Ok(out.stdout),
        _ => Err(crate::diff::failed(&args, &out)),
    }
}

/// Streams one git command's stdout into `out`. `ok_codes`: exit codes that are not failures.
fn stream<S: AsRef<std::ffi::OsStr>>(
    dir: &Path,
    args: &[S],
    ok_codes: &[i32],
    out: &mut dyn Write,
) -> Result<(), DiffError> {
    let mut child = crate::diff::command(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| DiffError::Git(crate::GitError::Spawn(e)))?;
    let copied = match child.stdout.take() {
        Some(mut stdout) => std::io::copy(&mut stdout, out).map(|_| ()),
        None => Ok(()),
    };
    if let Err(e) = copied {
        // The reader went away (the client closed the download): stop git too.
        let _ = child.kill();
        let _ = child.wait();
        return Err(io_err(e));
    }
    let mut stderr = Vec::new();
    if let Some(mut s) = child.stderr.take() {
        let _ = s.read_to_end(&mut stderr);
    }
    let status = child.wait().map_err(io_err)?;
    if status.code().is_some_and(|c| ok_codes.contains(&c)) {
        return Ok(());
    }
    let out = std::process::Output { status, stdout: Vec::new(), stderr };
    Err(crate::diff::failed(args, &out))
}

/// The whole change as one patch, written to `out` as git produces it (never held whole in memory).
/// `untracked`: the untracked files of the change, in order (folders — nested repositories — are skipped: git has
/// no patch for them).
pub fn write_patch(dir: &Path, merge_base: &str, untracked: &[&[u8]], out: &mut dyn Write) -> Result<(), DiffError> {
    stream(dir, &["diff", "--no-color", "--no-ext-diff", merge_base], &[0], out)?;
    for path in untracked.iter().filter(|p| !p.ends_with(b"/")) {
        stream(dir, &untracked_args(path), &[0, 1], out)?;
    }
    out.flush().map_err(io_err)
}
