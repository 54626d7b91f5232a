//! The self-contained `viban-server`: PostgreSQL's portable binaries and the built UI, packed as one gzip'd tar
//! appended to the executable, with a trailer (archive length, SHA-256, magic) at the very end. The ELF loader
//! ignores bytes past the program's segments, so the binary runs as before; at start it reads the last 56 bytes
//! of itself and, when they are a trailer, unpacks the archive once into the cache dir (checksum verified first,
//! the folder named after it, moved into place whole) and uses it after that.
//!
//! Appending rather than `include_bytes!` keeps one build: `viban-server pack` makes the self-contained copy of
//! any build (release for `cargo xtask dist`, debug in the tests) without compiling anything again.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 16] = b"VIBAN-PAYLOAD-01";
const TRAILER_LEN: u64 = 8 + 32 + 16;
const DONE_MARK: &str = ".complete";

#[derive(Debug, thiserror::Error)]
pub enum PayloadError {
    #[error("could not {what} {}: {source}", path.display())]
    Io { what: &'static str, path: PathBuf, source: std::io::Error },
    #[error(
        "the PostgreSQL and UI packed into {} are damaged (checksum {found}, expected {expected}): download the \
         binary again",
        exe.display()
    )]
    Checksum { exe: PathBuf, expected: String, found: String },
    #[error("{0}")]
    Input(String),
}

fn io(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> PayloadError {
    let path = path.to_path_buf();
    move |source| PayloadError::Io { what, path, source }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Where the archive sits in an executable that carries one.
struct Trailer {
    start: u64,
    len: u64,
    sha256: [u8; 32],
}

fn read_trailer(file: &mut File) -> std::io::Result<Option<Trailer>> {
    let size = file.metadata()?.len();
    if size < TRAILER_LEN {
        return Ok(None);
    }
    file.seek(SeekFrom::Start(size - TRAILER_LEN))?;
    let mut buf = [0u8; TRAILER_LEN as usize];
    file.read_exact(&mut buf)?;
    if &buf[40..] != MAGIC {
        return Ok(None);
    }
    let mut len = [0u8; 8];
    len.copy_from_slice(&buf[..8]);
    let len = u64::from_le_bytes(len);
    let mut sha256 = [0u8; 32];
    sha256.copy_from_slice(&buf[8..40]);
    let start = (size - TRAILER_LEN).checked_sub(len).ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::InvalidData, "payload trailer names more bytes than the file has")
    })?;
    Ok(Some(Trailer { start, len, sha256 }))
}

/// What an unpacked payload holds.
#[derive(Debug, Clone)]
pub struct Unpacked {
    pub root: PathBuf,
}

impl Unpacked {
    pub fn pg_bin(&self) -> PathBuf {
        self.root.join("postgresql/bin")
    }
    pub fn ui_dir(&self) -> PathBuf {
        self.root.join("ui")
    }
}

/// The payload of the running executable, unpacked under `cache_dir/embedded/` (once; later starts reuse it).
/// `None` for a binary that carries none.
/// Its PostgreSQL is then the one `binaries::resolve` finds first (after an explicit `VIBAN_PG_BIN`).
pub fn unpack_own(cache_dir: &Path) -> Result<Option<Unpacked>, PayloadError> {
    let exe = std::env::current_exe().map_err(|e| PayloadError::Input(format!("cannot find my own binary: {e}")))?;
    let unpacked = unpack_from(&exe, cache_dir)?;
    if let Some(u) = &unpacked {
        viban_runtime::pg::binaries::use_embedded(u.pg_bin());
        let _ = PACKED_UI.set(u.ui_dir());
    }
    Ok(unpacked)
}

static PACKED_UI: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The UI this executable carries, once `unpack_own` unpacked it.
pub fn packed_ui_dir() -> Option<PathBuf> {
    PACKED_UI.get().cloned()
}

pub fn unpack_from(exe: &Path, cache_dir: &Path) -> Result<Option<Unpacked>, PayloadError> {
    let mut file = File::open(exe).map_err(io("open", exe))?;
    let Some(trailer) = read_trailer(&mut file).map_err(io("read", exe))? else { return Ok(None) };
    let sum = hex(&trailer.sha256);
    let parent = cache_dir.join("embedded");
    let root = parent.join(&sum[..16]);
    if root.join(DONE_MARK).is_file() {
        mark_used(&root);
        remove_stale(&parent, &root);
        return Ok(Some(Unpacked { root }));
    }
    let started = std::time::Instant::now();
    file.seek(SeekFrom::Start(trailer.start)).map_err(io("read", exe))?;
    let mut archive = Vec::with_capacity(usize::try_from(trailer.len).unwrap_or(0));
    file.take(trailer.len).read_to_end(&mut archive).map_err(io("read", exe))?;
    let found = hex(&Sha256::digest(&archive));
    if found != sum || archive.len() as u64 != trailer.len {
        return Err(PayloadError::Checksum { exe: exe.to_path_buf(), expected: sum, found });
    }
    make_dir(&parent)?;
    // Unpacked beside its final place and renamed whole: a crash mid-way leaves a partial folder nobody uses.
    let partial = parent.join(format!(".partial-{}-{}", std::process::id(), started.elapsed().as_nanos()));
    let unpacked = unpack_into(&archive, &partial);
    if let Err(e) = unpacked {
        let _ = std::fs::remove_dir_all(&partial);
        return Err(e);
    }
    File::create(partial.join(DONE_MARK)).map_err(io("write", &partial))?;
    if let Err(e) = std::fs::rename(&partial, &root) {
        let _ = std::fs::remove_dir_all(&partial);
        // Another viban-server started at the same moment and won: use its copy.
        if !root.join(DONE_MARK).is_file() {
            return Err(io("create", &root)(e));
        }
    }
    remove_stale(&parent, &root);
    tracing::info!(dir = %root.display(), ms = started.elapsed().as_millis() as u64, "unpacked PostgreSQL and the UI");
    Ok(Some(Unpacked { root }))
}

fn make_dir(dir: &Path) -> Result<(), PayloadError> {
    use std::os::unix::fs::DirBuilderExt;
    // Readable by all: as root, PostgreSQL runs as its own account and must reach its binaries.
    std::fs::DirBuilder::new().recursive(true).mode(0o755).create(dir).map_err(io("create", dir))
}

/// Written without the tar crate's `unpack`, which resolves every entry's folder with `canonicalize` (~15
/// `readlink`s per file) and sets mtimes: 29k syscalls for ~1,900 files. Here the paths are checked directly
/// (relative, no `..`; the archive's checksum was verified, this guards against a packing bug), and a few threads
/// write the files while the archive is read (measured: ~8% faster than one on this CI's disk, where creating a
/// file costs 0.2–0.9 ms).
const WRITERS: usize = 4;

type FileJob = (PathBuf, u32, Vec<u8>);

fn unpack_into(archive: &[u8], dir: &Path) -> Result<(), PayloadError> {
    make_dir(dir)?;
    let (tx, rx) = std::sync::mpsc::sync_channel::<FileJob>(64);
    let rx = std::sync::Mutex::new(rx);
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..WRITERS).map(|_| scope.spawn(|| write_files(&rx))).collect();
        let read = read_entries(archive, dir, &tx);
        drop(tx);
        let written = writers.into_iter().try_for_each(|w| {
            w.join().unwrap_or_else(|_| Err(PayloadError::Input("an unpacking thread panicked".into())))
        });
        read.and(written)
    })
}

fn write_files(rx: &std::sync::Mutex<std::sync::mpsc::Receiver<FileJob>>) -> Result<(), PayloadError> {
    use std::os::unix::fs::OpenOptionsExt;
    loop {
        let job = match rx.lock() {
            Ok(r) => r.recv(),
            Err(_) => return Err(PayloadError::Input("an unpacking thread panicked".into())),
        };
        let Ok((path, mode, data)) = job else { return Ok(()) };
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode & 0o755)
            .open(&path)
            .map_err(io("write", &path))?;
        f.write_all(&data).map_err(io("write", &path))?;
    }
}

fn read_entries(archive: &[u8], dir: &Path, tx: &std::sync::mpsc::SyncSender<FileJob>) -> Result<(), PayloadError> {
    let mut tar = tar::Archive::new(GzDecoder::new(archive));
    let corrupt = |e: std::io::Error| PayloadError::Input(format!("the packed archive cannot be read: {e}"));
    let mut made = std::collections::HashSet::new();
    for entry in tar.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let rel = entry.path().map_err(corrupt)?.into_owned();
        if !rel.components().all(|c| matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir)) {
            return Err(PayloadError::Input(format!("the packed archive holds an unsafe path: {}", rel.display())));
        }
        let target = dir.join(&rel);
        let kind = entry.header().entry_type();
        // Every folder exists before anything is written into it (not every one has an entry of its own).
        let folder = if kind.is_dir() { Some(target.as_path()) } else { target.parent() };
        if let Some(folder) = folder.filter(|f| !made.contains(*f)) {
            make_dir(folder)?;
            made.insert(folder.to_path_buf());
        }
        if kind.is_dir() {
            continue;
        } else if kind.is_symlink() {
            let link =
                entry.link_name().map_err(corrupt)?.ok_or_else(|| corrupt(std::io::ErrorKind::InvalidData.into()))?;
            std::os::unix::fs::symlink(&link, &target).map_err(io("link", &target))?;
        } else if kind.is_file() {
            let mode = entry.header().mode().map_err(corrupt)?;
            let mut data = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
            entry.read_to_end(&mut data).map_err(corrupt)?;
            if tx.send((target, mode, data)).is_err() {
                // A writer stopped on an error: it is reported by the join.
                return Ok(());
            }
        }
    }
    Ok(())
}

/// Each start touches its payload's mark, so the age of the mark is the time since a binary last used it.
fn mark_used(root: &Path) {
    let mark = root.join(DONE_MARK);
    if let Err(e) = File::options().write(true).open(&mark).and_then(|f| f.set_modified(std::time::SystemTime::now())) {
        tracing::debug!(file = %mark.display(), "could not mark the payload used: {e}");
    }
}

/// Payloads no binary started from for a week (an older viban-server's, after an upgrade): removed, so upgrades
/// do not pile up copies of PostgreSQL. A folder still in use is touched at every start and so kept.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(7 * 24 * 3600);

fn remove_stale(parent: &Path, keep: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let unused = std::fs::metadata(path.join(DONE_MARK))
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        if path != keep && unused {
            match std::fs::remove_dir_all(&path) {
                Ok(()) => tracing::info!(dir = %path.display(), "removed a payload unused for a week"),
                Err(e) => tracing::debug!(dir = %path.display(), "could not remove an old payload: {e}"),
            }
        }
    }
}

/// What `pack` put in, for the report.
#[derive(Debug)]
pub struct Packed {
    pub binary_bytes: u64,
    pub archive_bytes: u64,
    pub total_bytes: u64,
}

/// Writes `out`: `exe` (without any payload it already carries) followed by PostgreSQL's `bin`, `lib` and
/// `share` from `pg_dir` (the portable package's `native/` folder) and the UI from `ui_dir`.
pub fn pack(exe: &Path, pg_dir: &Path, ui_dir: &Path, out: &Path) -> Result<Packed, PayloadError> {
    for (dir, needs) in [(pg_dir, "bin/postgres"), (pg_dir, "bin/initdb"), (ui_dir, "index.html")] {
        if !dir.join(needs).is_file() {
            return Err(PayloadError::Input(format!("{} has no {needs}", dir.display())));
        }
    }
    let archive = archive(pg_dir, ui_dir)?;
    let mut file = File::open(exe).map_err(io("open", exe))?;
    let binary_bytes = match read_trailer(&mut file).map_err(io("read", exe))? {
        Some(t) => t.start,
        None => file.metadata().map_err(io("read", exe))?.len(),
    };
    file.seek(SeekFrom::Start(0)).map_err(io("read", exe))?;
    let partial = out.with_extension("partial");
    let written = (|| -> std::io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt;
        let mut dst = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o755).open(&partial)?;
        std::io::copy(&mut (&mut file).take(binary_bytes), &mut dst)?;
        dst.write_all(&archive)?;
        dst.write_all(&(archive.len() as u64).to_le_bytes())?;
        dst.write_all(&Sha256::digest(&archive))?;
        dst.write_all(MAGIC)?;
        dst.sync_all()
    })();
    if let Err(e) = written.and_then(|()| std::fs::rename(&partial, out)) {
        let _ = std::fs::remove_file(&partial);
        return Err(io("write", out)(e));
    }
    let archive_bytes = archive.len() as u64;
    Ok(Packed { binary_bytes, archive_bytes, total_bytes: binary_bytes + archive_bytes + TRAILER_LEN })
}

/// Static archives and build metadata are left out: nothing links against the packed PostgreSQL. Symlinks stay
/// links (the libraries' versioned names).
fn archive(pg_dir: &Path, ui_dir: &Path) -> Result<Vec<u8>, PayloadError> {
    let mut tar = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::new(6)));
    tar.follow_symlinks(false);
    let added = (|| -> std::io::Result<()> {
        tar.append_dir_all("postgresql/bin", pg_dir.join("bin"))?;
        tar.append_dir_all("postgresql/share", pg_dir.join("share"))?;
        let lib = pg_dir.join("lib");
        let mut entries: Vec<_> = std::fs::read_dir(&lib)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry.file_type()?;
            let target = Path::new("postgresql/lib").join(&name);
            if kind.is_dir() && name == "postgresql" {
                tar.append_dir_all(&target, entry.path())?;
            } else if !kind.is_dir() && !name.ends_with(".a") {
                tar.append_path_with_name(entry.path(), &target)?;
            }
        }
        tar.append_dir_all("ui", ui_dir)
    })();
    added.map_err(io("pack", pg_dir))?;
    tar.into_inner().and_then(|gz| gz.finish()).map_err(io("compress", pg_dir))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fake_tree(root: &Path) -> (PathBuf, PathBuf) {
        let pg = root.join("native");
        let ui = root.join("dist");
        for d in ["bin", "lib/postgresql", "share/timezone"] {
            std::fs::create_dir_all(pg.join(d)).unwrap();
        }
        std::fs::create_dir_all(&ui).unwrap();
        std::fs::write(pg.join("bin/postgres"), "#!/bin/sh\n").unwrap();
        std::fs::write(pg.join("bin/initdb"), "#!/bin/sh\n").unwrap();
        std::fs::write(pg.join("lib/libpq.so.5.17"), "lib").unwrap();
        std::fs::write(pg.join("lib/libpq.a"), "static").unwrap();
        std::os::unix::fs::symlink("libpq.so.5.17", pg.join("lib/libpq.so.5")).unwrap();
        std::fs::write(ui.join("index.html"), "<html>").unwrap();
        (pg, ui)
    }

    #[test]
    fn packs_unpacks_once_and_refuses_a_damaged_payload() {
        let tmp = tempfile::tempdir().unwrap();
        let (pg, ui) = fake_tree(tmp.path());
        let exe = tmp.path().join("exe");
        std::fs::write(&exe, b"\x7fELF pretend program").unwrap();
        let out = tmp.path().join("packed");
        let packed = pack(&exe, &pg, &ui, &out).unwrap();
        assert_eq!(packed.binary_bytes, 20);
        assert_eq!(std::fs::metadata(&out).unwrap().len(), packed.total_bytes);

        // Packing a packed binary replaces its payload instead of stacking a second one.
        let again = tmp.path().join("again");
        assert_eq!(pack(&out, &pg, &ui, &again).unwrap().binary_bytes, 20);

        let cache = tmp.path().join("cache");
        let un = unpack_from(&out, &cache).unwrap().unwrap();
        assert_eq!(std::fs::read_to_string(un.ui_dir().join("index.html")).unwrap(), "<html>");
        assert!(un.pg_bin().join("initdb").is_file());
        let link = un.root.join("postgresql/lib/libpq.so.5");
        assert_eq!(std::fs::read_link(&link).unwrap(), Path::new("libpq.so.5.17"));
        assert!(!un.root.join("postgresql/lib/libpq.a").exists());

        // The second start reuses the folder: a file added to it survives.
        std::fs::write(un.root.join("marker"), "").unwrap();
        let reused = unpack_from(&out, &cache).unwrap().unwrap();
        assert!(reused.root.join("marker").is_file());

        // One flipped byte in the archive: refused with the checksum, nothing unpacked.
        let mut bytes = std::fs::read(&out).unwrap();
        bytes[25] ^= 0xff;
        let broken = tmp.path().join("broken");
        std::fs::write(&broken, bytes).unwrap();
        let other_cache = tmp.path().join("cache2");
        let err = unpack_from(&broken, &other_cache).unwrap_err();
        assert!(matches!(err, PayloadError::Checksum { .. }), "{err}");
        assert!(
            !other_cache.join("embedded").exists()
                || std::fs::read_dir(other_cache.join("embedded")).unwrap().next().is_none()
        );

        // A binary without a payload has none.
        assert!(unpack_from(&exe, &cache).unwrap().is_none());
    }
}
