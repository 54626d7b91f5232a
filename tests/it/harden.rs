//! One test per finding of the hardening review (issue "Harden"): credentials that no other local port can
//! obtain, no framing, no side-effecting GETs, JSON errors everywhere, private files, no token on a command line.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use viban_test_support::{ServerProcess, TestApp};

fn anon() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap_or_default()
}

/// Mints a sign-in code the way `viban-server login-url` does and redeems it like the UI.
async fn sign_in(app: &TestApp) -> anyhow::Result<String> {
    let code = app.post("/api/auth/codes", json!({})).await?;
    assert_eq!(code.status, StatusCode::OK, "{code:?}");
    assert!(code.str("url").ends_with(&format!("/#code={}", code.str("code"))), "{code:?}");
    let r = anon().post(app.url("/api/auth/session")).json(&json!({"code": code.str("code")})).send().await?;
    assert_eq!(r.status(), StatusCode::OK);
    let session = r.json::<Value>().await?["session"].as_str().unwrap_or_default().to_string();
    assert!(session.starts_with("vs1.") && !session.contains(&app.app.token), "a session is not the token");
    Ok(session)
}

async fn status_with(app: &TestApp, path: &str, bearer: &str) -> anyhow::Result<(StatusCode, Value)> {
    let r = anon().get(app.url(path)).bearer_auth(bearer).send().await?;
    Ok((r.status(), r.json().await.unwrap_or(Value::Null)))
}

async fn ws_status(app: &TestApp, query: &str) -> anyhow::Result<u16> {
    let mut req = format!("ws://{}/api/events{query}", app.app.addr).into_client_request()?;
    req.headers_mut().insert("Origin", app.app.url.parse()?);
    Ok(match tokio_tungstenite::connect_async(req).await {
        Ok((_, res)) => res.status().as_u16(),
        Err(tokio_tungstenite::tungstenite::Error::Http(res)) => res.status().as_u16(),
        Err(e) => anyhow::bail!("websocket: {e}"),
    })
}

#[tokio::test]
async fn install_token_is_never_a_cookie_nor_accepted_in_a_url() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let r = anon().get(app.url(&format!("/auth?token={}", app.app.token))).send().await?;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.headers().get("set-cookie").is_none());
    assert_eq!(r.json::<Value>().await?["code"], "token_in_url");

    // Old code links move the code into the fragment; no cookie either way.
    let code = app.post("/api/auth/codes", json!({})).await?.str("code");
    let r = anon().get(app.url(&format!("/auth?code={code}"))).send().await?;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], format!("/#code={code}").as_str());
    assert!(r.headers().get("set-cookie").is_none());

    let session = sign_in(&app).await?;
    assert_eq!(status_with(&app, "/api/projects", &session).await?.0, StatusCode::OK);
    app.stop().await;
    Ok(())
}

#[tokio::test]
async fn sign_in_codes_are_single_use() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let code = app.post("/api/auth/codes", json!({})).await?.str("code");
    let redeem = || anon().post(app.url("/api/auth/session")).json(&json!({"code": code})).send();
    assert_eq!(redeem().await?.status(), StatusCode::OK);
    let again = redeem().await?;
    assert_eq!(again.status(), StatusCode::UNAUTHORIZED);
    let body: Value = again.json().await?;
    assert_eq!(body["code"], "code_invalid");
    assert!(body["message"].as_str().unwrap_or_default().contains("login-url"), "{body}");
    // The install token is not a code.
    let r = anon().post(app.url("/api/auth/session")).json(&json!({"code": app.app.token})).send().await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
    Ok(())
}

#[tokio::test]
async fn board_cannot_be_framed() -> anyhow::Result<()> {
    let ui = tempfile::tempdir()?;
    std::fs::write(ui.path().join("index.html"), "<!doctype html><title>viban</title>")?;
    let dir = ui.path().to_path_buf();
    let app = TestApp::start_with(|c| c.ui_dir = Some(dir)).await?;
    for path in ["/", "/some/ui/route", "/api/health", "/api/projects"] {
        let r = anon().get(app.url(path)).send().await?;
        let csp = r.headers().get("content-security-policy").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self';"), "{path}: {csp}");
        assert_eq!(r.headers().get("x-frame-options").and_then(|v| v.to_str().ok()), Some("DENY"), "{path}");
    }
    app.stop().await;
    Ok(())
}

#[tokio::test]
async fn cookie_tossing_is_moot() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let session = sign_in(&app).await?;
    // A cookie authenticates nothing, whatever it holds...
    for cookie in [format!("viban_session={}", app.app.token), format!("viban_session={session}")] {
        let r = anon().get(app.url("/api/projects")).header("cookie", cookie).send().await?;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    }
    // ...and tossed cookies cannot sign the real session out.
    let r = anon()
        .get(app.url("/api/projects"))
        .bearer_auth(&session)
        .header("cookie", "viban_session=garbage; viban_session=x")
        .send()
        .await?;
    assert_eq!(r.status(), StatusCode::OK);
    app.stop().await;
    Ok(())
}

#[tokio::test]
async fn no_get_has_side_effects_and_other_sites_are_refused() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let r = app.get("/api/agents/detect").await?;
    assert_eq!((r.status, r.code()), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"));
    let r = app.post("/api/agents/detect", json!({})).await?;
    assert_eq!(r.status, StatusCode::OK, "{r:?}");
    // `<img src=…>` from another port of 127.0.0.1 is `same-site`; from elsewhere `cross-site`.
    for site in ["same-site", "cross-site"] {
        let r = app.client.get(app.url("/api/projects")).bearer_auth(&app.app.token).header("sec-fetch-site", site);
        let r = r.send().await?;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{site}");
        assert_eq!(r.json::<Value>().await?["code"], "forbidden_site");
    }
    for site in ["same-origin", "none"] {
        let r = app.client.get(app.url("/api/projects")).bearer_auth(&app.app.token).header("sec-fetch-site", site);
        assert_eq!(r.send().await?.status(), StatusCode::OK, "{site}");
    }
    app.stop().await;
    Ok(())
}

#[tokio::test]
async fn websockets_need_a_single_use_ticket() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    assert_eq!(ws_status(&app, "").await?, 401);
    assert_eq!(ws_status(&app, "?ticket=made-up").await?, 401);
    let session = sign_in(&app).await?;
    let r = anon().post(app.url("/api/auth/ticket")).bearer_auth(&session).send().await?;
    let ticket = r.json::<Value>().await?["ticket"].as_str().unwrap_or_default().to_string();
    assert_eq!(ws_status(&app, &format!("?ticket={ticket}")).await?, 101);
    assert_eq!(ws_status(&app, &format!("?ticket={ticket}")).await?, 401, "a ticket is single use");
    // A ticket only opens WebSockets.
    let r = anon().get(
        app.url(&format!("/api/projects?ticket={}", app.post("/api/auth/ticket", json!({})).await?.str("ticket"))),
    );
    assert_eq!(r.send().await?.status(), StatusCode::UNAUTHORIZED);
    app.stop().await;
    Ok(())
}

#[tokio::test]
async fn sign_out_everywhere_rotates_the_token() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    let session = sign_in(&app).await?;
    let pending_code = app.post("/api/auth/codes", json!({})).await?.str("code");
    let r = anon().post(app.url("/api/auth/rotate")).bearer_auth(&session).send().await?;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let (status, body) = status_with(&app, "/api/projects", &session).await?;
    assert_eq!((status, body["code"].as_str()), (StatusCode::UNAUTHORIZED, Some("session_expired")));
    assert_eq!(status_with(&app, "/api/projects", &app.app.token).await?.0, StatusCode::UNAUTHORIZED);
    let r = anon().post(app.url("/api/auth/session")).json(&json!({"code": pending_code})).send().await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "codes minted before the rotation are void");
    // The new token is where tools look for it, and works.
    let file: Value = serde_json::from_slice(&std::fs::read(app.home().join("server.json"))?)?;
    let token = file["token"].as_str().unwrap_or_default();
    assert_ne!(token, app.app.token);
    assert_eq!(std::fs::read_to_string(app.home().join("token"))?.trim(), token);
    assert_eq!(status_with(&app, "/api/projects", token).await?.0, StatusCode::OK);
    app.stop().await;
    Ok(())
}

#[tokio::test]
async fn errors_are_always_json() -> anyhow::Result<()> {
    let app = TestApp::start().await?;
    // Unknown routes look like known ones without a credential: nothing to learn about what exists.
    for path in ["/api/nothing-here", "/api/projects"] {
        let r = anon().get(app.url(path)).send().await?;
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(r.json::<Value>().await?["code"], "unauthorized");
    }
    let r = app.get("/api/nothing-here").await?;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    let r = app.call(reqwest::Method::PUT, "/api/projects", Some(json!({}))).await?;
    assert_eq!((r.status, r.code()), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"));
    let r = app.call(reqwest::Method::GET, "/api/auth/session", None).await?;
    assert_eq!((r.status, r.code()), (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"));
    let r = app.delete("/api/runs/00000000-0000-0000-0000-000000000000/worktree?force=maybe").await?;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "bad_query"), "{r:?}");
    let r = app.get("/api/runs/00000000-0000-0000-0000-000000000000/pty?from=-1").await?;
    assert_eq!(r.code(), "bad_query", "{r:?}");
    app.stop().await;
    Ok(())
}

#[cfg(unix)]
#[tokio::test]
async fn files_are_private_and_loose_modes_are_corrected_at_start() -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let home = tempfile::tempdir()?;
    let h = home.path();
    let set = |p: &std::path::Path, m: u32| std::fs::set_permissions(p, std::fs::Permissions::from_mode(m));
    for d in ["config", "logs", "cache"] {
        std::fs::create_dir_all(h.join(d))?;
        set(&h.join(d), 0o755)?;
    }
    std::fs::write(h.join("config/agents.toml"), "[agents.claude]\nenv = { ANTHROPIC_API_KEY = \"secret\" }\n")?;
    std::fs::write(h.join("token"), "t".repeat(64))?;
    std::fs::write(h.join("logs/viban-server.2026-01-01.log"), "task title\n")?;
    for f in ["config/agents.toml", "token", "logs/viban-server.2026-01-01.log"] {
        set(&h.join(f), 0o644)?;
    }
    set(h, 0o755)?;
    let app =
        viban_server::App::start(viban_server::Config { home: Some(h.to_path_buf()), ..Default::default() }).await?;
    let mode = |p: &str| std::fs::metadata(h.join(p)).map(|m| m.permissions().mode() & 0o777).unwrap_or(0);
    // As root the data dir may be 0711: PostgreSQL's account must pass through it to its cluster (never list it).
    assert_eq!(mode("") & 0o766, 0o700, "the data dir");
    for dir in ["config", "logs", "cache"] {
        assert_eq!(mode(dir), 0o700, "{dir}/");
    }
    for file in ["config/agents.toml", "token", "session-key", "server.json", "logs/viban-server.2026-01-01.log"] {
        assert_eq!(mode(file), 0o600, "{file}");
    }
    app.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn token_file_instead_of_the_command_line_and_cli_sign_in() -> anyhow::Result<()> {
    let home = tempfile::tempdir()?;
    let secret = "operator-token-0123456789abcdef";
    let file = home.path().join("op-token");
    std::fs::write(&file, format!("{secret}\n"))?;
    let server = ServerProcess::spawn(home.path(), &["--token-file", file.to_str().unwrap_or_default()]).await?;
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", server.pid))?;
    assert!(!String::from_utf8_lossy(&cmdline).contains(secret), "the token is not on the command line");
    assert_eq!(server.token, secret, "server.json carries the operator's token");
    assert_eq!(server.call(reqwest::Method::GET, "/api/projects", None).await?.status, StatusCode::OK);

    // `viban-server login-url` mints a working single-use link for the running server.
    let bin = viban_test_support::server_bin()?;
    let out = tokio::process::Command::new(&bin).args(["login-url", "--home"]).arg(home.path()).output().await?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let link = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let code = link.split("#code=").nth(1).unwrap_or_default().to_string();
    assert!(link.starts_with(&server.url) && !code.is_empty(), "{link}");
    let r = anon().post(format!("{}/api/auth/session", server.url)).json(&json!({"code": code})).send().await?;
    let session = r.json::<Value>().await?["session"].as_str().unwrap_or_default().to_string();

    // `rotate-token` with an operator's token signs sessions out and keeps the token.
    let out = tokio::process::Command::new(&bin).args(["rotate-token", "--home"]).arg(home.path()).output().await?;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("was kept"));
    let r = anon().get(format!("{}/api/projects", server.url)).bearer_auth(&session).send().await?;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(server.call(reqwest::Method::GET, "/api/projects", None).await?.status, StatusCode::OK);
    drop(server);

    // Not running: a clear message, exit 1.
    let out = tokio::process::Command::new(&bin).args(["login-url", "--home"]).arg(home.path()).output().await?;
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not running"), "{}", String::from_utf8_lossy(&out.stderr));
    Ok(())
}
