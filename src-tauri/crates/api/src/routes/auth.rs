//! Signing in: sign-in codes → sessions, WebSocket tickets, rotation ("Sign out everywhere").

use axum::Json;
use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{IntoResponse, Response};
use viban_core::ErrorCode;
use viban_core::{ApiErrorBody, LoginCode, Session, SessionRequest, WsTicket};

use crate::error::ApiJson;
use crate::{ApiError, ApiState};

/// Redeems a single-use sign-in code for a browser session (no credential needed: the code is one).
#[utoipa::path(post, path = "/api/auth/session", tag = "auth", request_body = SessionRequest,
    responses((status = 200, body = Session), (status = 401, body = ApiErrorBody)))]
pub async fn session(
    State(state): State<ApiState>,
    ApiJson(body): ApiJson<SessionRequest>,
) -> Result<Json<Session>, ApiError> {
    match state.guard.credentials.redeem_login_code(body.code.trim()) {
        Some(session) => Ok(Json(Session { session })),
        None => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::CodeInvalid,
            "this sign-in link was already used or has expired: get a new one with `viban-server login-url` \
             (or Open board in the tray)",
        )),
    }
}

/// A single-use ticket for one WebSocket upgrade (`?ticket=`), valid 30 seconds.
#[utoipa::path(post, path = "/api/auth/ticket", tag = "auth", responses((status = 200, body = WsTicket)))]
pub async fn ticket(State(state): State<ApiState>) -> Json<WsTicket> {
    Json(WsTicket { ticket: state.guard.credentials.issue_ticket() })
}

/// A new single-use sign-in link (what `viban-server login-url` prints).
#[utoipa::path(post, path = "/api/auth/codes", tag = "auth", responses((status = 200, body = LoginCode)))]
pub async fn code(State(state): State<ApiState>) -> Json<LoginCode> {
    let (code, url) = state.guard.login_url();
    Json(LoginCode { code, url })
}

/// Sign out everywhere: every session, ticket and code is void; the install token is replaced (unless the
/// operator fixed it with `--token`/`--token-file`) and written to the token file and `server.json`.
#[utoipa::path(post, path = "/api/auth/rotate", tag = "auth",
    responses((status = 204), (status = 500, body = ApiErrorBody)))]
pub async fn rotate(State(state): State<ApiState>) -> Result<StatusCode, ApiError> {
    match state.guard.credentials.rotate() {
        Ok(how) => {
            tracing::info!(?how, "credentials rotated: every session signed out");
            Ok(StatusCode::NO_CONTENT)
        }
        Err(e) => {
            tracing::error!(error = %e, "could not store the rotated token");
            Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                ErrorCode::RotateFailed,
                "the new token could not be saved, so nothing changed; see the server log",
            ))
        }
    }
}

/// Old sign-in links: `/auth?code=` moves the code into the fragment; the install token is never accepted in a
/// URL (it would stay in the browser's history).
pub async fn legacy(RawQuery(q): RawQuery) -> Response {
    let q = q.unwrap_or_default();
    let code = q.split('&').find_map(|kv| kv.strip_prefix("code="));
    match code {
        Some(c) if c.chars().all(|ch| ch.is_ascii_alphanumeric()) => {
            (StatusCode::SEE_OTHER, [(LOCATION, format!("/#code={c}"))]).into_response()
        }
        _ => ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::TokenInUrl,
            "the token is never accepted in a URL: open the sign-in link viban-server printed, or run \
             `viban-server login-url`",
        )
        .into_response(),
    }
}
