use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use viban_server::{App, Config, RunningApp};

/// An in-process viban on a temp home with its own embedded PostgreSQL, and an authenticated client.
pub struct TestApp {
    pub app: RunningApp,
    pub home: tempfile::TempDir,
    pub client: reqwest::Client,
}

/// Status and JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body.get("code").and_then(Value::as_str).unwrap_or("")
    }
    pub fn str(&self, field: &str) -> String {
        self.body.get(field).and_then(Value::as_str).unwrap_or_default().to_string()
    }
}

impl TestApp {
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(|_| {}).await
    }

    /// Starts with a `Config` adjusted by `tune` (the home is always a fresh temp dir).
    pub async fn start_with(tune: impl FnOnce(&mut Config)) -> anyhow::Result<Self> {
        let home = tempfile::Builder::new().prefix("viban-test-").tempdir()?;
        let mut config = Config { home: Some(home.path().to_path_buf()), ..Config::default() };
        if let Ok(url) = std::env::var(crate::external_pg::DATABASE_URL_VAR) {
            // The integration suite against an external server: a database of its own, a small pool (the test
            // cluster allows 24 connections and two tests run at once).
            config.database_url = Some(crate::external_pg::fresh_database(&url).await?);
            config.db_pool_size = 4;
        }
        tune(&mut config);
        config.home = Some(home.path().to_path_buf());
        let app = App::start(config).await?;
        Ok(Self { app, home, client: reqwest::Client::new() })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.app.url)
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    /// An authenticated request; `body` is sent as JSON.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> anyhow::Result<Reply> {
        let mut req = self.client.request(method, self.url(path)).bearer_auth(&self.app.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let res = req.send().await?;
        let status = res.status();
        let bytes = res.bytes().await?;
        Ok(Reply { status, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) })
    }

    pub async fn get(&self, path: &str) -> anyhow::Result<Reply> {
        self.call(Method::GET, path, None).await
    }
    pub async fn post(&self, path: &str, body: Value) -> anyhow::Result<Reply> {
        self.call(Method::POST, path, Some(body)).await
    }
    pub async fn patch(&self, path: &str, body: Value) -> anyhow::Result<Reply> {
        self.call(Method::PATCH, path, Some(body)).await
    }
    pub async fn delete(&self, path: &str) -> anyhow::Result<Reply> {
        self.call(Method::DELETE, path, None).await
    }

    /// Adds a fresh git repository (inside the test's home dir's sibling temp) as a project; returns its id.
    pub async fn project(&self, repos: &Path, name: &str) -> anyhow::Result<String> {
        let repo = crate::git_repo(repos, name)?;
        let r = self.post("/api/projects", serde_json::json!({"name": name, "repo_path": repo})).await?;
        anyhow::ensure!(r.status == StatusCode::CREATED, "creating project: {r:?}");
        Ok(r.str("id"))
    }

    /// Titles per column of a project's board, in order.
    pub async fn columns(&self, project: &str) -> anyhow::Result<Vec<(String, Vec<String>)>> {
        let r = self.get(&format!("/api/projects/{project}/board")).await?;
        anyhow::ensure!(r.status == StatusCode::OK, "board: {r:?}");
        let cols = r.body["columns"].as_array().cloned().unwrap_or_default();
        Ok(cols
            .iter()
            .map(|c| {
                let titles = c["tasks"]
                    .as_array()
                    .map(|ts| ts.iter().map(|t| t["title"].as_str().unwrap_or_default().to_string()).collect())
                    .unwrap_or_default();
                (c["status"].as_str().unwrap_or_default().to_string(), titles)
            })
            .collect())
    }

    /// Stops the app, deletes its home and, when the cluster was kept outside it (as root, with a home the
    /// postgres account cannot reach), that cluster too: nothing is left outside the temp dir.
    pub async fn stop(self) -> bool {
        let clean = self.app.shutdown().await;
        let home = self.home.path().to_path_buf();
        let _ = self.home.close();
        viban_runtime::pg::outside::remove_for_home(&home);
        clean
    }
}
