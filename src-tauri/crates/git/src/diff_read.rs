//! Reading a file of the change from the worktree without ever leaving it: every folder on the way is opened with
//! `O_NOFOLLOW` relative to the previous one, and the file itself is looked at with `AT_SYMLINK_NOFOLLOW`. A
//! symbolic link is reported as a link (its target text, as git stores it), never followed — an agent can commit
//! `notes -> /home/me/.ssh/id_rsa`, and the diff must show the link, not the key.

use std::ffi::OsStr;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, open, openat, readlinkat};
use nix::sys::stat::{Mode, SFlag, fstatat};

/// What a worktree path holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leaf {
    /// A regular file; `bytes` only when it is not larger than the cap asked for.
    File {
        size: u64,
        executable: bool,
        bytes: Option<Vec<u8>>,
    },
    /// A symbolic link and its target, unresolved.
    Link(Vec<u8>),
    /// A folder (a submodule's checkout), FIFO, socket or device: never read.
    Other,
    Missing,
}

fn io(path: &[u8], e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("{}: {e}", String::from_utf8_lossy(path)))
}

/// Reads `rel` (exact bytes, relative) beneath `root`; file contents only up to `cap` bytes (larger files come
/// back with their size and no bytes). A link or non-folder on the way means the path holds nothing readable.
pub fn read_beneath(root: &Path, rel: &[u8], cap: u64) -> std::io::Result<Leaf> {
    let parts: Vec<&[u8]> = rel.split(|b| *b == b'/').filter(|p| !p.is_empty()).collect();
    let Some((name, dirs)) = parts.split_last() else { return Err(io(rel, "empty path")) };
    if parts.iter().any(|p| *p == b".." || *p == b".") {
        return Err(io(rel, "not a plain relative path"));
    }
    let dir_flags = OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_RDONLY | OFlag::O_CLOEXEC;
    let mut dir: OwnedFd = open(root, dir_flags, Mode::empty()).map_err(|e| io(rel, e))?;
    for d in dirs {
        dir = match openat(&dir, OsStr::from_bytes(d), dir_flags, Mode::empty()) {
            Ok(fd) => fd,
            // A link (ELOOP) or a file (ENOTDIR) where a folder was: the path is not in the worktree as listed.
            Err(Errno::ENOENT | Errno::ELOOP | Errno::ENOTDIR) => return Ok(Leaf::Missing),
            Err(e) => return Err(io(rel, e)),
        };
    }
    let name = OsStr::from_bytes(name);
    let st = match fstatat(&dir, name, AtFlags::AT_SYMLINK_NOFOLLOW) {
        Ok(st) => st,
        Err(Errno::ENOENT | Errno::ENOTDIR) => return Ok(Leaf::Missing),
        Err(e) => return Err(io(rel, e)),
    };
    match SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()) {
        SFlag::S_IFLNK => Ok(Leaf::Link(readlinkat(&dir, name).map_err(|e| io(rel, e))?.into_vec())),
        SFlag::S_IFREG => read_file(&dir, name, rel, cap),
        _ => Ok(Leaf::Other),
    }
}

fn read_file(dir: &OwnedFd, name: &OsStr, rel: &[u8], cap: u64) -> std::io::Result<Leaf> {
    // O_NOFOLLOW: a link swapped in after the stat is refused (ELOOP), not followed; O_NONBLOCK: a FIFO swapped in
    // cannot hang the open.
    let flags = OFlag::O_RDONLY | OFlag::O_NOFOLLOW | OFlag::O_NONBLOCK | OFlag::O_CLOEXEC;
    let fd = match openat(dir, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::ENOENT) => return Ok(Leaf::Missing),
        Err(Errno::ELOOP) => return Ok(Leaf::Other),
        Err(e) => return Err(io(rel, e)),
    };
    let file = std::fs::File::from(fd);
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(Leaf::Other);
    }
    use std::os::unix::fs::PermissionsExt;
    let (size, executable) = (meta.len(), meta.permissions().mode() & 0o111 != 0);
    if size > cap {
        return Ok(Leaf::File { size, executable, bytes: None });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    // Read at most cap + 1: a file growing while we read is not read without bound.
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Ok(Leaf::File { size: bytes.len() as u64, executable, bytes: None });
    }
    Ok(Leaf::File { size: bytes.len() as u64, executable, bytes: Some(bytes) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_shown_never_followed_on_the_way_or_at_the_end() -> anyhow::Result<()> {
        let tmp = tempfile::tempdir()?;
        let (root, outside) = (tmp.path().join("wt"), tmp.path().join("outside"));
        std::fs::create_dir_all(root.join("src"))?;
        std::fs::create_dir_all(&outside)?;
        std::fs::write(outside.join("secret"), "key")?;
        std::fs::write(root.join("src/a.txt"), "hello\n")?;
        std::os::unix::fs::symlink(outside.join("secret"), root.join("link"))?;
        std::os::unix::fs::symlink(&outside, root.join("dirlink"))?;
        let expect = Leaf::File { size: 6, executable: false, bytes: Some(b"hello\n".to_vec()) };
        assert_eq!(read_beneath(&root, b"src/a.txt", 100)?, expect);
        assert_eq!(read_beneath(&root, b"src/a.txt", 3)?, Leaf::File { size: 6, executable: false, bytes: None });
        assert_eq!(
            read_beneath(&root, b"link", 100)?,
            Leaf::Link(outside.join("secret").as_os_str().as_bytes().to_vec())
        );
        assert_eq!(read_beneath(&root, b"dirlink/secret", 100)?, Leaf::Missing);
        assert_eq!(read_beneath(&root, b"src", 100)?, Leaf::Other);
        assert_eq!(read_beneath(&root, b"nope/x", 100)?, Leaf::Missing);
        assert!(read_beneath(&root, b"../outside/secret", 100).is_err());
        Ok(())
    }
}
