//! `viban-server deploy` and `rollback` with two binaries side by side. The restart command is `systemctl` in
//! production; these machines have no systemd as PID 1, so here it is a test double — a shell script that stops the
//! process serving and starts `current/viban-server` again, as systemd would (hence "restart double" in the names).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use viban_test_support::wait_until;

struct Site {
    _root: tempfile::TempDir,
    dir: PathBuf,
    home: PathBuf,
    port: u16,
    restart: PathBuf,
}

impl Drop for Site {
    fn drop(&mut self) {
        // Stop whatever the double started last.
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("pid")) {
            let _ = std::process::Command::new("sh").arg("-c").arg(format!("kill {} 2>/dev/null", pid.trim())).status();
        }
        let _ = wait_gone(&self.dir);
    }
}

fn wait_gone(dir: &Path) -> bool {
    let Ok(pid) = std::fs::read_to_string(dir.join("pid")) else { return true };
    let proc = PathBuf::from(format!("/proc/{}", pid.trim()));
    (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        !proc.exists() || std::fs::read_to_string(proc.join("stat")).is_ok_and(|s| s.contains(") Z "))
    })
}

fn site() -> anyhow::Result<Site> {
    let root = tempfile::Builder::new().prefix("viban-deploy-").tempdir()?;
    viban_test_support::open_temp_parents(root.path())?;
    let (dir, home) = (root.path().join("opt"), root.path().join("home"));
    std::fs::create_dir_all(&dir)?;
    std::fs::create_dir_all(&home)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let restart = dir.join("restart-double.sh");
    std::fs::write(
        &restart,
        format!(
            "#!/bin/sh\n# The restart double: what `systemctl restart viban-server` does to the unit.\nD='{d}'\n\
             # Gone once it exited: a zombie counts as gone (systemd reaps its service at once; here the reaper \
             may take seconds).\n\
             alive() {{ s=$(sed 's/.*) //' \"/proc/$1/stat\" 2>/dev/null | cut -c1); [ -n \"$s\" ] && [ \"$s\" != Z ]; }}\n\
             if [ -f \"$D/pid\" ]; then p=$(cat \"$D/pid\"); kill \"$p\" 2>/dev/null; \
             for i in $(seq 1 2000); do alive \"$p\" || break; sleep 0.01; done; fi\n\
             setsid \"$D/current/viban-server\" serve --home '{h}' --bind 127.0.0.1:{port} >>\"$D/serve.log\" 2>&1 </dev/null &\n\
             echo $! > \"$D/pid\"\n",
            d = dir.display(),
            h = home.display(),
        ),
    )?;
    std::fs::set_permissions(&restart, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    Ok(Site { _root: root, dir, home, port, restart })
}

impl Site {
    fn run(&self, args: &[&str], deadline_secs: u64) -> anyhow::Result<Output> {
        let mut cmd = std::process::Command::new(viban_test_support::server_bin()?);
        cmd.args(args)
            .arg("--dir")
            .arg(&self.dir)
            .arg("--restart-command")
            .arg(&self.restart)
            .arg("--health-url")
            .arg(format!("http://127.0.0.1:{}", self.port))
            .arg("--home")
            .arg(&self.home)
            .args(["--deadline-secs", &deadline_secs.to_string()])
            .env_remove("VIBAN_HOME");
        Ok(cmd.output()?)
    }

    /// The binary the serving process runs.
    fn serving(&self) -> Option<PathBuf> {
        let pid = std::fs::read_to_string(self.dir.join("pid")).ok()?;
        std::fs::read_link(format!("/proc/{}/exe", pid.trim())).ok()
    }

    fn current(&self) -> Option<PathBuf> {
        std::fs::read_link(self.dir.join("current")).ok()
    }
}

fn said(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

/// A fake new binary: a shell script that answers `--version` and then does `serve_body`.
fn fake(dir: &Path, name: &str, version: &str, serve_body: &str) -> anyhow::Result<PathBuf> {
    let p = dir.join(name);
    std::fs::write(
        &p,
        format!("#!/bin/sh\nif [ \"$1\" = --version ]; then echo 'viban-server {version}'; exit 0; fi\n{serve_body}\n"),
    )?;
    std::fs::set_permissions(&p, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    Ok(p)
}

#[tokio::test]
async fn deploy_with_the_restart_double_switches_to_a_healthy_binary_and_rolls_back_broken_ones() -> anyhow::Result<()>
{
    let s = site()?;
    let bin = viban_test_support::server_bin()?;
    // First deploy: nothing before it.
    let first = s.run(&["deploy", &bin.display().to_string()], 60)?;
    assert!(first.status.success(), "{}", said(&first));
    let v1 = s.current().ok_or_else(|| anyhow::anyhow!("no current link"))?;
    assert_eq!(s.serving(), std::fs::canonicalize(v1.join("viban-server")).ok());

    // A good new binary: switched, and the process serving is the new one.
    let second = s.run(&["deploy", &bin.display().to_string()], 60)?;
    assert!(second.status.success(), "{}", said(&second));
    let v2 = s.current().ok_or_else(|| anyhow::anyhow!("no current link"))?;
    assert_ne!(v1, v2);
    assert_eq!(std::fs::read_link(s.dir.join("previous")).ok(), Some(v1.clone()));
    assert_eq!(s.serving(), std::fs::canonicalize(v2.join("viban-server")).ok());

    let scratch = tempfile::tempdir()?;
    // One that exits at start, and one that starts but never gets healthy: both rolled back to v2, which serves.
    for (name, body) in [("exits", "exit 1"), ("hangs", "exec sleep 600")] {
        let broken = fake(scratch.path(), name, "9.9.9", body)?;
        let out = s.run(&["deploy", &broken.display().to_string()], 10)?;
        assert!(!out.status.success(), "{name}: {}", said(&out));
        assert!(
            said(&out).contains("rolled back to") && said(&out).contains("serving again"),
            "{name}: {}",
            said(&out)
        );
        assert_eq!(s.current(), Some(v2.clone()), "{name}");
        assert_eq!(s.serving(), std::fs::canonicalize(v2.join("viban-server")).ok(), "{name}");
    }
    // A binary for another machine is refused before anything is switched.
    let alien = scratch.path().join("alien");
    std::fs::write(&alien, b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0\xb7\0garbage")?;
    std::fs::set_permissions(&alien, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    let out = s.run(&["deploy", &alien.display().to_string()], 5)?;
    assert!(!out.status.success() && said(&out).contains("another architecture"), "{}", said(&out));
    assert_eq!(s.current(), Some(v2.clone()));

    // Rollback by hand: v1 serves again.
    let back = s.run(&["rollback"], 60)?;
    assert!(back.status.success(), "{}", said(&back));
    assert_eq!(s.current(), Some(v1.clone()));
    wait_until("v1 to serve", Duration::from_secs(10), || async {
        (s.serving() == std::fs::canonicalize(v1.join("viban-server")).ok()).then_some(())
    })
    .await?;
    Ok(())
}
