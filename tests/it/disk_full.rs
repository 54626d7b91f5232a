//! A full disk: writes fail with a clear error, nothing stored is lost, and viban carries on once space is back.
//! Needs root and tmpfs mounts (as CI has); elsewhere it says why it did not run.

use std::path::{Path, PathBuf};
use std::process::Command;

use reqwest::{Method, StatusCode};
use serde_json::json;
use viban_test_support::{ServerProcess, git_repo};

/// A small tmpfs, unmounted (lazily) when dropped.
pub(crate) struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(at).ok()?;
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0755"), "tmpfs"])
            .arg(at)
            .output()
            .ok()?;
        out.status.success().then(|| Self(at.to_path_buf()))
    }
}

/// A fresh viban home on a small tmpfs (None, with the reason printed, where mounting needs root we lack).
pub(crate) fn small_home(outer: &Path) -> anyhow::Result<Option<(SmallDisk, PathBuf)>> {
    let Some(disk) = SmallDisk::mount(&outer.join("disk"), "160M") else {
        eprintln!("skipped: mounting a tmpfs needs root (CI runs as root)");
        return Ok(None);
    };
    std::fs::set_permissions(outer, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let home = disk.0.join("home");
    Ok(Some((disk, home)))
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).output();
    }
}

/// Fills the disk until the kernel says no.
pub(crate) fn fill(dir: &Path) -> std::io::Result<PathBuf> {
    use std::io::Write;
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path)?;
    let chunk = vec![0u8; 1 << 20];
    while f.write_all(&chunk).is_ok() {}
    let _ = f.sync_all();
    Ok(path)
}

#[tokio::test]
async fn a_full_disk_gets_a_clear_error_and_loses_nothing() -> anyhow::Result<()> {
    let outer = tempfile::tempdir()?;
    let Some((disk, home)) = small_home(outer.path())? else { return Ok(()) };
    let repos = tempfile::tempdir()?;
    let mut server = ServerProcess::spawn(&home, &[]).await?;
    let repo = git_repo(repos.path(), "full")?;
    let p = server.call(Method::POST, "/api/projects", Some(json!({"name": "full", "repo_path": repo}))).await?;
    let project = p.str("id");
    let kept =
        server.call(Method::POST, &format!("/api/projects/{project}/tasks"), Some(json!({"title": "kept"}))).await?;
    assert_eq!(kept.status, StatusCode::CREATED);

    let filler = fill(&disk.0)?;
    // Enough writes to need new pages; each must fail cleanly, never with a hang or a crash of viban.
    let mut refused = None;
    let mut seed: u64 = 42;
    for i in 0..2000 {
        // Text that does not compress, so every task really takes space.
        let noise: String = (0..50_000)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                char::from(b'a' + (seed >> 59) as u8 % 26)
            })
            .collect();
        let body = json!({"title": format!("t{i}"), "description": noise});
        let r = server.call(Method::POST, &format!("/api/projects/{project}/tasks"), Some(body)).await?;
        if r.status != StatusCode::CREATED {
            refused = Some(r);
            break;
        }
    }
    let refused = refused.ok_or_else(|| anyhow::anyhow!("writes never failed on a full disk"))?;
    eprintln!("on a full disk: {} {}", refused.status, refused.body);
    assert!(
        [StatusCode::INSUFFICIENT_STORAGE, StatusCode::SERVICE_UNAVAILABLE].contains(&refused.status),
        "{refused:?}"
    );
    assert!(["disk_full", "database_unavailable"].contains(&refused.code()), "{refused:?}");

    std::fs::remove_file(filler)?;
    let back = viban_test_support::wait_until("writes to work again", std::time::Duration::from_secs(60), || async {
        let r = server
            .call(Method::POST, &format!("/api/projects/{project}/tasks"), Some(json!({"title": "after"})))
            .await
            .ok()?;
        (r.status == StatusCode::CREATED).then_some(())
    });
    back.await?;
    let got = server.call(Method::GET, &format!("/api/tasks/{}", kept.str("id")), None).await?;
    assert_eq!(got.str("title"), "kept");
    server.signal(nix::sys::signal::Signal::SIGTERM);
    server.wait_exit(std::time::Duration::from_secs(10)).await?;
    drop(server);
    drop(disk);
    Ok(())
}
