//! viban behind a real reverse proxy (Caddy, installed by `cargo xtask setup`), started by the test on loopback:
//! the API, the change feed and a run's terminal WebSocket work through it, and a forged Host or Origin sent through
//! it is still refused by viban. The shipped Caddyfile passes `caddy validate`.

use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use viban_test_support::{ServerProcess, git_repo, wait_until};

struct Caddy(tokio::process::Child);

impl Drop for Caddy {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

/// `caddy` with its home, config and data in `dir` (never the user's).
fn caddy(dir: &Path) -> tokio::process::Command {
    let mut c = tokio::process::Command::new("caddy");
    c.env("HOME", dir).env("XDG_CONFIG_HOME", dir).env("XDG_DATA_HOME", dir).kill_on_drop(true);
    c
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

async fn raw(port: u16, request: &str) -> anyhow::Result<String> {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    s.write_all(request.as_bytes()).await?;
    let mut out = String::new();
    s.read_to_string(&mut out).await?;
    Ok(out)
}

/// viban with the fake agents, started with `--public-url` for a proxy on a free loopback port.
struct Behind {
    _home: tempfile::TempDir,
    port: u16,
    public: String,
    server: ServerProcess,
    /// `host:port` the proxy forwards to.
    upstream: String,
}

impl Behind {
    async fn start() -> anyhow::Result<Self> {
        let home = tempfile::tempdir()?;
        std::fs::create_dir_all(home.path().join("config"))?;
        std::fs::write(home.path().join("config/agents.toml"), super::agents::profiles(""))?;
        let port = free_port()?;
        let public = format!("http://127.0.0.1:{port}");
        let server = ServerProcess::spawn(home.path(), &["--public-url", &public]).await?;
        let upstream = server.url.trim_start_matches("http://").to_string();
        Ok(Self { _home: home, port, public, server, upstream })
    }
}

async fn ws(port: u16, path: &str, origin: &str, token: &str) -> anyhow::Result<Result<super::agents::Socket, u16>> {
    let mut req = format!("ws://127.0.0.1:{port}{path}").into_client_request()?;
    req.headers_mut().insert("Origin", origin.parse()?);
    req.headers_mut().insert("Authorization", format!("Bearer {token}").parse()?);
    Ok(match tokio_tungstenite::connect_async(req).await {
        Ok((s, _)) => Ok(s),
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => Err(r.status().as_u16()),
        Err(e) => return Err(e.into()),
    })
}

#[tokio::test]
async fn through_caddy_the_api_the_change_feed_and_a_terminal_work_and_forgeries_are_still_refused()
-> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let validate = caddy(dir.path())
        .args(["validate", "--adapter", "caddyfile", "--config"])
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/../installers/server/Caddyfile"))
        .output()
        .await
        .map_err(|e| anyhow::anyhow!("caddy is not installed ({e}): run `cargo xtask setup`"))?;
    assert!(validate.status.success(), "{}", String::from_utf8_lossy(&validate.stderr));

    let Behind { _home, port, public, server, upstream } = Behind::start().await?;
    // Any Host is forwarded as it came: viban, not the proxy, decides which it accepts.
    let caddyfile = dir.path().join("Caddyfile");
    std::fs::write(
        &caddyfile,
        format!("{{\n\tadmin off\n\tauto_https off\n}}\nhttp://:{port} {{\n\treverse_proxy {upstream}\n}}\n"),
    )?;
    let mut run = caddy(dir.path());
    run.args(["run", "--adapter", "caddyfile", "--config"]).arg(&caddyfile);
    let _proxy = Caddy(run.stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn()?);
    wait_until("caddy to listen", Duration::from_secs(20), || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok().map(|_| ())
    })
    .await?;

    through_proxy(port, &public, &server).await
}

/// What must work through any proxy on `port`, which forwards to `server` (started with `--public-url public`).
async fn through_proxy(port: u16, public: &str, server: &ServerProcess) -> anyhow::Result<()> {
    // The API through the proxy, with the public address as Host.
    let client = reqwest::Client::new();
    let health = client.get(format!("{public}/api/health")).send().await?;
    let public = public.to_string();
    assert_eq!(health.status(), StatusCode::OK);
    let repos = tempfile::tempdir()?;
    let repo = git_repo(repos.path(), "proxied")?;
    let project: serde_json::Value = client
        .post(format!("{public}/api/projects"))
        .bearer_auth(&server.token)
        .header("Origin", &public)
        .json(&json!({"name": "proxied", "repo_path": repo}))
        .send()
        .await?
        .json()
        .await?;
    let project = project["id"].as_str().unwrap_or_default().to_string();
    assert!(!project.is_empty(), "creating a project through the proxy failed");

    // The change feed through the proxy.
    let mut feed = ws(port, "/api/events", &public, &server.token).await?.map_err(|s| anyhow::anyhow!("feed: {s}"))?;
    let hello = tokio::time::timeout(Duration::from_secs(10), feed.next()).await?;
    assert!(matches!(hello, Some(Ok(Message::Text(ref t))) if t.contains("hello")), "{hello:?}");

    // A run's terminal through the proxy: its question arrives, an answer goes back, its end is seen.
    let task =
        server.call(Method::POST, &format!("/api/projects/{project}/tasks"), Some(json!({"title": "t"}))).await?;
    let run = server
        .call(
            Method::POST,
            &format!("/api/tasks/{}/runs", task.str("id")),
            Some(json!({"agent": "ask", "prompt": "p"})),
        )
        .await?;
    let id = run.str("id");
    let mut term = ws(port, &format!("/api/runs/{id}/pty"), &public, &server.token)
        .await?
        .map_err(|s| anyhow::anyhow!("pty: {s}"))?;
    let (mut seen, mut asked) = (Vec::new(), false);
    let read = async {
        while let Some(msg) = term.next().await {
            match msg? {
                Message::Binary(b) => {
                    seen.extend_from_slice(super::agents::split_frame(&b)?.1);
                    if !asked && String::from_utf8_lossy(&seen).contains("Proceed?") {
                        asked = true;
                        futures_util::SinkExt::send(&mut term, Message::Binary(b"yes\r".to_vec().into())).await?;
                    }
                }
                Message::Text(t) if t.contains("\"exit\"") => return Ok::<_, anyhow::Error>(t.to_string()),
                _ => {}
            }
        }
        anyhow::bail!("the terminal closed without an exit frame")
    };
    let exit = tokio::time::timeout(Duration::from_secs(60), read).await??;
    assert!(exit.contains("succeeded") && String::from_utf8_lossy(&seen).contains("you said: yes"), "{exit}");

    // Forgeries sent through the proxy are refused by viban.
    let forged = raw(port, "GET /api/health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n").await?;
    assert!(forged.starts_with("HTTP/1.1 403") && forged.contains("forbidden_host"), "{forged}");
    assert_eq!(ws(port, "/api/events", "http://evil.example", &server.token).await?.err(), Some(403));
    Ok(())
}

struct Nginx(tokio::process::Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.start_kill();
    }
}

/// `VIBAN_NGINX_BIN` (Debian's nginx, unpacked by `cargo xtask setup`), else `nginx` on PATH.
fn nginx_bin() -> std::path::PathBuf {
    std::env::var_os("VIBAN_NGINX_BIN").map_or_else(|| "nginx".into(), std::path::PathBuf::from)
}

/// A main config around `site`, with every path nginx writes inside `dir` (never /var/log/nginx or /run).
fn nginx_conf(dir: &Path, site: &str) -> anyhow::Result<std::path::PathBuf> {
    let d = dir.display();
    for t in ["body", "proxy", "fastcgi", "uwsgi", "scgi"] {
        std::fs::create_dir_all(dir.join(t))?;
    }
    std::fs::write(dir.join("site.conf"), site)?;
    let conf = dir.join("nginx.conf");
    std::fs::write(
        &conf,
        format!(
            "daemon off;\nmaster_process off;\npid {d}/nginx.pid;\nerror_log stderr warn;\nevents {{}}\nhttp {{\n\
             access_log off;\nclient_body_temp_path {d}/body;\nproxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\nuwsgi_temp_path {d}/uwsgi;\nscgi_temp_path {d}/scgi;\n\
             include {d}/site.conf;\n}}\n"
        ),
    )?;
    Ok(conf)
}

/// The shipped nginx site passes `nginx -t` (with a throwaway certificate in place of the real one), and its proxy
/// part, served over plain HTTP on loopback, carries the API, the change feed and a terminal, with forgeries still
/// refused.
#[tokio::test]
async fn through_the_shipped_nginx_site_everything_works_and_forgeries_are_still_refused() -> anyhow::Result<()> {
    let site = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../installers/server/nginx.conf"))?;
    let dir = tempfile::tempdir()?;
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=viban.example.com"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()?;
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let shipped = site
        .replace("/etc/letsencrypt/live/viban.example.com/fullchain.pem", &cert.display().to_string())
        .replace("/etc/letsencrypt/live/viban.example.com/privkey.pem", &key.display().to_string());
    let check_dir = dir.path().join("check");
    std::fs::create_dir_all(&check_dir)?;
    let conf = nginx_conf(&check_dir, &shipped)?;
    let tested = tokio::process::Command::new(nginx_bin())
        .arg("-t")
        .arg("-e")
        .arg("stderr")
        .arg("-p")
        .arg(&check_dir)
        .arg("-c")
        .arg(&conf)
        .output()
        .await
        .map_err(|e| anyhow::anyhow!("nginx is not available ({e}): run `cargo xtask setup`"))?;
    let said = String::from_utf8_lossy(&tested.stderr);
    assert!(tested.status.success() && said.contains("test is successful"), "{said}");

    // The proxy part of the site exactly as shipped, in a plain-HTTP server on a free loopback port.
    let Behind { _home, port, public, server, upstream } = Behind::start().await?;
    let part = |from: &str, to: &str| -> anyhow::Result<String> {
        let a = site.find(from).ok_or_else(|| anyhow::anyhow!("the site has no {from}"))?;
        let b = site[a..].find(to).ok_or_else(|| anyhow::anyhow!("the site has no {to}"))? + a;
        Ok(site[a..b].to_string())
    };
    let map = part("map $http_upgrade", "upstream viban")?;
    let proxy = part("# BEGIN viban proxy", "# END viban proxy")?;
    let live = format!(
        "{map}upstream viban {{\n    server {upstream};\n    keepalive 16;\n}}\n\
         server {{\n    listen 127.0.0.1:{port};\n    {proxy}\n}}\n"
    );
    let run_dir = dir.path().join("run");
    std::fs::create_dir_all(&run_dir)?;
    let conf = nginx_conf(&run_dir, &live)?;
    let child = tokio::process::Command::new(nginx_bin())
        .arg("-e")
        .arg("stderr")
        .arg("-p")
        .arg(&run_dir)
        .arg("-c")
        .arg(&conf)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()?;
    let _proxy = Nginx(child);
    wait_until("nginx to listen", Duration::from_secs(20), || async {
        tokio::net::TcpStream::connect(("127.0.0.1", port)).await.ok().map(|_| ())
    })
    .await?;
    through_proxy(port, &public, &server).await
}
