//! Who may talk to the server and from where: Host allow-list (DNS rebinding), `Sec-Fetch-Site` and `Origin`
//! checks (cross-site requests), credentials (see `auth`), and the headers that keep the UI out of frames.

use std::collections::HashSet;
use std::sync::Arc;
use viban_core::ErrorCode;

use axum::extract::{Request, State};
use axum::http::header::{
    AUTHORIZATION, CONTENT_SECURITY_POLICY, HOST, ORIGIN, REFERRER_POLICY, UPGRADE, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::auth::Credentials;
use crate::{ApiError, ApiState};

/// The request guards and the credentials behind them.
#[derive(Debug)]
pub struct Guard {
    pub credentials: Arc<Credentials>,
    /// `host:port` values accepted in `Host`; `None` accepts any (non-loopback bind with an explicit token).
    hosts: Option<HashSet<String>>,
    /// Origins accepted for WebSocket upgrades and state-changing requests.
    origins: HashSet<String>,
    /// The URL sign-in links point at.
    base_url: String,
}

/// Where users reach viban through a reverse proxy (`--public-url https://viban.example.com`): its host is accepted
/// in `Host`, its origin for writes and WebSockets, and sign-in links point at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicUrl {
    origin: String,
    hosts: Vec<String>,
}

impl PublicUrl {
    /// `http(s)://host[:port]` (a trailing `/` allowed; no path, query or credentials).
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = |why: &str| format!("--public-url {raw:?}: {why}; give it as https://host[:port]");
        let uri: axum::http::Uri = raw.trim().parse().map_err(|_| bad("not a URL"))?;
        let scheme = uri.scheme_str().map(str::to_ascii_lowercase).ok_or_else(|| bad("no scheme"))?;
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => return Err(bad("the scheme must be http or https")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        if authority.as_str().contains('@') {
            return Err(bad("credentials do not belong in it"));
        }
        if !matches!(uri.path(), "" | "/") || uri.query().is_some() {
            return Err(bad("viban is served from the root of its host, without a path"));
        }
        let host = authority.host().to_ascii_lowercase();
        let port = authority.port_u16().unwrap_or(default_port);
        let (origin, hosts) = if port == default_port {
            (format!("{scheme}://{host}"), vec![host.clone(), format!("{host}:{port}")])
        } else {
            (format!("{scheme}://{host}:{port}"), vec![format!("{host}:{port}")])
        };
        Ok(Self { origin, hosts })
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }
}

impl Guard {
    /// For a server bound to `addr`: loopback binds accept only their own names in `Host` (and the public URL's, if
    /// any: then any bind does). `extra_origins` (`--allow-origin`, e.g. the Vite dev server) may also send writes
    /// and open WebSockets.
    pub fn new(
        credentials: Arc<Credentials>,
        addr: std::net::SocketAddr,
        extra_origins: &[String],
        public: Option<&PublicUrl>,
    ) -> Self {
        let port = addr.port();
        let mut names = vec![format!("localhost:{port}")];
        // An all-interfaces bind (e.g. in a container) is opened as 127.0.0.1 on this machine.
        match addr.ip() {
            std::net::IpAddr::V4(ip) if ip.is_unspecified() => names.push(format!("127.0.0.1:{port}")),
            std::net::IpAddr::V6(ip) if ip.is_unspecified() => names.push(format!("[::1]:{port}")),
            std::net::IpAddr::V4(ip) => names.push(format!("{ip}:{port}")),
            std::net::IpAddr::V6(ip) => names.push(format!("[{ip}]:{port}")),
        }
        let base_url = public.map_or_else(|| format!("http://{}", names[1]), |p| p.origin.clone());
        let origins: HashSet<String> = names
            .iter()
            .map(|h| format!("http://{h}"))
            .chain(extra_origins.iter().map(|o| o.trim_end_matches('/').to_ascii_lowercase()))
            .chain(public.map(|p| p.origin.clone()))
            .collect();
        let hosts = (addr.ip().is_loopback() || public.is_some())
            .then(|| names.into_iter().chain(public.into_iter().flat_map(|p| p.hosts.clone())).collect());
        Self { credentials, hosts, origins, base_url }
    }

    /// A sign-in link: the code rides in the fragment, so it never reaches a server log or a `Referer`.
    pub fn login_url(&self) -> (String, String) {
        let code = self.credentials.issue_login_code();
        let url = format!("{}/#code={code}", self.base_url);
        (code, url)
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

fn header(headers: &HeaderMap, name: axum::http::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends `Host: evil.example`.
/// Cross-site requests: browsers say where a request comes from in `Sec-Fetch-Site` (and `Origin` on writes);
/// another port of 127.0.0.1 is `same-site`, so only `same-origin` (or a user's own navigation, or no header at
/// all — tools) may reach `/api`. Every response gets the headers that forbid framing.
pub async fn check_request(State(state): State<ApiState>, req: Request, next: Next) -> Response {
    let guard = &state.guard;
    let headers = req.headers();
    let host = header(headers, HOST).map(str::to_string);
    let refused = if !guard.host_allowed(host.as_deref()) {
        Some(ApiError::new(StatusCode::FORBIDDEN, ErrorCode::ForbiddenHost, "this Host is not allowed"))
    } else if req.uri().path().starts_with("/api")
        && matches!(header(headers, HeaderName::from_static("sec-fetch-site")), Some("cross-site" | "same-site"))
    {
        Some(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::ForbiddenSite,
            "requests from other sites (including other ports of this host) are not allowed",
        ))
    } else if (headers.contains_key(UPGRADE) || !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS))
        && header(headers, ORIGIN).is_some_and(|o| !guard.origin_allowed(o))
    {
        Some(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::ForbiddenOrigin,
            "requests from this origin are not allowed",
        ))
    } else {
        None
    };
    let mut res = match refused {
        Some(e) => e.into_response(),
        None => next.run(req).await,
    };
    protect(res.headers_mut(), host.as_deref());
    res
}

/// A strict CSP with `frame-ancestors 'none'` (plus `X-Frame-Options` for older engines): no page of another
/// port can frame the signed-in board, and no injected script or markup can load from elsewhere.
fn protect(headers: &mut HeaderMap, host: Option<&str>) {
    // The Host was checked above (or any is allowed behind a proxy); keep only characters a host:port can have.
    let host: String =
        host.unwrap_or("").chars().filter(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(*c)).collect();
    let ws = if host.is_empty() { String::new() } else { format!(" ws://{host} wss://{host}") };
    let csp = format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; \
         font-src 'self' data:; connect-src 'self'{ws} ipc: http://ipc.localhost; worker-src 'self' blob:; \
         frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    );
    if let Ok(v) = HeaderValue::from_str(&csp) {
        headers.insert(CONTENT_SECURITY_POLICY, v);
    }
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    header(headers, AUTHORIZATION).and_then(|v| v.strip_prefix("Bearer ")).map(str::trim)
}

/// `?ticket=` of a WebSocket upgrade (browsers cannot set headers on one).
fn ticket(req: &Request) -> Option<&str> {
    if !req.headers().contains_key(UPGRADE) {
        return None;
    }
    req.uri().query()?.split('&').find_map(|kv| kv.strip_prefix("ticket="))
}

/// The install token or a session in `Authorization`, or a single-use ticket on a WebSocket upgrade. Cookies are
/// never read: any page on any port of this host could have set one (cookie tossing) or could receive ours.
/// A request made with a run's token: it may only reach the MCP endpoint, scoped to that run's project.
#[derive(Debug, Clone, Copy)]
pub struct RunScope(pub uuid::Uuid);

pub async fn require_credential(State(state): State<ApiState>, mut req: Request, next: Next) -> Response {
    let creds = &state.guard.credentials;
    let mcp = matches!(req.uri().path(), "/mcp" | "/api/mcp") || req.uri().path().starts_with("/mcp/");
    if mcp && let Some(run) = bearer(req.headers()).and_then(|b| creds.run_of(b)) {
        req.extensions_mut().insert(RunScope(run));
        return next.run(req).await;
    }
    let ok = match bearer(req.headers()) {
        Some(b) => creds.bearer_valid(b),
        None => ticket(&req).is_some_and(|t| creds.redeem_ticket(t)),
    };
    if ok {
        return next.run(req).await;
    }
    if bearer(req.headers()).is_some_and(|b| b.starts_with("vs1.")) {
        return ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::SessionExpired,
            "this browser was signed out (Sign out everywhere, or the token was rotated): open a new sign-in link \
             (`viban-server login-url`, or Open board in the tray)",
        )
        .into_response();
    }
    ApiError::unauthorized().into_response()
}

/// One line per request with the path only: query strings may hold a ticket.
pub async fn log_request(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let start = std::time::Instant::now();
    let res = next.run(req).await;
    tracing::debug!(%method, %path, status = res.status().as_u16(), micros = start.elapsed().as_micros() as u64);
    res
}

#[cfg(test)]
mod public_url_tests {
    use super::PublicUrl;

    #[test]
    fn a_public_url_gives_its_origin_and_the_host_forms_a_proxy_sends() {
        let p = PublicUrl::parse("https://Viban.Example.com/").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.origin(), "https://viban.example.com");
        assert_eq!(p.hosts, ["viban.example.com", "viban.example.com:443"]);
        let p = PublicUrl::parse("http://10.0.0.5:8443").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((p.origin(), p.hosts.as_slice()), ("http://10.0.0.5:8443", &["10.0.0.5:8443".to_string()][..]));
        for bad in ["viban.example.com", "ftp://x", "https://u:p@x", "https://x/viban", "https://x/?a=1"] {
            assert!(PublicUrl::parse(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Secrets;

    #[test]
    fn origins_and_hosts() {
        let creds = Arc::new(Credentials::new(Secrets { token: "t".into(), session_key: "k".into() }, false, None));
        let g = Guard::new(
            creds,
            std::net::SocketAddr::from(([127, 0, 0, 1], 9)),
            &["http://LOCALHOST:5173/".into()],
            None,
        );
        assert!(g.origin_allowed("http://127.0.0.1:9") && g.origin_allowed("http://localhost:5173"));
        assert!(!g.origin_allowed("http://127.0.0.1:10"));
        assert!(g.host_allowed(Some("localhost:9")) && !g.host_allowed(Some("evil.example:9")));
        assert!(g.login_url().1.starts_with("http://127.0.0.1:9/#code="));
    }

    #[test]
    fn frames_are_forbidden_and_the_host_cannot_inject() {
        let mut h = HeaderMap::new();
        protect(&mut h, Some("127.0.0.1:9; script-src *"));
        let csp = h.get(CONTENT_SECURITY_POLICY).and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("ws://127.0.0.1:9script-src"));
        assert!(!csp.contains("script-src *"));
        assert_eq!(h.get(X_FRAME_OPTIONS).and_then(|v| v.to_str().ok()), Some("DENY"));
    }
}
