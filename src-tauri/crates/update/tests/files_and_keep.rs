//! The update files as the contract spells them, and keeping a package (pure parts, plus real dpkg reads).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use viban_update::{
    Outcome, OutcomeKind, PackageFormat, PendingUpdate, Skipped, UpdateDir, UpdateError, UpdateSettings,
    filter_listing, keep_current, keep_download, keep_package, kept_for, prune_kept, render_control, stage_files,
};

const CONTRACT_PENDING: &str = r#"{"from":"0.1.0","to":"0.1.1","kept":"/d/updates/kept/viban_0.1.0_amd64.deb",
  "format":"deb","deadline_secs":90,"started_at":"2026-01-02T03:04:05Z","app_exe":"/usr/bin/viban","app_args":[],
  "old_pid":1234}"#;

fn mode(p: &Path) -> u32 {
    std::fs::symlink_metadata(p).unwrap().permissions().mode() & 0o7777
}

#[test]
fn the_contract_examples_parse_and_write_back_the_same_keys() {
    let pending: PendingUpdate = serde_json::from_str(CONTRACT_PENDING).unwrap();
    assert_eq!((pending.format, pending.old_pid, pending.deadline_secs), (PackageFormat::Deb, 1234, 90));
    let back: serde_json::Value = serde_json::to_value(&pending).unwrap();
    let original: serde_json::Value = serde_json::from_str(CONTRACT_PENDING).unwrap();
    assert_eq!(back, original);

    let settings: UpdateSettings = serde_json::from_str(r#"{"channel":"beta","endpoint":null}"#).unwrap();
    // The API's type: no endpoint is written as no key (read back the same).
    assert_eq!(serde_json::to_string(&settings).unwrap(), r#"{"channel":"beta"}"#);
    let outcome: Outcome = serde_json::from_str(
        r#"{"kind":"rolled_back","from":"0.1.0","to":"0.1.1","reason":"why","at":"2026-01-02T03:04:05Z"}"#,
    )
    .unwrap();
    assert_eq!(outcome.kind, OutcomeKind::RolledBack);
    for (kind, word) in [
        (OutcomeKind::Updated, "updated"),
        (OutcomeKind::InstallFailed, "install_failed"),
        (OutcomeKind::RollbackFailed, "rollback_failed"),
    ] {
        assert_eq!(serde_json::to_value(kind).unwrap(), serde_json::json!(word));
    }
    let skipped: Skipped = serde_json::from_str(r#"{"versions":["0.1.1"]}"#).unwrap();
    assert!(skipped.contains("v0.1.1") && !skipped.contains("0.1.2"));
}

#[test]
fn files_are_private_atomic_and_missing_means_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = UpdateDir::new(tmp.path().join("data/updates"));
    assert_eq!(dir.load_settings().unwrap(), UpdateSettings::default());
    assert_eq!(dir.load_pending().unwrap(), None);
    assert_eq!(dir.load_skipped().unwrap(), Skipped::default());
    assert_eq!(dir.load_outcome().unwrap(), None);

    dir.skip("0.1.1").unwrap();
    dir.skip("0.1.1").unwrap();
    dir.skip("0.1.2").unwrap();
    assert_eq!(dir.load_skipped().unwrap().versions, ["0.1.1", "0.1.2"]);
    let pending: PendingUpdate = serde_json::from_str(CONTRACT_PENDING).unwrap();
    dir.save_pending(&pending).unwrap();
    assert_eq!(dir.load_pending().unwrap(), Some(pending.clone()));
    assert_eq!(mode(&dir.dir), 0o700);
    for file in [dir.pending_path(), dir.skipped_path()] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    let names: Vec<String> =
        std::fs::read_dir(&dir.dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    assert!(names.iter().all(|n| !n.ends_with(".tmp")), "temp files left: {names:?}");
    dir.save_outcome(&Outcome::new(OutcomeKind::Updated, &pending, "ok")).unwrap();
    dir.clear_outcome().unwrap();
    dir.clear_outcome().unwrap();
    dir.clear_pending().unwrap();
    assert_eq!(dir.load_pending().unwrap(), None);
}

#[test]
fn a_malformed_file_is_an_error_naming_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = UpdateDir::new(tmp.path());
    std::fs::write(dir.skipped_path(), "{\"versions\": 3}").unwrap();
    let err = dir.skip("0.1.1").unwrap_err();
    assert!(matches!(err, UpdateError::Malformed { .. }), "{err:?}");
    assert!(err.to_string().contains("skipped.json"), "{err}");
    assert_eq!(std::fs::read_to_string(dir.skipped_path()).unwrap(), "{\"versions\": 3}");
}

const QUERY_OUTPUT: &str = "Package: viban\nVersion: 0.1.0\nArchitecture: amd64\nMaintainer: viban <dev@viban.dev>\n\
Installed-Size: 151234\nPre-Depends: \nDepends: libwebkit2gtk-4.1-0, libgtk-3-0\nRecommends: \nSuggests: \n\
Conflicts: \nBreaks: \nReplaces: \nProvides: \nSection: devel\nPriority: optional\nHomepage: \n\
Description: Kanban board for coding agents\n Runs AI coding agents in worktrees.\n .\n   Indented stays indented.\n";

#[test]
fn the_control_file_keeps_set_fields_and_description_lines() {
    let control = render_control(QUERY_OUTPUT).unwrap();
    assert_eq!(
        control,
        "Package: viban\nVersion: 0.1.0\nArchitecture: amd64\nMaintainer: viban <dev@viban.dev>\n\
Installed-Size: 151234\nDepends: libwebkit2gtk-4.1-0, libgtk-3-0\nSection: devel\nPriority: optional\n\
Description: Kanban board for coding agents\n Runs AI coding agents in worktrees.\n .\n   Indented stays indented.\n"
    );
    let without = QUERY_OUTPUT.replace("Maintainer: viban <dev@viban.dev>\n", "Maintainer: \n");
    assert!(render_control(&without).unwrap_err().contains("Maintainer"));
    assert!(render_control(" orphan continuation\n").is_err());
}

#[test]
fn the_listing_keeps_absolute_paths_once() {
    let listing = "/.\n/usr\n/usr/bin\n/usr/bin/viban\ndiverted by other to: /usr/bin/viban.real\n/usr/bin/viban\n\
package diverts others to: /x\n/usr/share/applications/viban.desktop\n";
    let want: Vec<PathBuf> = ["/usr", "/usr/bin", "/usr/bin/viban", "/usr/share/applications/viban.desktop"]
        .iter()
        .map(PathBuf::from)
        .collect();
    assert_eq!(filter_listing(listing), want);
}

#[test]
fn staging_copies_files_and_symlinks_with_their_modes() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("root");
    let lib = root.join("usr/lib/viban");
    std::fs::create_dir_all(&lib).unwrap();
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::create_dir_all(root.join("usr/share/empty")).unwrap();
    std::fs::write(root.join("usr/bin/viban"), "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(root.join("usr/bin/viban"), PermissionsExt::from_mode(0o755)).unwrap();
    std::fs::write(lib.join("data"), "x").unwrap();
    std::fs::set_permissions(lib.join("data"), PermissionsExt::from_mode(0o444)).unwrap();
    std::os::unix::fs::symlink("../lib/viban/data", root.join("usr/bin/data-link")).unwrap();
    std::fs::set_permissions(&lib, PermissionsExt::from_mode(0o750)).unwrap();
    // Merged /usr: the package's /bin is a link to usr/bin here.
    std::os::unix::fs::symlink("usr/bin", root.join("bin")).unwrap();
    let listing = "/.\n/bin\n/bin/viban\n/usr\n/usr/bin\n/usr/bin/viban\n/usr/bin/data-link\n/usr/lib\n\
/usr/lib/viban\n/usr/lib/viban/data\n/usr/share/empty\n/usr/bin/gone\n";

    let stage = tmp.path().join("stage");
    let staged = stage_files(&filter_listing(listing), &root, &stage).unwrap();

    assert_eq!(staged, 4);
    assert!(stage.join("bin").symlink_metadata().unwrap().is_dir(), "a package folder stays a folder");
    assert_eq!(mode(&stage.join("bin/viban")), 0o755);
    assert_eq!(mode(&stage.join("usr/bin/viban")), 0o755);
    assert_eq!(mode(&stage.join("usr/lib/viban/data")), 0o444);
    assert_eq!(mode(&stage.join("usr/lib/viban")), 0o750);
    assert_eq!(std::fs::read_link(stage.join("usr/bin/data-link")).unwrap(), Path::new("../lib/viban/data"));
    assert!(!stage.join("usr/share/empty").exists(), "folders alone are not staged");
    assert!(!stage.join("usr/bin/gone").exists());
}

#[test]
fn kept_packages_are_found_by_version_stored_and_pruned() {
    let tmp = tempfile::tempdir().unwrap();
    let kept = tmp.path();
    for name in
        ["viban_0.1.0_amd64.deb", "viban-0.1.1-1.x86_64.rpm", "viban-server_0.1.2_amd64.deb", "viban_0.1.10_amd64.deb"]
    {
        std::fs::write(kept.join(name), "pkg").unwrap();
    }
    assert_eq!(kept_for(kept, "0.1.0"), Some(kept.join("viban_0.1.0_amd64.deb")));
    assert_eq!(kept_for(kept, "v0.1.0"), Some(kept.join("viban_0.1.0_amd64.deb")));
    assert_eq!(kept_for(kept, "0.1.1"), Some(kept.join("viban-0.1.1-1.x86_64.rpm")));
    assert_eq!(kept_for(kept, "0.1"), None);
    assert_eq!(kept_for(kept, "0.1.2"), None);

    let stored = keep_download(kept, PackageFormat::Rpm, "0.1.3", b"rpm bytes").unwrap();
    assert_eq!(stored, kept.join("viban-0.1.3.rpm"));
    assert_eq!(mode(&stored), 0o600);
    assert_eq!(kept_for(kept, "0.1.3"), Some(stored.clone()));

    let removed = prune_kept(kept, &[stored.as_path()]);
    assert_eq!(removed.len(), 4);
    assert_eq!(std::fs::read_dir(kept).unwrap().count(), 1);
}

#[test]
fn a_package_that_is_not_installed_cannot_be_kept() {
    let tmp = tempfile::tempdir().unwrap();
    for format in [PackageFormat::Deb, PackageFormat::Rpm] {
        let err = keep_package(format, "viban-no-such-package-for-tests", tmp.path()).unwrap_err();
        assert!(matches!(err, UpdateError::KeepUnsupported(_)), "{err:?}");
        assert!(err.to_string().contains("rollback is unavailable"), "{err}");
    }
}

fn installed(package: &str) -> bool {
    Command::new("dpkg-query").args(["-W", package]).output().is_ok_and(|o| o.status.success())
}

fn deb_field(deb: &Path, field: &str) -> String {
    let out = Command::new("dpkg-deb").arg("-f").arg(deb).arg(field).output().unwrap();
    String::from_utf8(out.stdout).unwrap()
}

/// Rebuilds a real installed package the way a viban install is kept, reading only (nothing is installed).
#[test]
fn an_installed_deb_is_rebuilt_like_dpkg_repack() {
    let Some(package) = ["debianutils", "hostname"].into_iter().find(|p| installed(p)) else {
        println!("skipped: dpkg-query finds neither debianutils nor hostname here");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let deb = keep_package(PackageFormat::Deb, package, tmp.path()).unwrap();
    let query = |f: &str| {
        let out = Command::new("dpkg-query").args(["-W", &format!("-f=${{{f}}}"), package]).output().unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(deb_field(&deb, "Package").trim(), package);
    assert_eq!(deb_field(&deb, "Version").trim(), query("Version"));
    assert_eq!(deb_field(&deb, "Description").trim_end(), query("Description").trim_end());
    let contents = Command::new("dpkg-deb").arg("-c").arg(&deb).output().unwrap();
    let contents = String::from_utf8(contents.stdout).unwrap();
    let listing = Command::new("dpkg-query").args(["-L", package]).output().unwrap();
    let files: Vec<PathBuf> = filter_listing(&String::from_utf8(listing.stdout).unwrap())
        .into_iter()
        .filter(|p| std::fs::symlink_metadata(p).is_ok_and(|m| !m.is_dir()) && !p.is_dir())
        .collect();
    assert!(!files.is_empty());
    for file in &files {
        assert!(
            contents.contains(&format!(".{} ", file.display())) || contents.contains(&format!(".{}\n", file.display())),
            "{file:?} not in\n{contents}"
        );
    }
    assert!(contents.lines().all(|l| l.contains("root/root")), "{contents}");
    if Path::new(&format!("/var/lib/dpkg/info/{package}.postinst")).exists() {
        let info = Command::new("dpkg-deb").arg("-I").arg(&deb).output().unwrap();
        assert!(String::from_utf8(info.stdout).unwrap().contains("postinst"));
    }
    // A second keep of the same version reuses the file.
    assert_eq!(keep_package(PackageFormat::Deb, package, tmp.path()).unwrap(), deb);
    assert_eq!(std::fs::read_dir(tmp.path()).unwrap().count(), 1, "the staging folder is removed");
}

/// The real thing, where viban is installed from its .deb (the clean-root installer test); skipped elsewhere.
#[test]
fn keep_current_keeps_an_installed_viban() {
    if !installed("viban") {
        println!("skipped: `dpkg-query -W viban` finds no installed viban here (the clean-root test covers it)");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let deb = keep_current(PackageFormat::Deb, tmp.path()).unwrap();
    assert_eq!(deb_field(&deb, "Package").trim(), "viban");
    assert!(deb.file_name().unwrap().to_string_lossy().starts_with("viban_"));
}
