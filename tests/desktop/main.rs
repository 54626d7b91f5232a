//! The real desktop app on a virtual display: window, tray, lifecycle, WebDriver. One app at a time.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod agents;
mod harness;
mod webdriver;

use std::time::Duration;

use harness::{Desktop, alive, close_window, environment, menu_key, open_tray_menu, visible_windows};
use nix::sys::signal::Signal;
use viban_test_support::{postmaster_pid, processes_in, wait_until};

/// Closes the board window as a user would, until it is hidden (a close sent while the window is still
/// settling can be lost).
async fn close_and_wait_hidden() -> anyhow::Result<()> {
    wait_until("the window to hide", Duration::from_secs(20), || async {
        close_window("viban");
        tokio::time::sleep(Duration::from_millis(500)).await;
        visible_windows("viban").is_empty().then_some(())
    })
    .await
    .map_err(|e| {
        let seen: Vec<String> = visible_windows("viban")
            .iter()
            .map(|w| format!("{w}: {}", harness::sh("xprop", &["-id", w, "WM_CLASS", "_NET_WM_PID"])))
            .collect();
        anyhow::anyhow!("{e}; still visible: {seen:?}")
    })
}

/// The tests share one display and one tray: run them one after another.
static DISPLAY_LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

macro_rules! desktop_or_skip {
    () => {
        match environment() {
            Ok(bin) => bin,
            Err(why) => {
                eprintln!("desktop test not run: {why}");
                return Ok(());
            }
        }
    };
}

#[tokio::test]
async fn tray_menu_reopens_the_window_and_quit_leaves_nothing_running() -> anyhow::Result<()> {
    let bin = desktop_or_skip!();
    let _display = DISPLAY_LOCK.lock().await;
    let home = tempfile::tempdir()?;
    let mut app = Desktop::launch(&bin, home.path()).await?;
    let children = app.descendants();
    assert!(!children.is_empty(), "webkit helpers and postgres run as children");

    // Closing the window hides it; viban stays.
    close_and_wait_hidden().await?;
    assert!(alive(app.pid), "closing the window must not quit viban");

    open_tray_menu().await?;
    menu_key("Down", 1); // "Open board"
    wait_until("Open board to show the window", Duration::from_secs(10), || async {
        (!visible_windows("viban").is_empty()).then_some(())
    })
    .await?;

    open_tray_menu().await?;
    menu_key("Up", 1); // "Quit viban", the last item
    let status = app.wait_exit(Duration::from_secs(30)).await?;
    assert!(status.success(), "Quit exits 0 when every service stopped in time: {status}");
    // WebKit's helpers end on their own once the app's sockets close; give them a moment, no more.
    let gone = wait_until("every child to exit", Duration::from_secs(10), || async {
        children.iter().all(|p| !alive(*p)).then_some(())
    });
    if gone.await.is_err() {
        let left: Vec<String> = children
            .iter()
            .filter(|p| alive(**p))
            .map(|p| format!("{p}: {}", std::fs::read_to_string(format!("/proc/{p}/cmdline")).unwrap_or_default()))
            .collect();
        panic!("children left after Quit: {left:?}");
    }
    assert!(processes_in(&home.path().join("pg/data")).is_empty(), "PostgreSQL left after Quit");
    Ok(())
}

#[tokio::test]
async fn a_second_launch_shows_the_first_window_and_exits() -> anyhow::Result<()> {
    let bin = desktop_or_skip!();
    let _display = DISPLAY_LOCK.lock().await;
    let home = tempfile::tempdir()?;
    let mut app = Desktop::launch(&bin, home.path()).await?;
    close_and_wait_hidden().await?;
    let second = tokio::process::Command::new(&bin).env("VIBAN_HOME", home.path()).output();
    let second = tokio::time::timeout(Duration::from_secs(30), second).await??;
    assert!(second.status.success(), "{}", String::from_utf8_lossy(&second.stderr));
    assert!(String::from_utf8_lossy(&second.stdout).contains("already running"));
    wait_until("the first window to show", Duration::from_secs(10), || async {
        (!visible_windows("viban").is_empty()).then_some(())
    })
    .await?;
    app.signal(Signal::SIGTERM);
    assert!(app.wait_exit(Duration::from_secs(30)).await?.success(), "SIGTERM exits cleanly");
    Ok(())
}

#[tokio::test]
async fn a_crash_is_recovered_at_the_next_launch_and_postgres_restarts_under_it() -> anyhow::Result<()> {
    let bin = desktop_or_skip!();
    let _display = DISPLAY_LOCK.lock().await;
    let home = tempfile::tempdir()?;
    let repos = tempfile::tempdir()?;
    let mut app = Desktop::launch(&bin, home.path()).await?;
    let api = app.api().await?;
    let repo = viban_test_support::git_repo(repos.path(), "crash")?;
    let client = reqwest::Client::new();
    let made = client
        .post(format!("{}/api/projects", api.url))
        .bearer_auth(&api.token)
        .json(&serde_json::json!({"name": "crash", "repo_path": repo}))
        .send()
        .await?;
    assert_eq!(made.status(), 201);

    // PostgreSQL dies under a running app: health goes degraded, then ready again, without a relaunch.
    let pg = postmaster_pid(home.path()).ok_or_else(|| anyhow::anyhow!("no postmaster"))?;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pg), Signal::SIGKILL)?;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    wait_until("database ready again", Duration::from_secs(60), || {
        let (client, url, seen) = (client.clone(), api.url.clone(), seen.clone());
        async move {
            let v: serde_json::Value = client.get(format!("{url}/api/health")).send().await.ok()?.json().await.ok()?;
            let state = v["database"].as_str().unwrap_or_default().to_string();
            let mut seen = seen.lock().ok()?;
            let done = state == "ready" && seen.iter().any(|s| s == "degraded");
            seen.push(state);
            done.then_some(())
        }
    })
    .await?;

    // Now the app itself is killed; the next launch cleans up and has the data.
    let children = app.descendants();
    app.signal(Signal::SIGKILL);
    app.wait_exit(Duration::from_secs(10)).await?;
    for c in children {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(c), Signal::SIGKILL);
    }
    wait_until("the old window to go", Duration::from_secs(10), || async {
        visible_windows("viban").is_empty().then_some(())
    })
    .await?;
    let app = Desktop::launch(&bin, home.path()).await?;
    let api = app.api().await?;
    let projects: serde_json::Value =
        client.get(format!("{}/api/projects", api.url)).bearer_auth(&api.token).send().await?.json().await?;
    assert_eq!(projects[0]["name"], "crash");
    drop(app);
    Ok(())
}

#[tokio::test]
async fn the_board_loads_in_the_window_and_a_task_made_there_survives_a_relaunch() -> anyhow::Result<()> {
    let bin = desktop_or_skip!();
    let _display = DISPLAY_LOCK.lock().await;
    webdriver::board_round_trip(&bin).await
}

#[tokio::test]
async fn without_a_display_or_a_usable_home_it_says_why() -> anyhow::Result<()> {
    let bin = desktop_or_skip!();
    let _display = DISPLAY_LOCK.lock().await;
    let tmp = tempfile::tempdir()?;
    let out = tokio::process::Command::new(&bin)
        .env_remove("DISPLAY")
        .env_remove("WAYLAND_DISPLAY")
        .env("VIBAN_HOME", tmp.path())
        .output()
        .await?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no display"), "{}", String::from_utf8_lossy(&out.stderr));

    // A home that cannot be created: a window says why, and closing it ends viban with a failure.
    let file = tmp.path().join("a-file");
    std::fs::write(&file, "x")?;
    let mut child = tokio::process::Command::new(&bin)
        .env("VIBAN_HOME", file.join("home"))
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let title = "viban could not start";
    let shown = wait_until("the error window", Duration::from_secs(30), || async {
        let w = harness::sh("xdotool", &["search", "--onlyvisible", "--name", &format!("^{title}$")]);
        (!w.is_empty()).then_some(w)
    })
    .await?;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/desktop/wm_delete.py");
    let mut args = vec![script];
    args.extend(shown.lines());
    harness::sh("python3", &args);
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait()).await??;
    assert_eq!(status.code(), Some(1), "closing the error window exits 1");
    Ok(())
}

#[tokio::test]
async fn the_tray_lists_and_stops_agents_and_quit_asks_before_stopping_them() -> anyhow::Result<()> {
    let bin = desktop_or_skip!();
    let _display = DISPLAY_LOCK.lock().await;
    agents::tray_stops_agents_and_quit_asks_first(&bin).await
}
