//! Launching the real `viban` binary on the test display, and looking at it from outside (X11 tools, /proc).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde_json::Value;
use viban_test_support::wait_until;

/// Whether this run has what the desktop tests need; the reason when not.
pub fn environment() -> Result<PathBuf, String> {
    if std::env::var_os("VIBAN_DESKTOP_TESTS").is_none() {
        return Err("VIBAN_DESKTOP_TESTS is unset: `cargo xtask test` runs these under Xvfb with a tray".into());
    }
    let bin = std::env::var_os("VIBAN_DESKTOP_BIN").map(PathBuf::from).ok_or("VIBAN_DESKTOP_BIN is unset")?;
    if !bin.is_file() {
        return Err(format!("{} is missing: build viban-desktop first", bin.display()));
    }
    if std::env::var_os("DISPLAY").is_none() {
        return Err("DISPLAY is unset".into());
    }
    Ok(bin)
}

/// Runs a command and returns its stdout (empty on failure).
pub fn sh(cmd: &str, args: &[&str]) -> String {
    Command::new(cmd)
        .args(args)
        .stderr(Stdio::null())
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Whether an X window is the board window: WM_CLASS `"viban", "Viban"` (the tray icon's window is also titled
/// "viban" but has its own class).
fn is_board(window: &str) -> bool {
    sh("xprop", &["-id", window, "WM_CLASS"]).contains("\"viban\", \"Viban\"")
}

/// The title `name`, also with the inbox count the app adds to it ("viban — 2 in inbox").
fn title_pattern(name: &str) -> String {
    format!("^{name}( — .*)?$")
}

/// Visible board windows titled `name`.
pub fn visible_windows(name: &str) -> Vec<String> {
    let pattern = title_pattern(name);
    let found = sh("xdotool", &["search", "--onlyvisible", "--name", &pattern]);
    found.lines().map(str::to_string).filter(|w| is_board(w)).collect()
}

/// Board windows titled `name`, mapped or not.
pub fn all_windows(name: &str) -> Vec<String> {
    let pattern = title_pattern(name);
    sh("xdotool", &["search", "--name", &pattern]).lines().map(str::to_string).filter(|w| is_board(w)).collect()
}

/// Closes the board window as a window manager's close button would (the app hides it).
pub fn close_window(title: &str) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/desktop/wm_delete.py");
    let ids = all_windows(title);
    let mut args = vec![script];
    args.extend(ids.iter().map(String::as_str));
    sh("python3", &args);
}

pub struct Desktop {
    pub child: tokio::process::Child,
    pub home: PathBuf,
    pub pid: i32,
}

pub struct Api {
    pub url: String,
    pub token: String,
}

impl Desktop {
    /// Starts `viban` on `home` and waits for its server and its visible window.
    pub async fn launch(bin: &Path, home: &Path) -> anyhow::Result<Self> {
        let child = tokio::process::Command::new(bin)
            .env("VIBAN_HOME", home)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(false)
            .spawn()?;
        let pid = child.id().and_then(|p| i32::try_from(p).ok()).unwrap_or(0);
        let d = Self { child, home: home.to_path_buf(), pid };
        wait_until("viban's window", Duration::from_secs(60), || async {
            (!visible_windows("viban").is_empty()).then_some(())
        })
        .await?;
        d.api().await?;
        Ok(d)
    }

    /// The server's URL and token, once it answers.
    pub async fn api(&self) -> anyhow::Result<Api> {
        let file = self.home.join("server.json");
        wait_until("server.json and /api/health", Duration::from_secs(60), || async {
            let v: Value = serde_json::from_slice(&std::fs::read(&file).ok()?).ok()?;
            let url = v["url"].as_str()?.to_string();
            let ok = reqwest::get(format!("{url}/api/health")).await.ok()?.status().is_success();
            ok.then(|| Api { url, token: v["token"].as_str().unwrap_or_default().to_string() })
        })
        .await
    }

    pub fn signal(&self, sig: Signal) {
        let _ = kill(Pid::from_raw(self.pid), sig);
    }

    pub async fn wait_exit(&mut self, within: Duration) -> anyhow::Result<std::process::ExitStatus> {
        Ok(tokio::time::timeout(within, self.child.wait()).await??)
    }

    /// Every descendant of the app (webkit helpers, postgres is its own group but our child too).
    pub fn descendants(&self) -> Vec<i32> {
        let mut out = Vec::new();
        let mut frontier = vec![self.pid];
        while let Some(p) = frontier.pop() {
            for c in sh("pgrep", &["-P", &p.to_string()]).lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                out.push(c);
                frontier.push(c);
            }
        }
        out
    }
}

impl Drop for Desktop {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let kids = self.descendants();
            self.signal(Signal::SIGKILL);
            for k in kids {
                let _ = kill(Pid::from_raw(k), Signal::SIGKILL);
            }
        }
        for pid in viban_test_support::processes_in(&self.home.join("pg/data")) {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
    }
}

pub fn alive(pid: i32) -> bool {
    viban_test_support::pid_alive(pid)
}

/// Where our icon sits: the first docked child of trayer's panel at least 16 px wide (absolute centre).
fn tray_icon_centre() -> Option<(i32, i32)> {
    let panel = sh("xdotool", &["search", "--class", "trayer"]);
    let panel = panel.lines().last()?.to_string();
    // Without a window manager the board window may cover the panel.
    sh("xdotool", &["windowraise", &panel]);
    let tree = sh("xwininfo", &["-children", "-id", &panel]);
    tree.lines().find_map(|l| {
        // e.g. `0x200029 (has no name): ()  32x30+166+1  +1246+769`
        let mut parts = l.split_whitespace().rev();
        let abs = parts.next()?;
        let rel = parts.next()?;
        let (w, h) = rel.split('+').next()?.split_once('x')?;
        let (w, h): (i32, i32) = (w.parse().ok()?, h.parse().ok()?);
        let mut xy = abs.trim_start_matches('+').split('+');
        let (x, y): (i32, i32) = (xy.next()?.parse().ok()?, xy.next()?.parse().ok()?);
        (w >= 16 && h >= 16).then_some((x + w / 2, y + h / 2))
    })
}

/// Clicks our tray icon and waits for its menu to open.
pub async fn open_tray_menu() -> anyhow::Result<()> {
    let (x, y) = wait_until("our icon in the tray", Duration::from_secs(15), || async { tray_icon_centre() }).await?;
    let before = sh("xdotool", &["search", "--onlyvisible", "--class", "viban"]).lines().count();
    sh("xdotool", &["mousemove", &x.to_string(), &y.to_string(), "click", "1"]);
    // The menu is a new visible window of ours.
    wait_until("the tray menu to open", Duration::from_secs(10), || async {
        (sh("xdotool", &["search", "--onlyvisible", "--class", "viban"]).lines().count() > before).then_some(())
    })
    .await
}

/// Activates a menu item by keyboard: `Down` n times from the top, or `Up` n times from the bottom.
pub fn menu_key(key: &str, times: usize) {
    for _ in 0..times {
        sh("xdotool", &["key", key]);
        std::thread::sleep(Duration::from_millis(80));
    }
    sh("xdotool", &["key", "Return"]);
}
