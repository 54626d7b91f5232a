//! Token, Host and Origin checks. The token is compared in constant time and never logged.

use std::collections::HashSet;

use axum::Router;
use axum::extract::{Query, Request, State};
use axum::http::header::{AUTHORIZATION, COOKIE, HOST, LOCATION, ORIGIN, SET_COOKIE};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::{ApiError, ApiState};

pub const SESSION_COOKIE: &str = "viban_session";

/// How long a one-time login code stays valid.
const LOGIN_CODE_TTL: std::time::Duration = std::time::Duration::from_secs(120);

/// Who may talk to the server and from where.
#[derive(Debug)]
pub struct Guard {
    token: String,
    /// One-time codes for `/auth?code=`: the desktop window signs in without the token in its URL.
    codes: std::sync::Mutex<Vec<(String, std::time::Instant)>>,
    /// `host:port` values accepted in `Host`; `None` accepts any (non-loopback bind with an explicit token).
    hosts: Option<HashSet<String>>,
    /// Origins accepted for WebSocket upgrades and state-changing requests.
    origins: HashSet<String>,
}

impl Guard {
    /// For a server bound to `addr`: loopback binds accept only their own names in `Host`.
    pub fn new(token: String, addr: std::net::SocketAddr, extra_origins: &[String]) -> Self {
        let port = addr.port();
        let mut names = vec![format!("localhost:{port}")];
        match addr.ip() {
            std::net::IpAddr::V4(ip) => names.push(format!("{ip}:{port}")),
            std::net::IpAddr::V6(ip) => names.push(format!("[{ip}]:{port}")),
        }
        let origins: HashSet<String> =
            names.iter().map(|h| format!("http://{h}")).chain(extra_origins.iter().cloned()).collect();
        let hosts = addr.ip().is_loopback().then(|| names.into_iter().collect());
        Self { token, codes: Default::default(), hosts, origins }
    }

    /// A code that signs in once, within two minutes, at `/auth?code=…`.
    pub fn issue_login_code(&self) -> String {
        let code = format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple());
        let mut codes = self.codes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        codes.retain(|(_, at)| at.elapsed() < LOGIN_CODE_TTL);
        codes.push((code.clone(), std::time::Instant::now()));
        code
    }

    fn redeem_login_code(&self, candidate: &str) -> bool {
        let mut codes = self.codes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        codes.retain(|(_, at)| at.elapsed() < LOGIN_CODE_TTL);
        let found = codes.iter().position(|(c, _)| constant_time_eq(c, candidate));
        found.map(|i| codes.swap_remove(i)).is_some()
    }

    pub fn token_matches(&self, candidate: &str) -> bool {
        constant_time_eq(&self.token, candidate)
    }

    fn host_allowed(&self, host: Option<&str>) -> bool {
        match (&self.hosts, host) {
            (None, _) => true,
            (Some(hosts), Some(h)) => hosts.contains(&h.to_ascii_lowercase()),
            (Some(_), None) => false,
        }
    }

    fn origin_allowed(&self, origin: &str) -> bool {
        self.origins.contains(&origin.to_ascii_lowercase())
    }
}

/// Constant time in the candidate's content.
fn constant_time_eq(secret: &str, candidate: &str) -> bool {
    let (a, b) = (secret.as_bytes(), candidate.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn header(headers: &HeaderMap, name: axum::http::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn presented_token(headers: &HeaderMap) -> Option<&str> {
    if let Some(t) = header(headers, AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer ")) {
        return Some(t.trim());
    }
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(SESSION_COOKIE)?.strip_prefix('='))
}

/// DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends `Host: evil.example`.
/// Cross-site requests: browsers send `Origin`; only our own may upgrade a WebSocket or change state.
pub async fn check_host_and_origin(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let guard = &state.guard;
    let headers = req.headers();
    if !guard.host_allowed(header(headers, HOST)) {
        return ApiError::new(StatusCode::FORBIDDEN, "forbidden_host", "this Host is not allowed").into_response();
    }
    let is_upgrade = headers.contains_key(axum::http::header::UPGRADE);
    let changes_state = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if (is_upgrade || changes_state)
        && let Some(origin) = header(headers, ORIGIN)
        && !guard.origin_allowed(origin)
    {
        return ApiError::new(StatusCode::FORBIDDEN, "forbidden_origin", "requests from this origin are not allowed")
            .into_response();
    }
    next.run(req).await
}

pub async fn require_token(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    match presented_token(req.headers()) {
        Some(t) if state.guard.token_matches(t) => next.run(req).await,
        _ => ApiError::unauthorized().into_response(),
    }
}

#[derive(Deserialize)]
struct AuthQuery {
    token: Option<String>,
    code: Option<String>,
}

/// The exchange: `/auth?token=…` (the link viban-server prints) or `/auth?code=…` (a one-time code the desktop
/// shell opens) sets an HttpOnly SameSite=Strict cookie and redirects to `/`, so nothing secret stays in the
/// address bar or the history.
async fn exchange(State(state): State<ApiState>, Query(q): Query<AuthQuery>) -> Response {
    let valid = match (&q.token, &q.code) {
        (Some(t), _) => state.guard.token_matches(t),
        (None, Some(c)) => state.guard.redeem_login_code(c),
        (None, None) => false,
    };
    if !valid {
        return ApiError::unauthorized().into_response();
    }
    let cookie = format!("{SESSION_COOKIE}={}; HttpOnly; SameSite=Strict; Path=/", state.guard.token);
    (StatusCode::SEE_OTHER, [(SET_COOKIE, cookie), (LOCATION, "/".to_string())]).into_response()
}

pub fn auth_router() -> Router<ApiState> {
    Router::new().route("/auth", get(exchange))
}

/// One line per request with the path only: query strings may hold the token.
pub async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let start = std::time::Instant::now();
    let res = next.run(req).await;
    tracing::debug!(%method, %path, status = res.status().as_u16(), micros = start.elapsed().as_micros() as u64);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn login_codes_work_once() {
        let g = Guard::new("t".repeat(64), std::net::SocketAddr::from(([127, 0, 0, 1], 9)), &[]);
        let code = g.issue_login_code();
        assert!(!g.redeem_login_code("nope"));
        assert!(g.redeem_login_code(&code));
        assert!(!g.redeem_login_code(&code), "a code is single use");
        assert!(g.token_matches(&"t".repeat(64)) && !g.token_matches("t"));
    }
}
