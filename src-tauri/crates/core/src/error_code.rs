//! Every code an API error (or a terminal WebSocket error frame) can carry: one enum, generated into the UI's
//! TypeScript types, so a branch on a code that does not exist fails to compile on both sides.

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use utoipa::ToSchema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    // Requests
    Validation,
    BadJson,
    BadQuery,
    BodyTooLarge,
    UnsupportedMediaType,
    NotFound,
    MethodNotAllowed,
    Conflict,
    // Access
    Unauthorized,
    SessionExpired,
    ForbiddenHost,
    ForbiddenOrigin,
    ForbiddenSite,
    TokenInUrl,
    CodeInvalid,
    RotateFailed,
    // The server itself (5xx: a code and a short text; details stay in the log)
    Internal,
    DatabaseUnavailable,
    DiskFull,
    Io,
    // Projects and repositories
    GitMissing,
    InvalidPath,
    PathNotFound,
    PathNotAllowed,
    NotAGitRepo,
    // Tasks
    TaskBlocked,
    DependencyCycle,
    // Agents and runs
    UnknownAgent,
    AgentNotInstalled,
    InvalidProfile,
    PromptLooksLikeOption,
    RepoBusy,
    BadBase,
    RepoHasNoCommits,
    BranchExists,
    WorktreeExists,
    WorktreeDirty,
    UnsafeWorktreePath,
    GitFailed,
    RunNotRunning,
    RunNotActive,
    RunActive,
    WorktreeRemoved,
    InputBacklog,
    RunsDidNotStop,
    NotAWorktree,
    NoEditor,
    OffsetPastEnd,
    // Review
    WorktreeMissing,
    RepositoryMissing,
    TargetMissing,
    NoMergeBase,
    NotInDiff,
    NoComments,
    NotText,
    // Landing: commit, merge, rebase, push, pull request
    NothingToCommit,
    HookFailed,
    CommitFailed,
    TargetDirty,
    Uncommitted,
    MergeConflict,
    NothingToMerge,
    MergeFailed,
    BadTarget,
    RebaseInProgress,
    NoRebase,
    RebaseFailed,
    PushRejected,
    PushFailed,
    NoRemote,
    GhMissing,
    GlabMissing,
    GhNotLoggedIn,
    GlabNotLoggedIn,
    UnknownProvider,
    PrFailed,
    // Updates and the desktop shell
    NoUpdate,
    UpdatesUnsupported,
    AgentsRunning,
    WriteFailed,
    NoWindow,
    // Terminal WebSocket error frames
    BadFrame,
    AttachFailed,
    Transcript,
}

impl ErrorCode {
    /// The code as it is sent (`snake_case`).
    pub fn as_str(self) -> String {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(s)) => s,
            _ => format!("{self:?}"),
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ErrorCode;

    #[test]
    fn codes_are_sent_in_snake_case() {
        assert_eq!(ErrorCode::OffsetPastEnd.as_str(), "offset_past_end");
        assert_eq!(ErrorCode::NotAGitRepo.as_str(), "not_a_git_repo");
        assert_eq!(ErrorCode::GhNotLoggedIn.to_string(), "gh_not_logged_in");
    }
}
