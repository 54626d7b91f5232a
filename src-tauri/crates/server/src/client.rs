//! `viban-server login-url` and `rotate-token`: talk to the running server found through `server.json`.

use std::time::Duration;

use viban_core::{AppPaths, LoginCode};

use crate::ServerFile;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error(
        "viban is not running for {home} (no server.json there): start it with `viban-server serve` or the desktop app"
    )]
    NotRunning { home: String },
    #[error("the viban at {url} did not answer ({source}); is it still running? Its server.json may be stale")]
    Unreachable { url: String, source: reqwest::Error },
    #[error("the viban at {url} refused: {status} {body}")]
    Refused { url: String, status: u16, body: String },
    #[error("could not write the new token: {0}")]
    Write(#[from] std::io::Error),
}

fn running(paths: &AppPaths) -> Result<ServerFile, ClientError> {
    ServerFile::read(&paths.server_json())
        .map_err(|_| ClientError::NotRunning { home: paths.data_dir.display().to_string() })
}

async fn post(file: &ServerFile, path: &str) -> Result<reqwest::Response, ClientError> {
    let url = format!("{}{path}", file.url);
    let client = reqwest::Client::builder().timeout(Duration::from_secs(10)).build();
    let client = client.map_err(|source| ClientError::Unreachable { url: file.url.clone(), source })?;
    let res = client
        .post(&url)
        .bearer_auth(&file.token)
        .send()
        .await
        .map_err(|source| ClientError::Unreachable { url: file.url.clone(), source })?;
    if !res.status().is_success() {
        let status = res.status().as_u16();
        return Err(ClientError::Refused { url: file.url.clone(), status, body: res.text().await.unwrap_or_default() });
    }
    Ok(res)
}

/// A new single-use sign-in link from the running server.
pub async fn login_url(paths: &AppPaths) -> Result<String, ClientError> {
    let file = running(paths)?;
    let res = post(&file, "/api/auth/codes").await?;
    let code: LoginCode =
        res.json().await.map_err(|source| ClientError::Unreachable { url: file.url.clone(), source })?;
    Ok(code.url)
}

/// What `rotate-token` did.
#[derive(Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The running server replaced its token and signed every session out.
    Running { token_replaced: bool },
    /// No server runs: the token and session key on disk were replaced.
    Offline,
}

/// Signs every browser out and replaces the install token (the running server's, or the one on disk).
pub async fn rotate_token(paths: &AppPaths) -> Result<Rotation, ClientError> {
    match running(paths) {
        Ok(file) => match post(&file, "/api/auth/rotate").await {
            Ok(_) => {
                let now = running(paths).map(|f| f.token).unwrap_or_default();
                Ok(Rotation::Running { token_replaced: now != file.token })
            }
            // A stale server.json (crashed server): nothing listens, so rotate on disk.
            Err(ClientError::Unreachable { source, .. }) if source.is_connect() => {
                crate::token::rotate_offline(paths)?;
                Ok(Rotation::Offline)
            }
            Err(e) => Err(e),
        },
        Err(_) => {
            crate::token::rotate_offline(paths)?;
            Ok(Rotation::Offline)
        }
    }
}

/// Opens `url` in the user's browser (`xdg-open`); reaped in the background.
pub fn open_in_browser(url: &str) -> std::io::Result<()> {
    let mut child = std::process::Command::new("xdg-open")
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    std::thread::spawn(move || child.wait());
    Ok(())
}
