//! Keeping the installed package before an update, so a failed update can be rolled back by reinstalling it.
//! deb: rebuilt from what dpkg installed (like `dpkg-repack`). rpm: only a package viban downloaded itself earlier
//! (kept in the same folder by [`keep_download`]) — rebuilding an rpm from the rpm database is not attempted.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::files::{create_private_dir, write_atomic};
use crate::{PackageFormat, Result, UpdateError};

/// The package the app is installed as.
pub const DEFAULT_PACKAGE: &str = "viban";

/// Control fields copied from the installed package, in this order; `Description` stays last so that its
/// continuation lines end the query's output. Empty ones are dropped.
const CONTROL_FIELDS: &[&str] = &[
    "Package",
    "Version",
    "Architecture",
    "Maintainer",
    "Installed-Size",
    "Pre-Depends",
    "Depends",
    "Recommends",
    "Suggests",
    "Conflicts",
    "Breaks",
    "Replaces",
    "Provides",
    "Section",
    "Priority",
    "Homepage",
    "Description",
];
const REQUIRED_FIELDS: &[&str] = &["Package", "Version", "Architecture", "Maintainer", "Description"];
const MAINTAINER_SCRIPTS: &[&str] = &["preinst", "postinst", "prerm", "postrm"];
const DPKG_INFO: &str = "/var/lib/dpkg/info";

/// [`keep_package`] for the `viban` package.
pub fn keep_current(format: PackageFormat, dest_dir: &Path) -> Result<PathBuf> {
    keep_package(format, DEFAULT_PACKAGE, dest_dir)
}

/// Makes sure a package of the installed version of `package` is in `dest_dir` and returns its path: one kept
/// earlier for this version is reused; otherwise a deb is rebuilt from the installed files, and for an rpm
/// [`UpdateError::KeepUnsupported`] says rollback is unavailable (the shell then asks before updating anyway).
pub fn keep_package(format: PackageFormat, package: &str, dest_dir: &Path) -> Result<PathBuf> {
    let version = installed_version(format, package)?;
    if let Some(kept) = find_kept(dest_dir, package, &version, Some(format)) {
        tracing::info!(kept = %kept.display(), "the installed version's package is already kept");
        return Ok(kept);
    }
    match format {
        PackageFormat::Deb => repack_deb(package, &version, dest_dir),
        PackageFormat::Rpm => Err(UpdateError::KeepUnsupported(format!(
            "{package} {version} was installed from an rpm that viban did not download, and rpm packages cannot \
             be rebuilt from the installed files"
        ))),
    }
}

/// The kept package of `version` of `viban` in `dest_dir`, if any (`viban_<v>_<arch>.deb`, `viban_<v>.deb`,
/// `viban-<v>-<release>.<arch>.rpm`, `viban-<v>.rpm`).
pub fn kept_for(dest_dir: &Path, version: &str) -> Option<PathBuf> {
    find_kept(dest_dir, DEFAULT_PACKAGE, version, None)
}

/// Stores a package the updater downloaded (`viban_<version>.deb` / `viban-<version>.rpm`, 0600), so that it can
/// be reinstalled when the update after it fails — the only way an rpm install gets a rollback.
pub fn keep_download(dest_dir: &Path, format: PackageFormat, version: &str, bytes: &[u8]) -> Result<PathBuf> {
    let version = strip_epoch(version);
    let name = match format {
        PackageFormat::Deb => format!("{DEFAULT_PACKAGE}_{version}.deb"),
        PackageFormat::Rpm => format!("{DEFAULT_PACKAGE}-{version}.rpm"),
    };
    let path = dest_dir.join(name);
    write_atomic(&path, bytes, 0o600)?;
    Ok(path)
}

/// Removes every kept package in `dest_dir` except `keep`; returns what was removed.
pub fn prune_kept(dest_dir: &Path, keep: &[&Path]) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dest_dir) else { return Vec::new() };
    let mut removed = Vec::new();
    for path in entries.flatten().map(|e| e.path()) {
        let is_package = matches!(path.extension().and_then(|e| e.to_str()), Some("deb" | "rpm"));
        if is_package && !keep.iter().any(|k| *k == path) && std::fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

fn find_kept(dest_dir: &Path, package: &str, version: &str, format: Option<PackageFormat>) -> Option<PathBuf> {
    let version = strip_epoch(crate::files::bare_version(version));
    let deb = |n: &str| {
        n.strip_prefix(&format!("{package}_{version}"))
            .and_then(|rest| rest.strip_suffix(".deb"))
            .is_some_and(|mid| mid.is_empty() || mid.starts_with('_'))
    };
    let rpm = |n: &str| {
        n.strip_prefix(&format!("{package}-{version}"))
            .and_then(|rest| rest.strip_suffix(".rpm"))
            .is_some_and(|mid| mid.is_empty() || mid.starts_with('-'))
    };
    let mut names: Vec<String> = std::fs::read_dir(dest_dir)
        .ok()?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| match format {
            Some(PackageFormat::Deb) => deb(n),
            Some(PackageFormat::Rpm) => rpm(n),
            None => deb(n) || rpm(n),
        })
        .collect();
    names.sort();
    names.first().map(|n| dest_dir.join(n))
}

fn strip_epoch(version: &str) -> &str {
    version.split_once(':').map_or(version, |(_, v)| v)
}

fn installed_version(format: PackageFormat, package: &str) -> Result<String> {
    let (program, args): (&str, Vec<String>) = match format {
        // The status too: a removed package whose configuration remains ("rc") still has a version.
        PackageFormat::Deb => {
            ("dpkg-query", vec!["-W".into(), "-f=${db:Status-Abbrev}\t${Version}".into(), package.into()])
        }
        PackageFormat::Rpm => {
            ("rpm", vec!["-q".into(), "--queryformat".into(), "ii\t%{VERSION}".into(), package.into()])
        }
    };
    let out = run(program, &args).map_err(|detail| not_installed(format, package, &detail))?;
    match out.split_once('\t') {
        Some((status, version)) if status.trim() == "ii" && !version.trim().is_empty() => Ok(version.trim().into()),
        Some((status, _)) if status.trim() != "ii" => {
            Err(not_installed(format, package, &format!("dpkg status {:?}", status.trim())))
        }
        _ => Err(not_installed(format, package, "no version")),
    }
}

fn not_installed(format: PackageFormat, package: &str, detail: &str) -> UpdateError {
    UpdateError::KeepUnsupported(format!("{package} is not installed as a .{} package ({detail})", format.extension()))
}

/// Runs a query; stdout on success, else a short description of the failure.
fn run(program: &str, args: &[String]) -> std::result::Result<String, String> {
    let out = Command::new(program).args(args).output().map_err(|e| format!("could not run {program}: {e}"))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let said = if stderr.trim().is_empty() { stdout.trim() } else { stderr.trim() };
    Err(format!("{program}: {said}"))
}

/// Rebuilds `<dest>/<package>_<version>_<arch>.deb` from the installed files, control fields and maintainer
/// scripts, in a staging folder under `dest_dir` that is removed afterwards.
fn repack_deb(package: &str, version: &str, dest_dir: &Path) -> Result<PathBuf> {
    create_private_dir(dest_dir)?;
    let stage = dest_dir.join(format!(".stage-{package}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&stage);
    let built = build_deb(package, version, dest_dir, &stage);
    if let Err(e) = std::fs::remove_dir_all(&stage) {
        tracing::warn!(stage = %stage.display(), "could not remove the staging folder: {e}");
    }
    built
}

fn build_deb(package: &str, version: &str, dest_dir: &Path, stage: &Path) -> Result<PathBuf> {
    let keep_err = UpdateError::Keep;
    let format: String = CONTROL_FIELDS.iter().map(|f| format!("{f}: ${{{f}}}\\n")).collect();
    let raw = run("dpkg-query", &["-W".into(), format!("-f={format}"), package.into()]).map_err(keep_err)?;
    let control = render_control(&raw).map_err(keep_err)?;
    let listing = run("dpkg-query", &["-L".into(), package.into()]).map_err(keep_err)?;
    let files = filter_listing(&listing);
    let staged = stage_files(&files, Path::new("/"), stage)?;
    let debian = stage.join("DEBIAN");
    std::fs::create_dir_all(&debian).map_err(|e| UpdateError::write(&debian, e))?;
    write_plain(&debian.join("control"), control.as_bytes(), 0o644)?;
    let conffiles = run("dpkg-query", &["-W".into(), "-f=${Conffiles}".into(), package.into()]).unwrap_or_default();
    let conffiles = render_conffiles(&conffiles, stage);
    if !conffiles.is_empty() {
        write_plain(&debian.join("conffiles"), conffiles.as_bytes(), 0o644)?;
    }
    for script in MAINTAINER_SCRIPTS {
        let src = Path::new(DPKG_INFO).join(format!("{package}.{script}"));
        if src.is_file() {
            let bytes = std::fs::read(&src).map_err(|e| UpdateError::read(&src, e))?;
            write_plain(&debian.join(script), &bytes, 0o755)?;
        }
    }
    set_mode(stage, 0o755)?;
    set_mode(&debian, 0o755)?;
    let arch = control_value(&control, "Architecture").unwrap_or("all").to_string();
    let out = dest_dir.join(format!("{package}_{}_{arch}.deb", strip_epoch(version)));
    let tmp = dest_dir.join(format!(".{package}.{}.deb.tmp", std::process::id()));
    let args: Vec<String> = ["--root-owner-group", "-Zgzip", "-z1", "-b"]
        .iter()
        .map(|s| s.to_string())
        .chain([stage.to_string_lossy().into_owned(), tmp.to_string_lossy().into_owned()])
        .collect();
    if let Err(detail) = run("dpkg-deb", &args) {
        let _ = std::fs::remove_file(&tmp);
        return Err(UpdateError::Keep(detail));
    }
    std::fs::rename(&tmp, &out).map_err(|e| UpdateError::write(&out, e))?;
    tracing::info!(kept = %out.display(), files = staged, "kept the installed package");
    Ok(out)
}

/// The control file for the fields `dpkg-query -W -f='Field: ${Field}\n…'` printed: fields with an empty value
/// are dropped, continuation lines (a leading space, as in a multi-line Description) are kept as they are.
pub fn render_control(raw: &str) -> std::result::Result<String, String> {
    let mut fields: Vec<(String, Vec<String>)> = Vec::new();
    for line in raw.lines() {
        if line.starts_with([' ', '\t']) {
            match fields.last_mut() {
                Some((_, lines)) => lines.push(line.trim_end().to_string()),
                None => return Err(format!("a continuation line before any field: {line:?}")),
            }
        } else if let Some((name, value)) = line.split_once(':') {
            fields.push((name.trim().to_string(), vec![value.trim().to_string()]));
        } else if !line.trim().is_empty() {
            return Err(format!("not a control field: {line:?}"));
        }
    }
    fields.retain(|(_, lines)| lines.iter().any(|l| !l.trim().is_empty()));
    if let Some(missing) = REQUIRED_FIELDS.iter().find(|r| !fields.iter().any(|(n, _)| n == *r)) {
        return Err(format!("the installed package has no {missing} field"));
    }
    let mut out = String::new();
    for (name, lines) in &fields {
        out.push_str(name);
        out.push(':');
        for (i, line) in lines.iter().enumerate() {
            if i == 0 {
                if !line.is_empty() {
                    out.push(' ');
                    out.push_str(line);
                }
            } else {
                out.push('\n');
                out.push_str(line);
            }
        }
        out.push('\n');
    }
    Ok(out)
}

fn control_value<'a>(control: &'a str, field: &str) -> Option<&'a str> {
    control.lines().find_map(|l| l.strip_prefix(field)?.strip_prefix(':').map(str::trim))
}

/// `DEBIAN/conffiles` from `${Conffiles}` (` /etc/x <md5>` lines): the paths that were staged, obsolete ones left out.
fn render_conffiles(raw: &str, stage: &Path) -> String {
    raw.lines()
        .filter(|l| !l.trim_end().ends_with(" obsolete"))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|p| p.starts_with('/') && stage.join(&p[1..]).symlink_metadata().is_ok())
        .map(|p| format!("{p}\n"))
        .collect()
}

/// The absolute paths in `dpkg-query -L` output, once each, in order. Diversion notes and `/.` are left out.
pub fn filter_listing(listing: &str) -> Vec<PathBuf> {
    let mut seen = std::collections::HashSet::new();
    listing
        .lines()
        .map(str::trim_end)
        .filter(|l| l.starts_with('/') && *l != "/." && *l != "/")
        .filter(|l| seen.insert(l.to_string()))
        .map(PathBuf::from)
        .collect()
}

/// Copies each listed path that is a regular file or a symlink from under `root` (normally `/`) to the same place
/// under `stage`, keeping file modes and link targets; the folders on the way get their original modes.
/// Folders themselves, and paths that no longer exist, are skipped. Returns how many entries were staged.
pub fn stage_files(paths: &[PathBuf], root: &Path, stage: &Path) -> Result<usize> {
    use std::os::unix::fs::PermissionsExt;
    let mut staged = 0;
    for path in paths {
        let Ok(rel) = path.strip_prefix("/") else { continue };
        let src = root.join(rel);
        let Ok(meta) = std::fs::symlink_metadata(&src) else {
            tracing::warn!(path = %path.display(), "listed by the package but missing; not kept");
            continue;
        };
        let kind = meta.file_type();
        if !kind.is_file() && !kind.is_symlink() || is_aliased_dir(path, &src, paths) {
            continue;
        }
        let dst = stage.join(rel);
        make_parents(rel, root, stage)?;
        if kind.is_symlink() {
            let target = std::fs::read_link(&src).map_err(|e| UpdateError::read(&src, e))?;
            std::os::unix::fs::symlink(&target, &dst).map_err(|e| UpdateError::write(&dst, e))?;
        } else {
            std::fs::copy(&src, &dst).map_err(|e| UpdateError::Keep(format!("copying {}: {e}", src.display())))?;
            set_mode(&dst, meta.permissions().mode() & 0o7777)?;
        }
        staged += 1;
    }
    Ok(staged)
}

/// A folder of the package that is a symlink on this system (merged /usr: `/bin` → `usr/bin`): other listed
/// paths lie under it, so it is staged as the folder it is in the package, not as a link.
fn is_aliased_dir(path: &Path, src: &Path, paths: &[PathBuf]) -> bool {
    std::fs::metadata(src).is_ok_and(|m| m.is_dir()) && paths.iter().any(|p| p != path && p.starts_with(path))
}

fn make_parents(rel: &Path, root: &Path, stage: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut ancestors: Vec<&Path> = rel.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()).collect();
    ancestors.reverse();
    for dir in ancestors {
        let dst = stage.join(dir);
        if dst.is_dir() {
            continue;
        }
        std::fs::create_dir_all(&dst).map_err(|e| UpdateError::write(&dst, e))?;
        // Always writable by us: a read-only folder (0555) would refuse the files staged into it.
        let mode = std::fs::metadata(root.join(dir)).map(|m| m.permissions().mode() & 0o7777).unwrap_or(0o755);
        set_mode(&dst, mode | 0o700)?;
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).map_err(|e| UpdateError::write(path, e))
}

fn write_plain(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    std::fs::write(path, bytes).map_err(|e| UpdateError::write(path, e))?;
    set_mode(path, mode)
}
