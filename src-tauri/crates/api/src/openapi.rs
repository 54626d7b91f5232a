//! The OpenAPI document (every route) and the TypeScript types the UI compiles against, both from the Rust types.

use axum::Json;
use ts_rs::TS;
use utoipa::OpenApi;
use viban_core::*;

use crate::routes::{
    agents, app, auth, automation, comments, diff, events, health, land, projects, pty, runs, tasks, update, worktrees,
};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "viban local API",
        description = "Every route but /api/health and /api/auth/session needs Authorization: Bearer with the \
        per-install token (tools) or a browser session (redeemed from a sign-in code at /api/auth/session). \
        WebSockets also take a single-use ?ticket= from /api/auth/ticket. Cookies are never read."
    ),
    paths(
        health::health,
        auth::session,
        auth::ticket,
        auth::code,
        auth::rotate,
        projects::list,
        projects::create,
        projects::delete,
        projects::update,
        projects::board,
        tasks::create,
        tasks::get,
        tasks::update,
        tasks::delete,
        tasks::events,
        tasks::dependencies,
        tasks::add_dependency,
        tasks::remove_dependency,
        tasks::set_auto_start,
        tasks::clear_auto_start,
        automation::list,
        automation::put,
        automation::delete,
        automation::task_firings,
        automation::inbox,
        automation::dismiss,
        events::upgrade,
        app::show,
        agents::list,
        agents::detect,
        agents::get_config,
        agents::put_config,
        runs::start,
        runs::task_runs,
        runs::project_runs,
        runs::active,
        runs::get,
        runs::follow_up,
        runs::stop,
        runs::input,
        runs::resize,
        runs::screen,
        runs::remove_worktree,
        runs::cast,
        crate::routes::editor::editors,
        crate::routes::editor::open,
        crate::routes::editor::shell,
        pty::upgrade,
        land::git_state,
        land::commit,
        land::merge,
        land::rebase,
        land::rebase_abort,
        land::push,
        land::pr,
        diff::diff,
        diff::file,
        worktrees::list,
        worktrees::cleanup,
        update::get,
        update::check,
        update::install,
        update::settings,
        update::dismiss,
        comments::list,
        comments::create,
        comments::update,
        comments::delete,
        comments::prompt,
        comments::send,
    ),
    components(schemas(
        Project,
        Task,
        TaskStatus,
        Board,
        BoardColumn,
        CreateProject,
        UpdateProject,
        CreateTask,
        UpdateTask,
        TaskEvent,
        ApiErrorBody,
        ErrorCode,
        Health,
        SessionRequest,
        Session,
        WsTicket,
        LoginCode,
        ChangeEvent,
        ChangeTable,
        ChangeOp,
        RunStatus,
        Run,
        StartRun,
        FollowUp,
        RunInput,
        RunResize,
        RunScreen,
        AgentInfo,
        AgentConfig,
        RunActivity,
        RunKind,
        RuntimeKind,
        DefaultRuntime,
        TaskLink,
        AutoStart,
        TaskDependencies,
        AddDependency,
        SetAutoStart,
        AutomationAction,
        Automation,
        PutAutomation,
        FiringState,
        Firing,
        InboxKind,
        InboxItem,
        Inbox,
        DismissInbox,
        RuntimeOptions,
        ContainerOptions,
        KubernetesOptions,
        StartShell,
        OpenInEditor,
        EditorPreset,
        Editors,
        GitState,
        RebaseState,
        PullRequest,
        GitCommands,
        CommitRequest,
        MergeRequest,
        PushRequest,
        PrRequest,
        FileChange,
        DiffFile,
        RunDiff,
        FileDiff,
        RunFiles,
        WorktreeInfo,
        CleanupRequest,
        UpdatePhase,
        UpdateChannel,
        UpdateOffer,
        UpdateProgress,
        UpdateOutcomeKind,
        UpdateOutcome,
        UpdateState,
        UpdateSettings,
        InstallUpdateRequest,
        SkippedWorktree,
        CleanupResult,
        CommentSide,
        ReviewComment,
        NewComment,
        UpdateComment,
        CommentPromptRequest,
        CommentPrompt,
        SendComments
    ))
)]
pub struct ApiDoc;

pub async fn serve() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}

/// The OpenAPI document. Handlers in different modules share names (`list`, `get`, …), and utoipa names an
/// operation after its function: a name used more than once gets its tag in front (`projects_list`), so every
/// operationId is unique, as client generators need.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    let mut uses = std::collections::HashMap::<String, usize>::new();
    for_each_operation(&mut doc, |op| *uses.entry(op.operation_id.clone().unwrap_or_default()).or_default() += 1);
    for_each_operation(&mut doc, |op| {
        let id = op.operation_id.clone().unwrap_or_default();
        if uses.get(&id).copied().unwrap_or(0) > 1 {
            let tag = op.tags.as_ref().and_then(|t| t.first()).cloned().unwrap_or_default();
            op.operation_id = Some(format!("{tag}_{id}"));
        }
    });
    doc
}

fn for_each_operation(doc: &mut utoipa::openapi::OpenApi, mut f: impl FnMut(&mut utoipa::openapi::path::Operation)) {
    for item in doc.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
        ];
        for op in ops.into_iter().flatten() {
            f(op);
        }
    }
}

/// Column automation and the inbox.
fn automation_decls(cfg: &ts_rs::Config) -> [String; 9] {
    [
        AutomationAction::decl(cfg),
        Automation::decl(cfg),
        PutAutomation::decl(cfg),
        FiringState::decl(cfg),
        Firing::decl(cfg),
        InboxKind::decl(cfg),
        InboxItem::decl(cfg),
        Inbox::decl(cfg),
        DismissInbox::decl(cfg),
    ]
}

/// The contents of `ui/src/api/generated/types.ts`.
pub fn typescript() -> String {
    let cfg = ts_rs::Config::new().with_large_int("number");
    let decls = [
        TaskStatus::decl(&cfg),
        Project::decl(&cfg),
        Task::decl(&cfg),
        BoardColumn::decl(&cfg),
        Board::decl(&cfg),
        CreateProject::decl(&cfg),
        UpdateProject::decl(&cfg),
        CreateTask::decl(&cfg),
        UpdateTask::decl(&cfg),
        TaskEvent::decl(&cfg),
        ApiErrorBody::decl(&cfg),
        ErrorCode::decl(&cfg),
        Health::decl(&cfg),
        SessionRequest::decl(&cfg),
        Session::decl(&cfg),
        WsTicket::decl(&cfg),
        LoginCode::decl(&cfg),
        ChangeTable::decl(&cfg),
        ChangeOp::decl(&cfg),
        RunStatus::decl(&cfg),
        RunKind::decl(&cfg),
        RuntimeKind::decl(&cfg),
        DefaultRuntime::decl(&cfg),
        RuntimeOptions::decl(&cfg),
        TaskLink::decl(&cfg),
        AutoStart::decl(&cfg),
        TaskDependencies::decl(&cfg),
        AddDependency::decl(&cfg),
        SetAutoStart::decl(&cfg),
        ContainerOptions::decl(&cfg),
        KubernetesOptions::decl(&cfg),
        Run::decl(&cfg),
        StartRun::decl(&cfg),
        FollowUp::decl(&cfg),
        RunInput::decl(&cfg),
        RunResize::decl(&cfg),
        RunScreen::decl(&cfg),
        StartShell::decl(&cfg),
        OpenInEditor::decl(&cfg),
        EditorPreset::decl(&cfg),
        Editors::decl(&cfg),
        AgentInfo::decl(&cfg),
        AgentConfig::decl(&cfg),
        RunActivity::decl(&cfg),
        RebaseState::decl(&cfg),
        PullRequest::decl(&cfg),
        GitCommands::decl(&cfg),
        GitState::decl(&cfg),
        CommitRequest::decl(&cfg),
        MergeRequest::decl(&cfg),
        PushRequest::decl(&cfg),
        PrRequest::decl(&cfg),
        FileChange::decl(&cfg),
        DiffFile::decl(&cfg),
        RunDiff::decl(&cfg),
        FileDiff::decl(&cfg),
        RunFiles::decl(&cfg),
        WorktreeInfo::decl(&cfg),
        CleanupRequest::decl(&cfg),
        UpdatePhase::decl(&cfg),
        UpdateChannel::decl(&cfg),
        UpdateOffer::decl(&cfg),
        UpdateProgress::decl(&cfg),
        UpdateOutcomeKind::decl(&cfg),
        UpdateOutcome::decl(&cfg),
        UpdateState::decl(&cfg),
        UpdateSettings::decl(&cfg),
        InstallUpdateRequest::decl(&cfg),
        SkippedWorktree::decl(&cfg),
        CleanupResult::decl(&cfg),
        CommentSide::decl(&cfg),
        ReviewComment::decl(&cfg),
        NewComment::decl(&cfg),
        UpdateComment::decl(&cfg),
        CommentPromptRequest::decl(&cfg),
        CommentPrompt::decl(&cfg),
        SendComments::decl(&cfg),
        ChangeEvent::decl(&cfg),
    ];
    let mut out = String::from(
        "// Generated from the Rust types in src-tauri/crates/core by `cargo xtask gen-types`. Do not edit.\n\n",
    );
    for d in decls.into_iter().chain(automation_decls(&cfg)) {
        out.push_str("export ");
        out.push_str(d.trim());
        out.push_str("\n\n");
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_typescript_types_are_fresh() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../ui/src/api/generated/types.ts");
        if std::env::var_os("VIBAN_WRITE_TYPES").is_some() {
            // `cargo xtask gen-types` regenerates through this test.
            std::fs::write(path, typescript()).unwrap_or_else(|e| panic!("writing {path}: {e}"));
        }
        let committed = std::fs::read_to_string(path).unwrap_or_default();
        assert!(committed == typescript(), "ui/src/api/generated/types.ts is stale: run `cargo xtask gen-types`");
    }

    /// Client generators need one name per operation. `VIBAN_WRITE_OPENAPI=FILE` also writes the document, for the
    /// test command's validator (openapi-spec-validator).
    #[test]
    fn operation_ids_are_unique_and_the_document_can_be_written() {
        let doc = document();
        let mut seen = std::collections::BTreeMap::new();
        for (path, item) in &doc.paths.paths {
            let ops = [&item.get, &item.put, &item.post, &item.delete, &item.patch, &item.head, &item.options];
            for op in ops.into_iter().flatten() {
                let id = op.operation_id.clone().unwrap_or_default();
                if let Some(other) = seen.insert(id.clone(), path.clone()) {
                    panic!("operationId {id:?} is used by {other} and {path}");
                }
            }
        }
        if let Some(file) = std::env::var_os("VIBAN_WRITE_OPENAPI") {
            let json = serde_json::to_string_pretty(&doc).unwrap_or_default();
            std::fs::write(&file, json).unwrap_or_else(|e| panic!("writing {file:?}: {e}"));
        }
    }

    #[test]
    fn openapi_lists_every_route() {
        let doc = ApiDoc::openapi();
        for p in [
            "/api/health",
            "/api/auth/session",
            "/api/auth/ticket",
            "/api/auth/rotate",
            "/api/agents/detect",
            "/api/projects",
            "/api/projects/{id}/board",
            "/api/tasks/{id}",
            "/api/events",
            "/api/agents",
            "/api/tasks/{id}/runs",
            "/api/runs/{id}",
            "/api/runs/{id}/input",
            "/api/runs/{id}/stop",
            "/api/runs/{id}/transcript.cast",
            "/api/runs/{id}/screen",
            "/api/runs/{id}/pty",
            "/api/runs/{id}/git",
            "/api/runs/{id}/commit",
            "/api/runs/{id}/merge",
            "/api/runs/{id}/rebase",
            "/api/runs/{id}/rebase/abort",
            "/api/runs/{id}/push",
            "/api/runs/{id}/pr",
            "/api/runs/{id}/diff",
            "/api/runs/{id}/diff/file",
            "/api/editors",
            "/api/runs/{id}/open",
            "/api/runs/{id}/shell",
            "/api/worktrees",
            "/api/worktrees/cleanup",
            "/api/runs/{id}/comments",
            "/api/runs/{id}/comments/prompt",
            "/api/runs/{id}/comments/send",
            "/api/comments/{id}",
        ] {
            assert!(doc.paths.paths.contains_key(p), "{p} missing from the OpenAPI document");
        }
    }
}
