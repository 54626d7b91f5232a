//! The lines of one side of a file, for review comments: the worktree side read beneath the worktree without
//! following links (`read_beneath`), the merge-base side from git's object store. Blocking.

use std::path::Path;

use crate::diff::{DiffError, is_binary, os, run, run_ok};
use crate::diff_read::{Leaf, read_beneath};

/// Which side of the change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The merge-base's version.
    Old,
    /// The worktree's version.
    New,
}

/// Why a side has no lines to comment on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoText {
    Missing,
    Binary,
    TooLarge,
    /// A folder, submodule, FIFO, …
    NotAFile,
}

/// A side's text, or why there is none. A symbolic link's text is its target (as the diff shows it).
pub type SideText = Result<Vec<u8>, NoText>;

/// The bytes of `path` on `side`: the worktree's file (never through a link), or the blob at `merge_base:path`.
/// Files over `cap` bytes are `TooLarge`.
pub fn side_text(dir: &Path, merge_base: &str, path: &[u8], side: Side, cap: u64) -> Result<SideText, DiffError> {
    crate::diff::check_request_path(path)?;
    let bytes = match side {
        Side::New => match read_beneath(dir, path, cap).map_err(|e| DiffError::Io(e.to_string()))? {
            Leaf::File { bytes: Some(b), .. } => b,
            Leaf::File { bytes: None, .. } => return Ok(Err(NoText::TooLarge)),
            Leaf::Link(target) => target,
            Leaf::Other => return Ok(Err(NoText::NotAFile)),
            Leaf::Missing => return Ok(Err(NoText::Missing)),
        },
        Side::Old => match old_blob(dir, merge_base, path, cap)? {
            Ok(b) => b,
            Err(why) => return Ok(Err(why)),
        },
    };
    if is_binary(&bytes) {
        return Ok(Err(NoText::Binary));
    }
    Ok(Ok(bytes))
}

/// `git ls-tree -l <merge_base> -- <path>` names the object and its size; then `cat-file blob`.
fn old_blob(dir: &Path, merge_base: &str, path: &[u8], cap: u64) -> Result<SideText, DiffError> {
    if merge_base.is_empty() || merge_base.starts_with('-') {
        return Err(DiffError::TargetMissing(merge_base.to_string()));
    }
    let args = [
        os(b"--literal-pathspecs"),
        os(b"ls-tree"),
        os(b"-l"),
        os(b"-z"),
        os(merge_base.as_bytes()),
        os(b"--"),
        os(path),
    ];
    let out = run_ok(dir, &args)?;
    // `<mode> SP <type> SP <object> SP+ <size> TAB <path> NUL`; only the entry that is exactly `path`.
    let entry = out.split(|b| *b == 0).find_map(|rec| {
        let tab = rec.iter().position(|b| *b == b'\t')?;
        (&rec[tab + 1..] == path).then(|| String::from_utf8_lossy(&rec[..tab]).into_owned())
    });
    let Some(entry) = entry else { return Ok(Err(NoText::Missing)) };
    let fields: Vec<&str> = entry.split_whitespace().collect();
    let (Some(kind), Some(object), Some(size)) = (fields.get(1), fields.get(2), fields.get(3)) else {
        return Err(DiffError::Io(format!("unexpected ls-tree output: {entry}")));
    };
    if *kind != "blob" {
        return Ok(Err(NoText::NotAFile));
    }
    if size.parse::<u64>().map_or(true, |s| s > cap) {
        return Ok(Err(NoText::TooLarge));
    }
    let out = run(dir, &["cat-file", "blob", object])?;
    if !out.status.success() {
        return Err(crate::diff::failed(&["cat-file", "blob", object], &out));
    }
    Ok(Ok(out.stdout))
}

/// The lines of a text, without their line endings (`\n`, and a `\r` before it); a last line without a newline
/// counts, the empty piece after a final newline does not (as editors and diffs number lines).
pub fn split_lines(text: &[u8]) -> Vec<&[u8]> {
    if text.is_empty() {
        return Vec::new();
    }
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    body.split(|b| *b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_numbered_like_an_editor_does() {
        assert!(split_lines(b"").is_empty());
        assert_eq!(split_lines(b"a\nb\n"), vec![&b"a"[..], b"b"]);
        assert_eq!(split_lines(b"a\r\nb"), vec![&b"a"[..], b"b"]);
        assert_eq!(split_lines(b"\n"), vec![&b""[..]]);
        assert_eq!(split_lines(b"a\n\n"), vec![&b"a"[..], b""]);
    }
}
