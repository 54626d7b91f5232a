//! Writes into a worktree that cannot leave it. A branch can commit `.env -> /home/me/.ssh/id_rsa` or
//! `config -> /etc/app`; a plain `fs::copy` into the worktree would then write through the link, outside it. Here
//! every folder on the way is opened beneath the worktree with `O_NOFOLLOW` (one component at a time, each relative
//! to the previous folder's descriptor), and the file is written to a temporary name in that folder and renamed over
//! the target: a rename replaces a directory entry and never follows a link, so a link planted after the checks
//! is replaced, not written through.

use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io::Read;
use std::os::fd::OwnedFd;
use std::os::unix::fs::PermissionsExt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use nix::errno::Errno;
use nix::fcntl::{AtFlags, OFlag, open, openat, renameat};
use nix::sys::stat::{Mode, SFlag, fstatat, mkdirat};
use nix::unistd::{UnlinkatFlags, unlinkat};

/// Why a confined write did not happen. `path` is the part of the relative path that was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfinedError {
    #[error("{0}: only relative paths inside the worktree can be written")]
    Outside(String),
    #[error("{0} is a symbolic link in the worktree")]
    Symlink(String),
    #[error("{0} is in the way in the worktree (not a folder)")]
    NotDir(String),
    #[error("{0} is in the worktree but is not a regular file")]
    NotFile(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

impl ConfinedError {
    /// A refusal (the worktree holds a link or something else in the way), as opposed to a failing disk.
    pub fn is_refusal(&self) -> bool {
        !matches!(self, Self::Io { .. })
    }
}

fn io(what: &Path, e: impl Into<std::io::Error>) -> ConfinedError {
    ConfinedError::Io { what: what.display().to_string(), source: e.into() }
}

/// The normal components of `rel`; anything that could climb out (absolute, `..`) is refused.
fn components(rel: &Path) -> Result<Vec<&OsStr>, ConfinedError> {
    let mut parts = Vec::new();
    for c in rel.components() {
        match c {
            Component::Normal(n) => parts.push(n),
            Component::CurDir => {}
            _ => return Err(ConfinedError::Outside(rel.display().to_string())),
        }
    }
    if parts.is_empty() {
        return Err(ConfinedError::Outside(rel.display().to_string()));
    }
    Ok(parts)
}

fn kind(parent: &OwnedFd, name: &OsStr) -> Option<SFlag> {
    let st = fstatat(parent, name, AtFlags::AT_SYMLINK_NOFOLLOW).ok()?;
    Some(SFlag::from_bits_truncate(st.st_mode & SFlag::S_IFMT.bits()))
}

/// Opens (creating it when missing) the folder `name` in `parent`, refusing a symbolic link.
fn open_dir(parent: &OwnedFd, name: &OsStr, shown: &Path) -> Result<OwnedFd, ConfinedError> {
    let flags = OFlag::O_DIRECTORY | OFlag::O_NOFOLLOW | OFlag::O_RDONLY | OFlag::O_CLOEXEC;
    let first = openat(parent, name, flags, Mode::empty());
    let result = match first {
        Err(Errno::ENOENT) => {
            match mkdirat(parent, name, Mode::from_bits_truncate(0o755)) {
                Ok(()) | Err(Errno::EEXIST) => {}
                Err(e) => return Err(io(shown, e)),
            }
            // Opened again with O_NOFOLLOW: a link planted between mkdir and open is refused here too.
            openat(parent, name, flags, Mode::empty())
        }
        other => other,
    };
    result.map_err(|e| match kind(parent, name) {
        Some(SFlag::S_IFLNK) => ConfinedError::Symlink(shown.display().to_string()),
        Some(k) if k != SFlag::S_IFDIR => ConfinedError::NotDir(shown.display().to_string()),
        _ => io(shown, e),
    })
}

/// A name for the temporary file that cannot collide with another writer of ours.
fn temp_name() -> OsString {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!(".viban-write-{}-{}.tmp", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed)).into()
}

/// Writes what `src` yields to `rel` beneath `root`, with permissions `mode`. Folders on the way are created; an
/// existing regular file is replaced; a symbolic link anywhere on the way (or at the file) is refused and nothing
/// is written. `root` itself is trusted (viban created it; the path to it may go through links the user set up).
pub fn write_beneath(root: &Path, rel: &Path, src: &mut dyn Read, mode: u32) -> Result<(), ConfinedError> {
    write_with(root, rel, src, mode, &mut || {})
}

/// `write_beneath`, calling `before_write` after every check and before the file is written (tests plant links there).
fn write_with(
    root: &Path,
    rel: &Path,
    src: &mut dyn Read,
    mode: u32,
    before_write: &mut dyn FnMut(),
) -> Result<(), ConfinedError> {
    let parts = components(rel)?;
    let Some((name, dirs)) = parts.split_last() else {
        return Err(ConfinedError::Outside(rel.display().to_string()));
    };
    let mut dir =
        open(root, OFlag::O_DIRECTORY | OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).map_err(|e| io(root, e))?;
    let mut shown = PathBuf::new();
    for d in dirs {
        shown.push(d);
        dir = open_dir(&dir, d, &shown)?;
    }
    shown.push(name);
    match kind(&dir, name) {
        None | Some(SFlag::S_IFREG) => {}
        Some(SFlag::S_IFLNK) => return Err(ConfinedError::Symlink(shown.display().to_string())),
        Some(_) => return Err(ConfinedError::NotFile(shown.display().to_string())),
    }
    before_write();
    let tmp = temp_name();
    // O_EXCL never follows a link; the file only gets its real name by rename, which replaces the entry itself.
    let flags = OFlag::O_WRONLY | OFlag::O_CREAT | OFlag::O_EXCL | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC;
    let fd = openat(&dir, tmp.as_os_str(), flags, Mode::from_bits_truncate(0o600)).map_err(|e| io(&shown, e))?;
    let mut file = File::from(fd);
    let written = std::io::copy(src, &mut file)
        .and_then(|_| file.set_permissions(std::fs::Permissions::from_mode(mode & 0o7777)))
        .and_then(|()| file.sync_all());
    drop(file);
    let placed = match written {
        Ok(()) => renameat(&dir, tmp.as_os_str(), &dir, *name).map_err(std::io::Error::from),
        Err(e) => Err(e),
    };
    placed.map_err(|e| {
        let _ = unlinkat(&dir, tmp.as_os_str(), UnlinkatFlags::NoRemoveDir);
        match kind(&dir, name) {
            Some(SFlag::S_IFDIR) => ConfinedError::NotFile(shown.display().to_string()),
            _ => io(&shown, e),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    struct Setup {
        _tmp: tempfile::TempDir,
        root: PathBuf,
        outside: PathBuf,
    }

    fn setup() -> anyhow::Result<Setup> {
        let tmp = tempfile::tempdir()?;
        let root = tmp.path().join("worktree");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(&root)?;
        std::fs::create_dir_all(&outside)?;
        std::fs::write(outside.join(".env"), "ORIGINAL")?;
        Ok(Setup { _tmp: tmp, root, outside })
    }

    fn write(s: &Setup, rel: &str, data: &str) -> Result<(), ConfinedError> {
        write_beneath(&s.root, Path::new(rel), &mut data.as_bytes(), 0o640)
    }

    #[test]
    fn writes_new_files_and_folders_and_replaces_regular_files() -> anyhow::Result<()> {
        let s = setup()?;
        write(&s, "a/b/.env", "one")?;
        assert_eq!(std::fs::read_to_string(s.root.join("a/b/.env"))?, "one");
        let mode = std::fs::metadata(s.root.join("a/b/.env"))?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        write(&s, "./a/b/.env", "two")?;
        assert_eq!(std::fs::read_to_string(s.root.join("a/b/.env"))?, "two");
        let leftovers: Vec<_> = std::fs::read_dir(s.root.join("a/b"))?.flatten().map(|e| e.file_name()).collect();
        assert_eq!(leftovers, vec![OsString::from(".env")], "no temporary file is left");
        Ok(())
    }

    #[test]
    fn links_anywhere_on_the_way_are_refused_and_nothing_is_written_outside() -> anyhow::Result<()> {
        let s = setup()?;
        symlink(s.outside.join(".env"), s.root.join(".env"))?;
        let e = write(&s, ".env", "SECRET").err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(e, ".env is a symbolic link in the worktree");
        symlink(&s.outside, s.root.join("config"))?;
        let e = write(&s, "config/.env", "SECRET").err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(e, "config is a symbolic link in the worktree");
        let e = write(&s, "config/new/.env", "SECRET").err().map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(e, "config is a symbolic link in the worktree");
        // A link to a folder deeper down, and a dangling link.
        std::fs::create_dir_all(s.root.join("deep"))?;
        symlink(&s.outside, s.root.join("deep/dir"))?;
        assert!(matches!(write(&s, "deep/dir/.env", "x"), Err(ConfinedError::Symlink(p)) if p == "deep/dir"));
        symlink(s.outside.join("missing"), s.root.join("dangling"))?;
        assert!(matches!(write(&s, "dangling", "x"), Err(ConfinedError::Symlink(_))));
        assert_eq!(std::fs::read_to_string(s.outside.join(".env"))?, "ORIGINAL");
        assert!(!s.outside.join("missing").exists() && !s.outside.join("new").exists());
        Ok(())
    }

    #[test]
    fn paths_that_climb_out_and_things_in_the_way_are_refused() -> anyhow::Result<()> {
        let s = setup()?;
        for bad in ["../outside/.env", "/etc/passwd", "", "a/../../x"] {
            assert!(matches!(write(&s, bad, "x"), Err(ConfinedError::Outside(_))), "{bad}");
        }
        std::fs::write(s.root.join("file"), "")?;
        assert!(matches!(write(&s, "file/.env", "x"), Err(ConfinedError::NotDir(p)) if p == "file"));
        std::fs::create_dir(s.root.join("dir"))?;
        assert!(matches!(write(&s, "dir", "x"), Err(ConfinedError::NotFile(_))));
        Ok(())
    }

    #[test]
    fn a_folder_swapped_for_a_link_after_the_checks_is_not_followed() -> anyhow::Result<()> {
        let s = setup()?;
        std::fs::create_dir_all(s.root.join("config"))?;
        let (root, outside) = (s.root.clone(), s.outside.clone());
        let mut swap = || {
            // Between the checks and the write: the folder moves away and a link to outside takes its name.
            let _ = std::fs::rename(root.join("config"), root.join("config-moved"));
            let _ = symlink(&outside, root.join("config"));
        };
        write_with(&s.root, Path::new("config/.env"), &mut "SECRET".as_bytes(), 0o600, &mut swap)?;
        assert!(std::fs::symlink_metadata(s.root.join("config"))?.file_type().is_symlink(), "the swap happened");
        assert_eq!(std::fs::read_to_string(s.outside.join(".env"))?, "ORIGINAL");
        // The write went to the folder that was checked (held open by descriptor), wherever it is now.
        assert_eq!(std::fs::read_to_string(s.root.join("config-moved/.env"))?, "SECRET");
        Ok(())
    }

    #[test]
    fn a_file_swapped_for_a_link_after_the_checks_is_replaced_not_written_through() -> anyhow::Result<()> {
        let s = setup()?;
        let (root, outside) = (s.root.clone(), s.outside.clone());
        let mut plant = || {
            let _ = symlink(outside.join(".env"), root.join(".env"));
        };
        write_with(&s.root, Path::new(".env"), &mut "SECRET".as_bytes(), 0o600, &mut plant)?;
        assert_eq!(std::fs::read_to_string(s.outside.join(".env"))?, "ORIGINAL");
        let meta = std::fs::symlink_metadata(s.root.join(".env"))?;
        assert!(meta.file_type().is_file(), "the planted link was replaced by the file");
        assert_eq!(std::fs::read_to_string(s.root.join(".env"))?, "SECRET");
        Ok(())
    }
}
