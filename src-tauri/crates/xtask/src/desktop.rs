//! The desktop tests' world: a virtual display (Xvfb), an XEmbed tray (trayer) and a session bus
//! (dbus-run-session), torn down afterwards whatever happens.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::cmd::{cargo, status};
use crate::root;

/// Kills the process when dropped.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_display() -> Result<u32> {
    (90..200)
        .find(|n| {
            !Path::new(&format!("/tmp/.X11-unix/X{n}")).exists() && !Path::new(&format!("/tmp/.X{n}-lock")).exists()
        })
        .context("no free X display number")
}

fn wait_for(what: &str, within: Duration, mut ready: impl FnMut() -> bool) -> Result<()> {
    let until = Instant::now() + within;
    while !ready() {
        if Instant::now() > until {
            bail!("timed out waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

pub fn viban_bin() -> PathBuf {
    root().join("target/debug/viban")
}

/// A virtual display; it goes away when the returned guard is dropped.
pub fn virtual_display() -> Result<(impl Drop, String)> {
    let n = free_display()?;
    let display = format!(":{n}");
    let xvfb = Background(
        Command::new("Xvfb")
            .args([&display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting Xvfb")?,
    );
    wait_for("Xvfb", Duration::from_secs(15), || Path::new(&format!("/tmp/.X11-unix/X{n}")).exists())?;
    Ok((xvfb, display))
}

pub fn tests(pg_bin: &Path) -> Result<()> {
    status(cargo().args(crate::cmd::WORKSPACE_BUILD).arg("-q"))?;
    let (_xvfb, display) = virtual_display()?;
    let _tray = Background(
        Command::new("trayer")
            .args(["--edge", "bottom", "--align", "right", "--widthtype", "pixel", "--width", "200", "--height", "32"])
            .env("DISPLAY", &display)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting trayer")?,
    );
    let cargo_bin = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    crate::failures::status_naming_failures(
        Command::new("dbus-run-session")
            .arg("--")
            .arg(cargo_bin)
            .args(["test", "-q", "-p", "viban-tests", "--test", "desktop", "--", "--test-threads=1"])
            .current_dir(root())
            .env("DISPLAY", &display)
            .env("VIBAN_DESKTOP_TESTS", "1")
            .env("VIBAN_DESKTOP_BIN", viban_bin())
            .env("VIBAN_PG_BIN", pg_bin)
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .env("NO_AT_BRIDGE", "1"),
    )
}
