//! Credentials. Tools send the install token as `Authorization: Bearer`. Browsers and the desktop webview never
//! hold it: they redeem a single-use sign-in code for a session (kept in per-origin storage, sent as
//! `Authorization`), and open WebSockets with a single-use ticket. No cookie authenticates anything: browsers send
//! a host's cookies to every port of it, so a cookie credential would reach every local server the browser visits.
//!
//! A session is `vs1.<id>.<HMAC-SHA256(session key, id)>`: nothing to store, valid across restarts, and all of
//! them revoked at once by rotating the session key ("Sign out everywhere", `viban-server rotate-token`).

use std::sync::{Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use hmac::{KeyInit, Mac};

/// How long a sign-in code stays valid.
pub const LOGIN_CODE_TTL: Duration = Duration::from_secs(300);
/// How long a WebSocket ticket stays valid.
pub const TICKET_TTL: Duration = Duration::from_secs(30);
/// Unredeemed codes/tickets kept at most (a client minting in a loop cannot grow memory).
const MAX_PENDING: usize = 256;
const SESSION_PREFIX: &str = "vs1.";
/// A run's agent's token: the MCP endpoint only, that run's project only (checked by the tools).
const RUN_PREFIX: &str = "vr1.";

type HmacSha256 = hmac::Hmac<sha2::Sha256>;

/// The secrets behind every credential.
#[derive(Clone)]
pub struct Secrets {
    /// The install token (tools, `server.json`).
    pub token: String,
    /// Signs browser sessions.
    pub session_key: String,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(..)")
    }
}

/// Writes rotated secrets where the next start and other tools find them.
pub type PersistSecrets = Box<dyn Fn(&Secrets) -> std::io::Result<()> + Send + Sync>;

/// What rotation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rotated {
    /// New install token and session key: every session, ticket and code is void.
    TokenAndSessions,
    /// The token was set by the operator (`--token`/`--token-file`): only sessions were revoked.
    SessionsOnly,
}

/// A random secret: 256 bits from the OS generator (two v4 UUIDs), as hex.
pub fn random_secret() -> String {
    format!("{}{}", uuid::Uuid::new_v4().simple(), uuid::Uuid::new_v4().simple())
}

/// Single-use secrets with a deadline (sign-in codes, WebSocket tickets).
#[derive(Debug, Default)]
struct OneTime(Mutex<Vec<(String, Instant)>>);

impl OneTime {
    fn issue(&self, ttl: Duration) -> String {
        let value = random_secret();
        let mut v = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        v.retain(|(_, at)| at.elapsed() < ttl);
        if v.len() >= MAX_PENDING {
            v.remove(0);
        }
        v.push((value.clone(), Instant::now()));
        value
    }

    fn redeem(&self, candidate: &str, ttl: Duration) -> bool {
        let mut v = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        v.retain(|(_, at)| at.elapsed() < ttl);
        let found = v.iter().position(|(c, _)| constant_time_eq(c, candidate));
        found.map(|i| v.swap_remove(i)).is_some()
    }

    fn clear(&self) {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).clear();
    }
}

/// Every credential the server accepts, and how to mint and revoke them.
pub struct Credentials {
    secrets: RwLock<Secrets>,
    /// Set by the operator: rotation must not replace it.
    token_fixed: bool,
    persist: Option<PersistSecrets>,
    codes: OneTime,
    tickets: OneTime,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials").field("token_fixed", &self.token_fixed).finish_non_exhaustive()
    }
}

impl Credentials {
    pub fn new(secrets: Secrets, token_fixed: bool, persist: Option<PersistSecrets>) -> Self {
        Self {
            secrets: RwLock::new(secrets),
            token_fixed,
            persist,
            codes: OneTime::default(),
            tickets: OneTime::default(),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Secrets> {
        self.secrets.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The install token as it is now.
    pub fn token(&self) -> String {
        self.read().token.clone()
    }

    pub fn token_matches(&self, candidate: &str) -> bool {
        constant_time_eq(&self.read().token, candidate)
    }

    /// A code that signs a browser in once, within `LOGIN_CODE_TTL`.
    pub fn issue_login_code(&self) -> String {
        self.codes.issue(LOGIN_CODE_TTL)
    }

    /// Redeems a sign-in code for a new session.
    pub fn redeem_login_code(&self, code: &str) -> Option<String> {
        self.codes.redeem(code, LOGIN_CODE_TTL).then(|| self.new_session())
    }

    fn sign(key: &str, id: &str) -> String {
        // HMAC takes keys of any length, so this cannot fail; an empty tag would simply never verify.
        let Ok(mut mac) = HmacSha256::new_from_slice(key.as_bytes()) else { return String::new() };
        mac.update(id.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn new_session(&self) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let tag = Self::sign(&self.read().session_key, &id);
        format!("{SESSION_PREFIX}{id}.{tag}")
    }

    pub fn session_valid(&self, candidate: &str) -> bool {
        let Some((id, tag)) = candidate.strip_prefix(SESSION_PREFIX).and_then(|r| r.split_once('.')) else {
            return false;
        };
        let expected = Self::sign(&self.read().session_key, id);
        !expected.is_empty() && constant_time_eq(&expected, tag)
    }

    /// The MCP token for one run's agent (derived from the session key: `Sign out everywhere` revokes it too).
    pub fn run_token(&self, run: uuid::Uuid) -> String {
        let id = run.simple().to_string();
        let tag = Self::sign(&self.read().session_key, &format!("run:{id}"));
        format!("{RUN_PREFIX}{id}.{tag}")
    }

    /// The run a run token was made for, if it is one and it is genuine.
    pub fn run_of(&self, candidate: &str) -> Option<uuid::Uuid> {
        let (id, tag) = candidate.strip_prefix(RUN_PREFIX)?.split_once('.')?;
        let expected = Self::sign(&self.read().session_key, &format!("run:{id}"));
        (!expected.is_empty() && constant_time_eq(&expected, tag)).then(|| uuid::Uuid::parse_str(id).ok()).flatten()
    }

    /// The install token or a session.
    pub fn bearer_valid(&self, candidate: &str) -> bool {
        self.token_matches(candidate) || self.session_valid(candidate)
    }

    /// A ticket that authorises one WebSocket upgrade within `TICKET_TTL`.
    pub fn issue_ticket(&self) -> String {
        self.tickets.issue(TICKET_TTL)
    }

    pub fn redeem_ticket(&self, ticket: &str) -> bool {
        self.tickets.redeem(ticket, TICKET_TTL)
    }

    /// Revokes every session, code and ticket; replaces the install token unless the operator fixed it.
    /// The new secrets are persisted first: if that fails, nothing changes.
    pub fn rotate(&self) -> std::io::Result<Rotated> {
        let mut secrets = self.secrets.write().unwrap_or_else(PoisonError::into_inner);
        let next = Secrets {
            token: if self.token_fixed { secrets.token.clone() } else { random_secret() },
            session_key: random_secret(),
        };
        if let Some(persist) = &self.persist {
            persist(&next)?;
        }
        *secrets = next;
        drop(secrets);
        self.codes.clear();
        self.tickets.clear();
        Ok(if self.token_fixed { Rotated::SessionsOnly } else { Rotated::TokenAndSessions })
    }
}

/// Constant time in the candidate's content.
pub fn constant_time_eq(secret: &str, candidate: &str) -> bool {
    let (a, b) = (secret.as_bytes(), candidate.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds(fixed: bool) -> Credentials {
        Credentials::new(Secrets { token: "t".repeat(64), session_key: "k".repeat(64) }, fixed, None)
    }

    #[test]
    fn login_codes_work_once_and_give_sessions() {
        let c = creds(false);
        let code = c.issue_login_code();
        assert!(c.redeem_login_code("nope").is_none());
        let session = c.redeem_login_code(&code).unwrap_or_default();
        assert!(c.session_valid(&session) && c.bearer_valid(&session));
        assert!(c.redeem_login_code(&code).is_none(), "a code is single use");
        assert!(!c.session_valid(&session.replace("vs1.", "vs1.0")), "a tampered session is refused");
        assert!(!c.session_valid(&c.token()), "the token is not a session");
        assert!(!c.bearer_valid("vs1.x.y") && !c.bearer_valid(""));
    }

    #[test]
    fn expired_codes_and_tickets_are_refused() {
        let pending = OneTime::default();
        let value = pending.issue(LOGIN_CODE_TTL);
        assert!(!pending.redeem(&value, Duration::ZERO), "past its deadline");
        assert!(!pending.redeem(&value, LOGIN_CODE_TTL), "an expired entry is dropped, not kept for later");
        for _ in 0..MAX_PENDING + 10 {
            pending.issue(TICKET_TTL);
        }
        assert!(pending.0.lock().map(|v| v.len()).unwrap_or(0) <= MAX_PENDING, "minting in a loop is bounded");
    }

    #[test]
    fn tickets_work_once() {
        let c = creds(false);
        let t = c.issue_ticket();
        assert!(c.redeem_ticket(&t));
        assert!(!c.redeem_ticket(&t));
    }

    #[test]
    fn rotation_revokes_sessions_tickets_codes_and_the_token() {
        let c = creds(false);
        let old_token = c.token();
        let session = c.redeem_login_code(&c.issue_login_code()).unwrap_or_default();
        let (ticket, code) = (c.issue_ticket(), c.issue_login_code());
        assert_eq!(c.rotate().ok(), Some(Rotated::TokenAndSessions));
        assert!(!c.session_valid(&session) && !c.redeem_ticket(&ticket) && c.redeem_login_code(&code).is_none());
        assert!(!c.token_matches(&old_token) && c.token_matches(&c.token()));
    }

    #[test]
    fn a_fixed_token_survives_rotation_but_sessions_do_not() {
        let c = creds(true);
        let session = c.redeem_login_code(&c.issue_login_code()).unwrap_or_default();
        assert_eq!(c.rotate().ok(), Some(Rotated::SessionsOnly));
        assert!(c.token_matches(&"t".repeat(64)) && !c.session_valid(&session));
    }

    #[test]
    fn a_failed_persist_changes_nothing() {
        let c = Credentials::new(
            Secrets { token: "t".repeat(64), session_key: "k".repeat(64) },
            false,
            Some(Box::new(|_| Err(std::io::Error::other("disk full")))),
        );
        let session = c.redeem_login_code(&c.issue_login_code()).unwrap_or_default();
        assert!(c.rotate().is_err());
        assert!(c.session_valid(&session) && c.token_matches(&"t".repeat(64)));
    }
}
