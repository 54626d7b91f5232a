//! Disk usage of a worktree, the way `du -sb` counts it: the apparent size (`st_size`) of every entry — files,
//! folders, symbolic links (their own size, never followed) — with hard-linked files counted once. Nothing is
//! excluded (`.git`, `node_modules` and `target` are what fill disks). Blocking; the caps keep a huge tree from
//! occupying a thread for long: past them the sum so far is returned, marked incomplete.

use std::collections::HashSet;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How much one walk may do.
#[derive(Debug, Clone, Copy)]
pub struct WalkCaps {
    pub max_entries: u64,
    pub max_time: Duration,
}

impl Default for WalkCaps {
    fn default() -> Self {
        Self { max_entries: 2_000_000, max_time: Duration::from_secs(20) }
    }
}

/// The result of a walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DiskUsage {
    pub bytes: u64,
    pub entries: u64,
    /// False when a cap was reached or something could not be read: `bytes` is then a lower bound.
    pub complete: bool,
}

/// The apparent size of `root` and everything beneath it, never following a symbolic link (not even `root`).
pub fn apparent_size(root: &Path, caps: WalkCaps) -> DiskUsage {
    let started = Instant::now();
    let mut usage = DiskUsage { complete: true, ..DiskUsage::default() };
    // (device, inode) of files with more than one link: `du` counts each once.
    let mut linked: HashSet<(u64, u64)> = HashSet::new();
    let meta = match std::fs::symlink_metadata(root) {
        Ok(m) => m,
        Err(_) => return DiskUsage::default(),
    };
    usage.bytes = meta.len();
    usage.entries = 1;
    if !meta.is_dir() {
        return usage;
    }
    let mut dirs: Vec<PathBuf> = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        let Ok(read) = std::fs::read_dir(&dir) else {
            usage.complete = false;
            continue;
        };
        for entry in read {
            if usage.entries >= caps.max_entries || started.elapsed() >= caps.max_time {
                usage.complete = false;
                return usage;
            }
            // `DirEntry::metadata` does not traverse symbolic links.
            let Ok(m) = entry.and_then(|e| e.metadata().map(|m| (e.path(), m))) else {
                usage.complete = false;
                continue;
            };
            let (path, m) = m;
            usage.entries += 1;
            if m.is_dir() {
                usage.bytes += m.len();
                dirs.push(path);
            } else if m.nlink() > 1 && !linked.insert((m.dev(), m.ino())) {
                // Another name of a file already counted.
            } else {
                usage.bytes += m.len();
            }
        }
    }
    usage
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_like_du_sb_links_once_and_never_follows_symlinks() -> anyhow::Result<()> {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path().join("wt");
        std::fs::create_dir_all(root.join("a/b"))?;
        std::fs::write(root.join("a/one"), vec![1u8; 1000])?;
        std::fs::write(root.join("a/b/two"), vec![2u8; 5000])?;
        std::fs::hard_link(root.join("a/b/two"), root.join("two-again"))?;
        let outside = tmp.path().join("outside");
        std::fs::write(&outside, vec![0u8; 100_000])?;
        std::os::unix::fs::symlink(&outside, root.join("link"))?;
        std::os::unix::fs::symlink(tmp.path(), root.join("dirlink"))?;
        let u = apparent_size(&root, WalkCaps::default());
        assert!(u.complete);
        let out = std::process::Command::new("du").arg("-sb").arg(&root).output()?;
        let du: u64 = String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap_or("0").parse()?;
        assert_eq!(u.bytes, du);
        let capped = apparent_size(&root, WalkCaps { max_entries: 2, max_time: Duration::from_secs(5) });
        assert!(!capped.complete && capped.bytes <= du);
        Ok(())
    }
}
