//! Every error leaves the API as `{code, message}` with a stable code; 5xx never show internals.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use viban_core::{ApiErrorBody, ErrorCode};
use viban_db::DbError;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self { status, code, message: message.into() }
    }
    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("no {what} with id '{id}'"))
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::Validation, message)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "not signed in: open the sign-in link viban-server printed (or run `viban-server login-url`); tools send \
             Authorization: Bearer <token>",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ApiErrorBody { code: self.code, message: self.message };
        (self.status, Json(body)).into_response()
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::NotFound(what) => {
                Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("{what} not found"))
            }
            DbError::Conflict(m) => Self::new(StatusCode::CONFLICT, ErrorCode::Conflict, m),
            DbError::Invalid(m) => Self::validation(m),
            DbError::Unavailable(m) => {
                tracing::warn!(error = %m, "database unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::DatabaseUnavailable,
                    "the database is not available right now; viban is restarting it, try again in a moment",
                )
            }
            DbError::DiskFull(m) => {
                tracing::error!(error = %m, "disk full");
                Self::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    ErrorCode::DiskFull,
                    "the disk holding viban's data is full: nothing was saved; free some space and try again",
                )
            }
            e @ (DbError::Other(_) | DbError::Migrate(_) | DbError::SchemaNewer { .. }) => {
                tracing::error!(error = %e, "internal error");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal, "internal error; see the server log")
            }
        }
    }
}

/// `Json<T>` whose rejections are `{code, message}` too.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(Self(v)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(r: JsonRejection) -> ApiError {
    match r {
        JsonRejection::MissingJsonContentType(_) => ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorCode::UnsupportedMediaType,
            "send the body as JSON with Content-Type: application/json",
        ),
        JsonRejection::BytesRejection(b) if b.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorCode::BodyTooLarge,
            format!("the request body is larger than {} bytes", crate::MAX_BODY_BYTES),
        ),
        other => ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadJson, other.body_text()),
    }
}

/// `Query<T>` whose rejections are `{code, message}` too.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(v)) => Ok(Self(v)),
            Err(r) => Err(ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::BadQuery, r.body_text())),
        }
    }
}

/// Parses an id from the path; a malformed id is simply an id nothing has.
pub fn parse_id(what: &str, raw: &str) -> Result<uuid::Uuid, ApiError> {
    uuid::Uuid::parse_str(raw).map_err(|_| ApiError::not_found(what, raw))
}

impl From<viban_agents::RunError> for ApiError {
    fn from(e: viban_agents::RunError) -> Self {
        use viban_agents::RunError as R;
        let e = match e {
            R::Db(d) => return d.into(),
            R::Land(l) => return crate::routes::land::from_land(l),
            other => other,
        };
        let status = match &e {
            R::Db(_) | R::Land(_) => StatusCode::INTERNAL_SERVER_ERROR,
            R::UnknownAgent(_) | R::NotInstalled(_) | R::BadProfile(_) | R::DashPrompt(_) | R::NoEditor(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            R::Git(g) => match g {
                viban_git::GitError::BadBase(_) | viban_git::GitError::NoCommits | viban_git::GitError::Unsafe(_) => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                viban_git::GitError::Busy(..)
                | viban_git::GitError::BranchExists(_)
                | viban_git::GitError::PathTaken(_)
                | viban_git::GitError::Dirty(_) => StatusCode::CONFLICT,
                _ => StatusCode::INTERNAL_SERVER_ERROR,
            },
            R::Blocked(_)
            | R::NotRunning
            | R::NotActive
            | R::RunActive
            | R::WorktreeRemoved
            | R::NoWorktree
            | R::StopTimedOut(_) => StatusCode::CONFLICT,
            R::InputBacklog => StatusCode::TOO_MANY_REQUESTS,
            R::NotAWorktree(_) => StatusCode::NOT_FOUND,
            R::Validation(_) | R::InvalidPath(_) | R::OffsetPastEnd { .. } => StatusCode::BAD_REQUEST,
            R::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            // git's stderr and I/O details stay in the log; the client gets the code and a short message.
            tracing::error!(error = %e, "run operation failed");
            return Self::new(status, e.code(), "the operation failed; see the server log for details");
        }
        Self::new(status, e.code(), e.to_string())
    }
}

impl From<viban_git::DiffError> for ApiError {
    fn from(e: viban_git::DiffError) -> Self {
        use viban_git::DiffError as D;
        let (status, code) = match &e {
            D::WorktreeMissing(_) => (StatusCode::CONFLICT, ErrorCode::WorktreeMissing),
            D::RepoMissing(_) => (StatusCode::CONFLICT, ErrorCode::RepositoryMissing),
            D::TargetMissing(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::TargetMissing),
            D::NoMergeBase(_) => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::NoMergeBase),
            D::NotInDiff(_) => (StatusCode::NOT_FOUND, ErrorCode::NotInDiff),
            D::InvalidPath(_) => (StatusCode::BAD_REQUEST, ErrorCode::InvalidPath),
            D::Git(_) | D::Io(_) => {
                // git's stderr and paths stay in the log.
                tracing::error!(error = %e, "diff failed");
                return Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the diff failed; see the server log",
                );
            }
        };
        Self::new(status, code, e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_errors_never_carry_git_stderr_or_paths() {
        let e: ApiError = viban_agents::RunError::Git(viban_git::GitError::Failed {
            args: "worktree add /home/me/secret".into(),
            stderr: "fatal: could not lock /home/me/secret/.git/index".into(),
        })
        .into();
        assert_eq!(e.status, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!e.message.contains("/home/me") && !e.message.contains("fatal"), "{}", e.message);
        let e: ApiError = viban_agents::RunError::Io("open /home/me/x: permission denied".into()).into();
        assert!(!e.message.contains("/home/me"), "{}", e.message);
    }
}
