use viban_core::ErrorCode;
use viban_db::DbError;
use viban_git::GitError;

/// What can go wrong with a run, each with a stable code for the API.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("there is no agent profile {0:?}; see the Agents settings for the ones available")]
    UnknownAgent(String),
    #[error("{0}")]
    NotInstalled(String),
    #[error("{0}")]
    BadProfile(String),
    /// The prompt starts with `-` and the profile would pass it where the CLI reads options.
    #[error("{0}")]
    DashPrompt(String),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error(transparent)]
    Db(#[from] DbError),
    /// Commit, merge, rebase, push, PR (`viban_git::LandError::code` names it).
    #[error(transparent)]
    Land(#[from] viban_git::LandError),
    /// The task waits for others that are not Done.
    #[error("{0}")]
    Blocked(String),
    #[error("the run is not running")]
    NotRunning,
    #[error("the run is not active (it already finished)")]
    NotActive,
    #[error("a run is still active in this worktree: stop it or wait until it ends")]
    RunActive,
    #[error("the run's worktree was removed: start a new run instead")]
    WorktreeRemoved,
    /// A column automation's script runs in the task's worktree, and the task has none.
    #[error("this task has no worktree yet: an automation script runs in the worktree of the task's latest run")]
    NoWorktree,
    #[error("the agent is not reading its input; wait a moment")]
    InputBacklog,
    /// Deleting a task or project: some of its runs were still running after the stop ladder.
    #[error("{0}")]
    StopTimedOut(String),
    #[error("{0:?} is not a worktree viban made: see GET /api/worktrees for those")]
    NotAWorktree(String),
    /// "Open in editor" found no editor (or the configured one cannot start); the message says how to set one up.
    #[error("{0}")]
    NoEditor(String),
    /// A path in a request that is not inside the run's worktree.
    #[error("{0}")]
    InvalidPath(String),
    #[error("{0}")]
    Validation(String),
    /// A reader asked for output from an offset the run has not reached.
    #[error("offset {from} is past the end of the run's output ({end} bytes so far)")]
    OffsetPastEnd { from: u64, end: u64 },
    #[error("{0}")]
    Io(String),
}

impl From<crate::transcript::ReadError> for RunError {
    fn from(e: crate::transcript::ReadError) -> Self {
        use crate::transcript::ReadError as R;
        match e {
            R::PastEnd { from, end } => Self::OffsetPastEnd { from, end },
            R::Missing(_) => Self::Io(e.to_string()),
            R::Store(d) => Self::Db(d),
        }
    }
}

impl RunError {
    /// The API's code for it (the HTTP status is chosen by the API).
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::UnknownAgent(_) => ErrorCode::UnknownAgent,
            Self::NotInstalled(_) => ErrorCode::AgentNotInstalled,
            Self::BadProfile(_) => ErrorCode::InvalidProfile,
            Self::DashPrompt(_) => ErrorCode::PromptLooksLikeOption,
            Self::Git(g) => match g {
                GitError::Busy(..) => ErrorCode::RepoBusy,
                GitError::BadBase(_) => ErrorCode::BadBase,
                GitError::NoCommits => ErrorCode::RepoHasNoCommits,
                GitError::BranchExists(_) => ErrorCode::BranchExists,
                GitError::PathTaken(_) => ErrorCode::WorktreeExists,
                GitError::Dirty(_) => ErrorCode::WorktreeDirty,
                GitError::Unsafe(_) => ErrorCode::UnsafeWorktreePath,
                _ => ErrorCode::GitFailed,
            },
            Self::Db(_) => ErrorCode::Internal,
            Self::Land(l) => l.code(),
            Self::Blocked(_) => ErrorCode::TaskBlocked,
            Self::NotRunning => ErrorCode::RunNotRunning,
            Self::NotActive => ErrorCode::RunNotActive,
            Self::RunActive => ErrorCode::RunActive,
            Self::WorktreeRemoved | Self::NoWorktree => ErrorCode::WorktreeRemoved,
            Self::InputBacklog => ErrorCode::InputBacklog,
            Self::StopTimedOut(_) => ErrorCode::RunsDidNotStop,
            Self::NotAWorktree(_) => ErrorCode::NotAWorktree,
            Self::NoEditor(_) => ErrorCode::NoEditor,
            Self::InvalidPath(_) => ErrorCode::InvalidPath,
            Self::Validation(_) => ErrorCode::Validation,
            Self::OffsetPastEnd { .. } => ErrorCode::OffsetPastEnd,
            Self::Io(_) => ErrorCode::Io,
        }
    }
}
