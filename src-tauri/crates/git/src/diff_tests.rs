use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::process::Command;

use super::*;
use crate::{Caps, file_diff, write_patch};

fn git(dir: &Path, args: &[&str]) -> anyhow::Result<Vec<u8>> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@t", "-c", "core.autocrlf=false"])
        .args(args)
        .output()?;
    anyhow::ensure!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    Ok(out.stdout)
}

#[test]
fn parses_raw_and_numstat_records_with_renames_and_binaries() -> anyhow::Result<()> {
    let z = "0".repeat(40);
    let a = "a".repeat(40);
    let out = format!(
        ":100644 100644 {a} {a} R087\0old name\0new\tname\0:100644 100755 {a} {z} M\0bin\0\
         :000000 120000 {z} {z} A\0link\0\
         3\t1\t\0old name\0new\tname\0-\t-\tbin\0001\t0\tlink\0"
    );
    let files = parse_raw_numstat(out.as_bytes())?;
    assert_eq!(files.len(), 3);
    assert_eq!(files[0].path, b"new\tname");
    assert_eq!(files[0].old_path.as_deref(), Some(&b"old name"[..]));
    assert_eq!((files[0].change, files[0].additions, files[0].deletions), (Change::Renamed, 3, 1));
    assert!(files[1].binary && files[1].new_mode.as_deref() == Some("100755"));
    assert_eq!((files[2].change, files[2].old_mode.clone(), files[2].old_object.clone()), (Change::Added, None, None));
    assert_eq!(files[2].new_mode.as_deref(), Some("120000"));
    Ok(())
}

#[test]
fn counts_lines_as_git_does() {
    assert_eq!(count_lines(b""), 0);
    assert_eq!(count_lines(b"a"), 1);
    assert_eq!(count_lines(b"a\nb\n"), 2);
    assert_eq!(count_lines(b"a\r\nb"), 2);
    assert!(is_binary(b"x\0y") && !is_binary(b"plain"));
}

#[test]
fn request_paths_are_confined_and_lossy_names_resolve() {
    let entry = |p: &[u8]| DiffEntry {
        path: p.to_vec(),
        old_path: None,
        change: Change::Modified,
        additions: 0,
        deletions: 0,
        binary: false,
        untracked: false,
        old_mode: None,
        new_mode: None,
        old_object: None,
    };
    let files = vec![entry(b"a.txt"), entry(b"caf\xe9.txt")];
    for bad in [&b"../x"[..], b"/etc/passwd", b"a/../../x", b"", b"./a.txt"] {
        assert!(matches!(find_entry(&files, bad), Err(DiffError::InvalidPath(_))), "{bad:?}");
    }
    assert!(matches!(find_entry(&files, b"b.txt"), Err(DiffError::NotInDiff(_))));
    assert_eq!(find_entry(&files, b"caf\xe9.txt").map(|e| e.path.clone()).ok(), Some(b"caf\xe9.txt".to_vec()));
    assert_eq!(
        find_entry(&files, "caf\u{fffd}.txt".as_bytes()).map(|e| e.path.clone()).ok(),
        Some(b"caf\xe9.txt".to_vec())
    );
}

/// A repository with one of each kind of change against `main`, in a worktree on its own branch.
fn generated_repo(tmp: &Path) -> anyhow::Result<std::path::PathBuf> {
    let repo = tmp.join("repo");
    std::fs::create_dir_all(&repo)?;
    git(&repo, &["init", "-q", "-b", "main"])?;
    std::fs::write(repo.join("edit.txt"), "one\ntwo\nthree\n")?;
    std::fs::write(repo.join("gone.txt"), "bye\n")?;
    std::fs::write(repo.join("move.txt"), "a\nb\nc\nd\ne\nf\n")?;
    std::fs::write(repo.join("bin.dat"), b"\x00\x01\x02")?;
    std::fs::write(repo.join("mode.sh"), "echo hi\n")?;
    std::fs::write(repo.join("crlf.txt"), "a\r\nb\r\n")?;
    std::fs::write(repo.join("noeol.txt"), "end")?;
    std::fs::write(repo.join(".gitignore"), "*.log\n")?;
    git(&repo, &["add", "."])?;
    git(&repo, &["commit", "-qm", "base"])?;
    let wt = tmp.join("wt");
    git(&repo, &["worktree", "add", "-q", "-b", "work", wt.to_str().unwrap_or_default(), "main"])?;
    std::fs::write(wt.join("edit.txt"), "one\n2\nthree\nfour\n")?;
    std::fs::remove_file(wt.join("gone.txt"))?;
    git(&wt, &["mv", "move.txt", "moved.txt"])?;
    std::fs::write(wt.join("bin.dat"), b"\x00\x09\x09\x09")?;
    std::fs::set_permissions(wt.join("mode.sh"), std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    std::fs::write(wt.join("crlf.txt"), "a\r\nB\r\n")?;
    std::fs::write(wt.join("noeol.txt"), "end\nmore")?;
    std::fs::write(wt.join("staged.txt"), "new\n")?;
    git(&wt, &["add", "staged.txt"])?;
    std::fs::write(wt.join("debug.log"), "ignored\n")?;
    std::fs::write(wt.join("empty"), "")?;
    std::fs::write(wt.join(std::ffi::OsStr::from_bytes(b"caf\xe9.txt")), "latin-1 name\n")?;
    std::os::unix::fs::symlink("/etc/passwd", wt.join("link"))?;
    git(&wt, &["commit", "-qm", "wip", "--", "edit.txt"])?;
    Ok(wt)
}

#[test]
fn stats_match_git_on_a_generated_repository() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let wt = generated_repo(tmp.path())?;
    let stats = diff_stats(&wt, "main")?;
    assert_eq!(stats.merge_base, String::from_utf8(git(&wt, &["rev-parse", "main"])?)?.trim());
    let by = |p: &[u8]| stats.files.iter().find(|f| f.path == p).cloned();
    let names: Vec<String> = stats.files.iter().map(|f| String::from_utf8_lossy(&f.path).into_owned()).collect();
    assert!(!names.iter().any(|n| n == "debug.log"), "ignored files are not in the change: {names:?}");
    let edit = by(b"edit.txt").ok_or_else(|| anyhow::anyhow!("edit.txt missing: {names:?}"))?;
    assert_eq!((edit.additions, edit.deletions, edit.change), (2, 1, Change::Modified));
    assert_eq!(by(b"gone.txt").map(|f| f.change), Some(Change::Deleted));
    let moved = by(b"moved.txt").ok_or_else(|| anyhow::anyhow!("no rename"))?;
    assert_eq!((moved.change, moved.old_path.as_deref()), (Change::Renamed, Some(&b"move.txt"[..])));
    assert!(by(b"bin.dat").is_some_and(|f| f.binary));
    let mode = by(b"mode.sh").ok_or_else(|| anyhow::anyhow!("no mode change"))?;
    assert_eq!((mode.old_mode.as_deref(), mode.new_mode.as_deref()), (Some("100644"), Some("100755")));
    assert_eq!(by(b"crlf.txt").map(|f| (f.additions, f.deletions)), Some((1, 1)));
    assert_eq!(by(b"noeol.txt").map(|f| (f.additions, f.deletions)), Some((2, 1)));
    assert!(by(b"staged.txt").is_some_and(|f| f.change == Change::Added && !f.untracked));
    assert!(by(b"empty").is_some_and(|f| f.untracked && f.additions == 0));
    assert!(by(b"caf\xe9.txt").is_some_and(|f| f.untracked && f.additions == 1));
    assert!(by(b"link").is_some_and(|f| f.new_mode.as_deref() == Some("120000") && f.additions == 1));
    let mut sorted = stats.files.clone();
    sorted.sort_by(|a, b| a.path.cmp(&b.path));
    assert_eq!(sorted, stats.files);
    Ok(())
}

#[test]
fn patch_and_file_contents_are_gits_own() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let wt = generated_repo(tmp.path())?;
    let stats = diff_files(&wt, "main")?;
    let untracked: Vec<&[u8]> = stats.files.iter().filter(|f| f.untracked).map(|f| f.path.as_slice()).collect();
    let mut patch = Vec::new();
    write_patch(&wt, &stats.merge_base, &untracked, &mut patch)?;
    let mut expected = git(&wt, &["diff", &stats.merge_base])?;
    for p in &untracked {
        let out = Command::new("git")
            .arg("-C")
            .arg(&wt)
            .args(["diff", "--no-index", "/dev/null"])
            .arg(std::ffi::OsStr::from_bytes(p))
            .output()?;
        expected.extend(out.stdout);
    }
    assert_eq!(String::from_utf8_lossy(&patch), String::from_utf8_lossy(&expected));
    assert_eq!(patch, expected);

    let edit = find_entry(&stats.files, b"edit.txt")?;
    let f = file_diff(&wt, &stats.merge_base, edit, Caps::default())?;
    assert_eq!(f.old.as_deref(), Some(&b"one\ntwo\nthree\n"[..]));
    assert_eq!(f.new.as_deref(), Some(&b"one\n2\nthree\nfour\n"[..]));
    assert!(String::from_utf8_lossy(&f.patch).contains("+four"));
    let link = file_diff(&wt, &stats.merge_base, find_entry(&stats.files, b"link")?, Caps::default())?;
    assert_eq!(link.new.as_deref(), Some(&b"/etc/passwd"[..]), "a link is its target text, never followed");
    let bin = file_diff(&wt, &stats.merge_base, find_entry(&stats.files, b"bin.dat")?, Caps::default())?;
    assert!(bin.binary && bin.old.is_none() && (bin.old_size, bin.new_size) == (3, 4));
    let small = Caps { max_bytes: 4, max_lines: 20_000 };
    let big = file_diff(&wt, &stats.merge_base, edit, small)?;
    assert!(big.too_large && big.old.is_none() && big.patch.is_empty());
    Ok(())
}

#[test]
fn bad_targets_and_missing_worktrees_say_so() -> anyhow::Result<()> {
    let tmp = tempfile::tempdir()?;
    let wt = generated_repo(tmp.path())?;
    assert!(matches!(diff_stats(&wt, "no-such-branch"), Err(DiffError::TargetMissing(b)) if b == "no-such-branch"));
    assert!(matches!(diff_stats(&tmp.path().join("nope"), "main"), Err(DiffError::WorktreeMissing(_))));
    // Detached HEAD: the merge-base is still defined.
    git(&wt, &["checkout", "-q", "--detach"])?;
    assert!(diff_stats(&wt, "main").is_ok());
    // A crashed git's lock does not stop reads.
    let git_dir = String::from_utf8(git(&wt, &["rev-parse", "--absolute-git-dir"])?)?;
    std::fs::write(Path::new(git_dir.trim()).join("index.lock"), "")?;
    assert!(diff_stats(&wt, "main").is_ok());
    std::fs::rename(tmp.path().join("repo"), tmp.path().join("moved"))?;
    assert!(matches!(diff_stats(&wt, "main"), Err(DiffError::RepoMissing(_))));
    Ok(())
}
