//! The real window driven through tauri-driver + WebKitWebDriver (raw WebDriver over HTTP).

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use viban_test_support::wait_until;

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

struct Driver {
    child: tokio::process::Child,
    base: String,
    http: reqwest::Client,
}

impl Driver {
    async fn start(home: &Path) -> anyhow::Result<Self> {
        let port = free_port()?;
        let native = free_port()?;
        let child =
            tokio::process::Command::new(std::env::var("TAURI_DRIVER").unwrap_or_else(|_| "tauri-driver".into()))
                .args(["--port", &port.to_string(), "--native-port", &native.to_string()])
                .env("VIBAN_HOME", home)
                .stdout(Stdio::null())
                .stderr(Stdio::inherit())
                .kill_on_drop(true)
                .spawn()?;
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        wait_until("tauri-driver", Duration::from_secs(20), || async {
            http.get(format!("{base}/status")).send().await.ok().map(|_| ())
        })
        .await?;
        Ok(Self { child, base, http })
    }

    async fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> anyhow::Result<Value> {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req.send().await?.json().await?;
        if let Some(err) = v["value"]["error"].as_str() {
            anyhow::bail!("webdriver {path}: {err}: {}", v["value"]["message"]);
        }
        Ok(v["value"].clone())
    }

    async fn session(&self, bin: &Path) -> anyhow::Result<String> {
        let caps =
            json!({"capabilities": {"alwaysMatch": {"browserName": "wry", "tauri:options": {"application": bin}}}});
        let v = self.call(reqwest::Method::POST, "/session", Some(caps)).await?;
        v["sessionId"].as_str().map(str::to_string).ok_or_else(|| anyhow::anyhow!("no session id: {v}"))
    }

    /// Waits for an element by CSS selector.
    async fn element(&self, s: &str, css: &str) -> anyhow::Result<String> {
        wait_until(&format!("element {css}"), Duration::from_secs(30), || async {
            let v = self
                .call(
                    reqwest::Method::POST,
                    &format!("/session/{s}/element"),
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await
                .ok()?;
            v[ELEMENT].as_str().map(str::to_string)
        })
        .await
    }

    async fn click(&self, s: &str, css: &str) -> anyhow::Result<()> {
        let e = self.element(s, css).await?;
        self.call(reqwest::Method::POST, &format!("/session/{s}/element/{e}/click"), Some(json!({}))).await?;
        Ok(())
    }

    async fn type_into(&self, s: &str, css: &str, text: &str) -> anyhow::Result<()> {
        let e = self.element(s, css).await?;
        self.call(reqwest::Method::POST, &format!("/session/{s}/element/{e}/value"), Some(json!({"text": text})))
            .await?;
        Ok(())
    }

    async fn script(&self, s: &str, script: &str) -> anyhow::Result<Value> {
        self.call(
            reqwest::Method::POST,
            &format!("/session/{s}/execute/sync"),
            Some(json!({"script": script, "args": []})),
        )
        .await
    }

    async fn end(&self, s: &str) {
        let _ = self.call(reqwest::Method::DELETE, &format!("/session/{s}"), None).await;
    }
}

fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn card_titles(d: &Driver, s: &str) -> Vec<String> {
    let v = d
        .script(s, "return [...document.querySelectorAll('[data-testid=task-card]')].map(e => e.textContent)")
        .await
        .unwrap_or(Value::Null);
    v.as_array().map(|a| a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect()).unwrap_or_default()
}

pub async fn board_round_trip(bin: &Path) -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let repos = tempfile::tempdir()?;
    let mut driver = Driver::start(home.path()).await?;
    let s = driver.session(bin).await?;
    let title = driver.call(reqwest::Method::GET, &format!("/session/{s}/title"), None).await?;
    assert_eq!(title.as_str(), Some("viban"), "the window shows the board page");

    // A project made through the API appears in the window live; the task is made in the window.
    let file: Value = serde_json::from_slice(&std::fs::read(home.path().join("server.json"))?)?;
    let (url, token) = (file["url"].as_str().unwrap_or_default(), file["token"].as_str().unwrap_or_default());
    let repo = viban_test_support::git_repo(repos.path(), "desk")?;
    let http = reqwest::Client::new();
    let r = http
        .post(format!("{url}/api/projects"))
        .bearer_auth(token)
        .json(&json!({"name": "desk", "repo_path": repo}))
        .send();
    assert_eq!(r.await?.status(), 201);
    // The project list follows the change feed; the button is enabled once the new project is selected.
    wait_until("the new project in the window", Duration::from_secs(30), || async {
        let v = driver.script(&s, "return document.querySelector('[data-testid=new-task-button]')?.disabled === false");
        (v.await.ok()? == Value::Bool(true)).then_some(())
    })
    .await?;
    driver.click(&s, "[data-testid=new-task-button]").await?;
    driver.type_into(&s, "[data-testid=task-title-input]", "Made in the window").await?;
    driver.click(&s, "[data-testid=task-save]").await?;
    wait_until("the card in the window", Duration::from_secs(20), || async {
        card_titles(&driver, &s).await.iter().any(|t| t.contains("Made in the window")).then_some(())
    })
    .await?;
    // WebKitWebDriver ends a session by killing the app: a crash, as far as viban is concerned.
    let pid = file["pid"].as_i64().unwrap_or_default() as i32;
    driver.end(&s).await;
    wait_until("the app to end", Duration::from_secs(30), || async { (!crate::harness::alive(pid)).then_some(()) })
        .await?;

    let s = driver.session(bin).await?;
    wait_until("the card after a relaunch", Duration::from_secs(30), || async {
        card_titles(&driver, &s).await.iter().any(|t| t.contains("Made in the window")).then_some(())
    })
    .await?;
    driver.end(&s).await;
    let _ = driver.child.start_kill();
    for pid in viban_test_support::processes_in(&home.path().join("pg/data")) {
        let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
    }
    let _ = driver.child.wait().await;
    Ok(())
}
