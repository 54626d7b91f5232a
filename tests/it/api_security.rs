//! The API is guarded like a shell: token, Host, Origin, body limit, and clear `{code, message}` errors for
//! every bad input, with nothing stored lost.

use reqwest::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use viban_test_support::{TestApp, git_repo};

/// A raw HTTP/1.1 request, so the Host header is exactly what we say.
async fn raw_get(addr: std::net::SocketAddr, host: &str, path: &str) -> anyhow::Result<String> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes()).await?;
    let mut out = String::new();
    s.read_to_string(&mut out).await?;
    Ok(out)
}

async fn ws_status(app: &TestApp, origin: Option<&str>, token: Option<&str>) -> anyhow::Result<u16> {
    let mut req = format!("ws://{}/api/events", app.app.addr).into_client_request()?;
    if let Some(o) = origin {
        req.headers_mut().insert("Origin", o.parse()?);
    }
    if let Some(t) = token {
        req.headers_mut().insert("Authorization", format!("Bearer {t}").parse()?);
    }
    Ok(match tokio_tungstenite::connect_async(req).await {
        Ok((_, res)) => res.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
        Err(e) => anyhow::bail!("websocket: {e}"),
    })
}

#[tokio::test]
async fn token_host_and_origin_are_enforced() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let anon = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;

    let health = anon.get(app.url("/api/health")).send().await?;
    assert_eq!(health.status(), StatusCode::OK);
    let body: serde_json::Value = health.json().await?;
    assert_eq!((body["status"].as_str(), body["database"].as_str()), (Some("ok"), Some("ready")));

    for path in ["/api/projects", "/api/openapi.json", "/api/tasks/x"] {
        let r = anon.get(app.url(path)).send().await?;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        let body: serde_json::Value = r.json().await?;
        assert_eq!(body["code"], "unauthorized");
    }
    let r = anon.get(app.url("/api/projects")).bearer_auth("wrong").send().await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // A wrong session or a session-shaped guess is refused too (see harden.rs for the sign-in flow).
    let r = anon.get(app.url("/api/projects")).bearer_auth("vs1.0.0").send().await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // DNS rebinding: any other Host is refused, even for health.
    let port = app.app.addr.port();
    let ok = raw_get(app.app.addr, &format!("localhost:{port}"), "/api/health").await?;
    assert!(ok.starts_with("HTTP/1.1 200"), "{ok}");
    let bad = raw_get(app.app.addr, &format!("evil.example:{port}"), "/api/health").await?;
    assert!(bad.starts_with("HTTP/1.1 403") && bad.contains("forbidden_host"), "{bad}");

    // Cross-site WebSocket hijacking and cross-origin writes are refused; our own origin is fine.
    let own = format!("http://127.0.0.1:{port}");
    assert_eq!(ws_status(&app, Some("http://evil.example"), Some(&app.app.token)).await?, 403);
    assert_eq!(ws_status(&app, Some(&own), None).await?, 401);
    assert_eq!(ws_status(&app, Some(&own), Some(&app.app.token)).await?, 101, "tools may send the token");
    let r = app
        .client
        .post(app.url("/api/projects"))
        .bearer_auth(&app.app.token)
        .header("origin", "http://evil.example")
        .json(&json!({"name": "x", "repo_path": "/tmp"}))
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // No permissive CORS.
    let r = anon.get(app.url("/api/health")).header("origin", "http://evil.example").send().await?;
    assert!(r.headers().get("access-control-allow-origin").is_none());
    app.stop().await;
    Ok(())
}

#[tokio::test]
async fn bad_requests_get_clear_errors_and_lose_nothing() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let tmp = tempfile::tempdir()?;
    let p = app.project(tmp.path(), "keep").await?;
    let task = app.post(&format!("/api/projects/{p}/tasks"), json!({"title": "precious"})).await?.str("id");
    let post = |path: &str, body: &'static str, ctype: &'static str| {
        app.client.post(app.url(path)).bearer_auth(&app.app.token).header("content-type", ctype).body(body).send()
    };

    let r = post("/api/projects", "{\"name\":", "application/json").await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(r.json::<serde_json::Value>().await?["code"], "bad_json");
    let r = post("/api/projects", "{}", "text/plain").await?;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = "x".repeat(2 * 1024 * 1024);
    let r = app.post(&format!("/api/projects/{p}/tasks"), json!({"title": "big", "description": huge})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"));
    let r = app.post(&format!("/api/projects/{p}/tasks"), json!({"title": "t".repeat(501)})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "validation"));

    for path in ["/api/tasks/00000000-0000-0000-0000-000000000000", "/api/tasks/not-an-id", "/api/projects/nope/board"]
    {
        let r = app.get(path).await?;
        assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"), "{path}");
    }
    let r = app.patch("/api/tasks/00000000-0000-0000-0000-000000000000", json!({"title": "x"})).await?;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get("/api/nothing-here").await?;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));

    // Repository paths: not git, missing, relative, traversal, symlinks, system and viban's own folders.
    let plain = tmp.path().join("plain");
    std::fs::create_dir_all(&plain)?;
    let repo = git_repo(tmp.path(), "real")?;
    std::fs::create_dir_all(repo.join("sub/dir"))?;
    let link_to_repo = tmp.path().join("link");
    std::os::unix::fs::symlink(&repo, &link_to_repo)?;
    let link_to_home = tmp.path().join("sneaky");
    std::os::unix::fs::symlink(app.home(), &link_to_home)?;
    let traversal = format!("{}/../plain/./", repo.display());
    let cases: Vec<(String, StatusCode, &str)> = vec![
        (plain.display().to_string(), StatusCode::UNPROCESSABLE_ENTITY, "not_a_git_repo"),
        (traversal, StatusCode::UNPROCESSABLE_ENTITY, "not_a_git_repo"),
        (tmp.path().join("missing").display().to_string(), StatusCode::UNPROCESSABLE_ENTITY, "path_not_found"),
        ("relative/path".into(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_path"),
        ("".into(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_path"),
        ("/proc/1".into(), StatusCode::FORBIDDEN, "path_not_allowed"),
        (link_to_home.display().to_string(), StatusCode::FORBIDDEN, "path_not_allowed"),
        (repo.join("README.md").display().to_string(), StatusCode::UNPROCESSABLE_ENTITY, "invalid_path"),
    ];
    for (path, status, code) in cases {
        let r = app.post("/api/projects", json!({"name": "x", "repo_path": path})).await?;
        assert_eq!((r.status, r.code()), (status, code), "{path}: {r:?}");
        assert!(!r.str("message").is_empty());
    }
    let r = app.post("/api/projects", json!({"name": "x", "repo_path": plain})).await?;
    assert!(r.str("message").contains("not a git repository"), "{r:?}");

    // A symlink or a subfolder resolves to the repository's top, stored once.
    let r = app.post("/api/projects", json!({"name": "via link", "repo_path": link_to_repo.join("sub/dir")})).await?;
    assert_eq!(r.status, StatusCode::CREATED, "{r:?}");
    assert_eq!(r.str("repo_path"), std::fs::canonicalize(&repo)?.display().to_string());
    let r = app.post("/api/projects", json!({"name": "again", "repo_path": repo})).await?;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "conflict"));

    // Nothing stored was lost along the way.
    assert_eq!(app.get(&format!("/api/tasks/{task}")).await?.str("title"), "precious");
    assert_eq!(app.get("/api/projects").await?.body.as_array().map(Vec::len), Some(2));
    app.stop().await;
    Ok(())
}

/// Behind a reverse proxy (`--public-url`): the public host is accepted in `Host` and its origin for writes and
/// WebSockets, sign-in links point at it, and any other Host or Origin is still refused.
#[tokio::test]
async fn a_public_url_is_accepted_as_host_and_origin_and_nothing_else_is() -> anyhow::Result<()> {
    let app = TestApp::start_with(|c| c.public_url = Some("https://viban.example.test".into())).await?;
    let addr = app.app.addr;
    for host in ["viban.example.test", "viban.example.test:443", &format!("localhost:{}", addr.port())] {
        let r = raw_get(addr, host, "/api/health").await?;
        assert!(r.starts_with("HTTP/1.1 200"), "{host}: {r}");
    }
    for host in ["evil.example", "viban.example.test:8443", "viban.example.test.evil.example"] {
        let r = raw_get(addr, host, "/api/health").await?;
        assert!(r.starts_with("HTTP/1.1 403") && r.contains("forbidden_host"), "{host}: {r}");
    }
    assert_eq!(ws_status(&app, Some("https://viban.example.test"), Some(&app.app.token)).await?, 101);
    assert_eq!(ws_status(&app, Some("http://viban.example.test"), Some(&app.app.token)).await?, 403, "scheme matters");
    assert_eq!(ws_status(&app, Some("https://evil.example"), Some(&app.app.token)).await?, 403);
    assert!(app.app.login_url().starts_with("https://viban.example.test/#code="), "{}", app.app.login_url());
    assert!(app.stop().await);
    Ok(())
}

#[tokio::test]
async fn a_malformed_public_url_stops_the_start_with_the_reason() -> anyhow::Result<()> {
    for bad in ["viban.example.test", "https://viban.example.test/board", "ftp://viban.example.test"] {
        let err = match TestApp::start_with(|c| c.public_url = Some(bad.into())).await {
            Ok(app) => {
                app.stop().await;
                anyhow::bail!("{bad} was accepted")
            }
            Err(e) => e.to_string(),
        };
        assert!(err.contains("--public-url"), "{bad}: {err}");
    }
    Ok(())
}
