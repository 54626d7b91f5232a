//! The tools: what a model may read and do on the board. Each answers structured JSON; a failure is a tool error
//! whose content is the API's `{code, message}`, so a model can tell "not found" from "not running".

use axum::http::StatusCode;
use axum::http::request::Parts;
use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::tool::Extension;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{CallToolResult, Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ErrorData, ServerHandler, tool, tool_handler, tool_router};
use serde_json::{Value, json};
use uuid::Uuid;
use viban_core::{ApiErrorBody, CreateTask, ErrorCode, Run, StartRun, Task, TaskStatus, UpdateTask};

use super::params::*;
use crate::error::parse_id;
use crate::routes::projects::not_found_as;
use crate::security::RunScope;
use crate::{ApiError, ApiState, CacheKey};

/// A patch returned by `get_run_diff` is cut here.
const PATCH_CAP: usize = 256 * 1024;

/// One MCP session's handler.
#[derive(Clone)]
pub struct Board {
    state: ApiState,
    tool_router: ToolRouter<Self>,
}

type ToolResult = Result<CallToolResult, ErrorData>;

/// Whom a call is for: the whole board (the install token, a session) or one project (a run's agent's token).
#[derive(Debug, Clone, Copy)]
enum Scope {
    All,
    Project(Uuid),
}

impl Scope {
    /// Outside a run's project, things do not exist for its agent.
    fn allows(self, project: Uuid, what: &str, id: Uuid) -> Result<(), ApiError> {
        match self {
            Scope::Project(p) if p != project => Err(ApiError::not_found(what, &id.to_string())),
            _ => Ok(()),
        }
    }
}

/// A tool's answer: the value as structured content (an object), or the API error as a tool error.
fn answer(result: Result<Value, ApiError>) -> ToolResult {
    Ok(match result {
        Ok(v) => CallToolResult::structured(v),
        Err(e) => CallToolResult::structured_error(json!(ApiErrorBody { code: e.code, message: e.message })),
    })
}

fn status_of(raw: Option<&str>) -> Result<Option<TaskStatus>, ApiError> {
    raw.map(|s| {
        TaskStatus::parse(s).ok_or_else(|| {
            ApiError::validation(format!("status {s:?}: use todo, in_progress, in_review, done or cancelled"))
        })
    })
    .transpose()
}

fn to_value(v: impl serde::Serialize) -> Result<Value, ApiError> {
    serde_json::to_value(v).map_err(|e| ApiError::validation(format!("could not encode the answer: {e}")))
}

#[tool_router]
impl Board {
    pub fn new(state: ApiState) -> Self {
        Self { state, tool_router: Self::tool_router() }
    }

    #[tool(description = "List the projects on the board: id, name, repository path, default branch.")]
    async fn list_projects(&self, Extension(parts): Extension<Parts>) -> ToolResult {
        answer(
            async {
                let scope = self.scope(&parts).await?;
                let mut projects = self.state.db.list_projects().await?;
                if let Scope::Project(p) = scope {
                    projects.retain(|x| x.id == p);
                }
                Ok(json!({ "projects": to_value(projects)? }))
            }
            .await,
        )
    }

    #[tool(description = "List the agent profiles a run can use (id, name, whether it is installed, where it runs).")]
    async fn list_agents(&self, Extension(parts): Extension<Parts>) -> ToolResult {
        let catalog = self.state.runs.catalog().clone();
        answer(
            async {
                self.scope(&parts).await?;
                Ok(json!({ "agents": to_value(crate::routes::agents::list_blocking(catalog, false).await?)? }))
            }
            .await,
        )
    }

    #[tool(description = "List or search a project's tasks, in board order. Filter by column and by text in the \
                          title or description, or by the id as shown on cards (`#1a2b3c4d`).")]
    async fn list_tasks(&self, Extension(parts): Extension<Parts>, Parameters(p): Parameters<ListTasks>) -> ToolResult {
        answer(self.list_tasks_impl(&parts, p).await)
    }

    #[tool(description = "Get one task with its runs (newest first): status, agent, exit code, error, branch.")]
    async fn get_task(&self, Extension(parts): Extension<Parts>, Parameters(p): Parameters<TaskRef>) -> ToolResult {
        answer(
            async {
                let task = self.task(&parts, &p.task_id).await?;
                let runs = self.state.runs.task_runs(task.id).await?;
                Ok(json!({ "task": to_value(task)?, "runs": to_value(runs)? }))
            }
            .await,
        )
    }

    #[tool(description = "Create a task in a project (at the top of its column, Todo unless `status` says \
                          otherwise), optionally as a subtask of another task. Returns the task with its id.")]
    async fn create_task(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(p): Parameters<CreateTaskArgs>,
    ) -> ToolResult {
        answer(
            async {
                let project = parse_id("project", &p.project_id)?;
                self.scope(&parts).await?.allows(project, "project", project)?;
                let parent_id = p.parent_task_id.as_deref().map(|t| parse_id("task", t)).transpose()?;
                let status = status_of(p.status.as_deref())?;
                let new = CreateTask { title: p.title, description: p.description, status, parent_id };
                let task =
                    self.state.db.create_task(project, new).await.map_err(|e| not_found_as(e, "project", project))?;
                self.state.cache.invalidate(CacheKey::Board(project));
                Ok(json!({ "task": to_value(task)? }))
            }
            .await,
        )
    }

    #[tool(description = "Change a task's title or description, or move it to another column.")]
    async fn update_task(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(p): Parameters<UpdateTaskArgs>,
    ) -> ToolResult {
        answer(
            async {
                let id = self.task(&parts, &p.task_id).await?.id;
                let status = status_of(p.status.as_deref())?;
                let upd = UpdateTask { title: p.title, description: p.description, status, position: None };
                let task = self.state.db.update_task(id, upd).await.map_err(|e| not_found_as(e, "task", id))?;
                self.state.cache.invalidate(CacheKey::Board(task.project_id));
                Ok(json!({ "task": to_value(task)? }))
            }
            .await,
        )
    }

    #[tool(description = "Make a task wait for another of its project: it cannot start until the blocker is \
                          Done. A cycle is refused. Returns the task's blockers.")]
    async fn add_dependency(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(p): Parameters<AddDependencyArgs>,
    ) -> ToolResult {
        answer(
            async {
                let task = self.task(&parts, &p.task_id).await?;
                let blocker = self.task(&parts, &p.blocker_task_id).await?;
                self.state.db.add_dependency(task.id, blocker.id).await.map_err(|e| match e {
                    viban_db::DbError::Conflict(m) => {
                        ApiError::new(StatusCode::CONFLICT, ErrorCode::DependencyCycle, m)
                    }
                    other => other.into(),
                })?;
                Ok(json!({ "dependencies": to_value(self.state.db.dependencies(task.id).await?)? }))
            }
            .await,
        )
    }

    #[tool(description = "Start an agent on a task, in a new git worktree and branch. The run is queued when \
                          the concurrency limit is reached. Returns the run; follow it with get_run.")]
    async fn start_run(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(p): Parameters<StartRunArgs>,
    ) -> ToolResult {
        answer(
            async {
                let task = self.task(&parts, &p.task_id).await?.id;
                let req =
                    StartRun { agent: p.agent, prompt: p.prompt, base: p.base, cols: None, rows: None, runtime: None };
                Ok(json!({ "run": to_value(self.state.runs.start_run(task, req).await?)? }))
            }
            .await,
        )
    }

    #[tool(description = "Get a run: status, exit code, error, changed files, and the last lines of its \
                          terminal screen (what the agent shows now, e.g. a question it waits on).")]
    async fn get_run(&self, Extension(parts): Extension<Parts>, Parameters(p): Parameters<GetRunArgs>) -> ToolResult {
        answer(
            async {
                let run = self.run(&parts, &p.run_id).await?;
                let n = p.lines.unwrap_or(20).clamp(1, 200) as usize;
                let mut lines = self.state.runs.screen(run.id).await?.lines;
                while lines.last().is_some_and(|l| l.trim().is_empty()) {
                    lines.pop();
                }
                let last = lines.split_off(lines.len().saturating_sub(n));
                Ok(json!({ "run": to_value(run)?, "screen": last }))
            }
            .await,
        )
    }

    #[tool(description = "Type text into a running agent's terminal (and press Enter unless enter is false), \
                          e.g. to answer its question.")]
    async fn send_input(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(p): Parameters<SendInputArgs>,
    ) -> ToolResult {
        answer(
            async {
                let id = self.run(&parts, &p.run_id).await?.id;
                let mut bytes = p.text.into_bytes();
                if p.enter.unwrap_or(true) {
                    bytes.push(b'\r');
                }
                let sent = bytes.len();
                self.state.runs.input(id, bytes)?;
                Ok(json!({ "sent_bytes": sent }))
            }
            .await,
        )
    }

    #[tool(description = "Stop a run: its agent and everything it started are ended (its work stays in the \
                          worktree). Returns the run once it has stopped.")]
    async fn stop_run(&self, Extension(parts): Extension<Parts>, Parameters(p): Parameters<RunRef>) -> ToolResult {
        answer(
            async {
                let id = self.run(&parts, &p.run_id).await?.id;
                Ok(json!({ "run": to_value(self.state.runs.stop(id).await?)? }))
            }
            .await,
        )
    }

    #[tool(description = "What a run changed against its base: files with added and deleted line counts, and \
                          with patch=true the unified diff (cut at 256 KiB).")]
    async fn get_run_diff(
        &self,
        Extension(parts): Extension<Parts>,
        Parameters(p): Parameters<RunDiffArgs>,
    ) -> ToolResult {
        answer(self.diff_impl(&parts, p).await)
    }
}

impl Board {
    /// The caller's scope: a run's token reaches its project while that run is active, and nothing else.
    async fn scope(&self, parts: &Parts) -> Result<Scope, ApiError> {
        let Some(RunScope(run)) = parts.extensions.get::<RunScope>().copied() else { return Ok(Scope::All) };
        let ended = || {
            ApiError::new(StatusCode::UNAUTHORIZED, ErrorCode::Unauthorized, "this run has ended: its token is void")
        };
        let run = self.state.db.get_run(run).await.map_err(|_| ended())?;
        if !run.status.is_active() {
            return Err(ended());
        }
        Ok(Scope::Project(run.project_id))
    }

    async fn task(&self, parts: &Parts, raw: &str) -> Result<Task, ApiError> {
        let id = parse_id("task", raw)?;
        let task = self.state.db.get_task(id).await.map_err(|e| not_found_as(e, "task", id))?;
        self.scope(parts).await?.allows(task.project_id, "task", id)?;
        Ok(task)
    }

    async fn run(&self, parts: &Parts, raw: &str) -> Result<Run, ApiError> {
        let id = parse_id("run", raw)?;
        let run = self.state.runs.get(id).await?;
        self.scope(parts).await?.allows(run.project_id, "run", id)?;
        Ok(run)
    }

    async fn list_tasks_impl(&self, parts: &Parts, p: ListTasks) -> Result<Value, ApiError> {
        let project = parse_id("project", &p.project_id)?;
        self.scope(parts).await?.allows(project, "project", project)?;
        self.state.db.get_project(project).await.map_err(|e| not_found_as(e, "project", project))?;
        let status = status_of(p.status.as_deref())?;
        let limit = i64::from(p.limit.unwrap_or(100).clamp(1, 1000));
        // Searched in the database: a 10,000-task board is not loaded for one answer.
        let (tasks, total) = self.state.db.search_tasks(project, status, p.text.as_deref(), limit).await?;
        let truncated = total > tasks.len() as i64;
        Ok(json!({ "tasks": to_value(&tasks)?, "total": total, "truncated": truncated }))
    }

    async fn diff_impl(&self, parts: &Parts, p: RunDiffArgs) -> Result<Value, ApiError> {
        let run = self.run(parts, &p.run_id).await?;
        let (dir, target) = (std::path::PathBuf::from(&run.worktree_path), run.base_ref.clone());
        let stats = crate::routes::diff::stats(&self.state, run).await?;
        let mut out = json!({ "diff": to_value(&stats)? });
        if p.patch.unwrap_or(false) {
            let (text, cut) = tokio::task::spawn_blocking(move || patch_text(&dir, &target))
                .await
                .map_err(|e| ApiError::validation(format!("the patch could not be made: {e}")))??;
            out["patch"] = Value::String(text);
            out["patch_truncated"] = Value::Bool(cut);
        }
        Ok(out)
    }
}

/// The unified patch, cut at `PATCH_CAP` (on a character boundary).
fn patch_text(dir: &std::path::Path, target: &str) -> Result<(String, bool), ApiError> {
    let failed = |e: viban_git::DiffError| ApiError::validation(e.to_string());
    let listing = viban_git::diff_files(dir, target).map_err(failed)?;
    let untracked: Vec<&[u8]> = listing.files.iter().filter(|f| f.untracked).map(|f| f.path.as_slice()).collect();
    let mut buf = Vec::new();
    viban_git::write_patch(dir, &listing.merge_base, &untracked, &mut buf).map_err(failed)?;
    let cut = buf.len() > PATCH_CAP;
    buf.truncate(PATCH_CAP);
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    if cut {
        // A lossy cut may end in a replacement character: drop the partial line instead.
        if let Some(end) = text.rfind('\n') {
            text.truncate(end + 1);
        }
    }
    Ok((text, cut))
}

#[tool_handler(router = self.tool_router)]
impl ServerHandler for Board {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("viban", self.state.version.to_string()))
            .with_instructions(
                "viban is a kanban board whose cards are tasks for coding agents. Use list_projects, then list_tasks \
                 to find work; create_task to add it; start_run to put an agent on a task (each run gets its own git \
                 worktree and branch); get_run to follow it (its screen shows a question it waits on; answer with \
                 send_input); get_run_diff to see what it changed.",
            )
    }
}
