// Generated from the Rust types in src-tauri/crates/core by `cargo xtask gen-types`. Do not edit.

export type TaskStatus = "todo" | "in_progress" | "in_review" | "done" | "cancelled";

export type Project = { id: string, name: string, 
/**
 * Canonical path of the git work tree.
 */
repo_path: string, 
/**
 * Detected at creation (`origin/HEAD`, else the current branch); null for a repository without commits.
 */
default_branch: string | null, 
/**
 * Run by `/bin/sh -c` in each new worktree before the agent starts (e.g. `npm ci`); empty for none.
 */
setup_script: string, 
/**
 * Files copied from the repository into each new worktree (relative paths, e.g. `.env`).
 */
copy_files: Array<string>, created_at: string, updated_at: string, };

export type Task = { id: string, project_id: string, title: string, 
/**
 * Markdown.
 */
description: string, status: TaskStatus, 
/**
 * Opaque sort key within the column (byte order).
 */
position: string, created_at: string, updated_at: string, };

export type BoardColumn = { status: TaskStatus, tasks: Array<Task>, };

export type Board = { project: Project, 
/**
 * Always the five statuses, in `TaskStatus::ALL` order.
 */
columns: Array<BoardColumn>, };

export type CreateProject = { name: string, repo_path: string, };

export type UpdateProject = { name?: string, setup_script?: string, copy_files?: Array<string>, };

export type CreateTask = { title: string, description?: string, status?: TaskStatus, };

export type UpdateTask = { title?: string, description?: string, status?: TaskStatus, position?: number, };

export type TaskEvent = { id: number, task_id: string, 
/**
 * `created`, `updated`, `moved` or `deleted`.
 */
kind: string, data: unknown, at: string, };

export type ApiErrorBody = { 
/**
 * Stable machine-readable code the UI branches on.
 */
code: string, message: string, };

export type Health = { status: string, version: string, 
/**
 * `ready`, `degraded` or `down`.
 */
database: string, };

export type SessionRequest = { code: string, };

export type Session = { session: string, };

export type WsTicket = { ticket: string, };

export type LoginCode = { code: string, url: string, };

export type ChangeTable = "project" | "task" | "run";

export type ChangeOp = "insert" | "update" | "delete";

export type RunStatus = "queued" | "starting" | "running" | "succeeded" | "failed" | "stopped" | "interrupted";

export type Run = { id: string, task_id: string, project_id: string, 
/**
 * Profile id (`claude`, `codex`, `custom`, …).
 */
agent: string, prompt: string, 
/**
 * The run this one follows up (same worktree), if any.
 */
follow_up_of: string | null, status: RunStatus, exit_code: number | null, 
/**
 * Why it failed or could not start, in words.
 */
error: string | null, worktree_path: string, branch: string, 
/**
 * What the branch was made from (a branch name or commit).
 */
base_ref: string, 
/**
 * Files changed in the worktree against the base (tracked changes + untracked files not ignored).
 */
changed_files: number, 
/**
 * Bytes of terminal output stored so far.
 */
output_bytes: number, 
/**
 * 1-based place in the queue while `queued`.
 */
queue_position: number | null, cols: number, rows: number, 
/**
 * Things the user should know that did not stop the run (e.g. uncommitted changes left in the main checkout).
 */
warnings: Array<string>, created_at: string, started_at: string | null, finished_at: string | null, };

export type StartRun = { agent: string, prompt: string, 
/**
 * Branch or commit to start from; the project's default branch when absent.
 */
base?: string, cols?: number, rows?: number, };

export type FollowUp = { prompt: string, 
/**
 * Defaults to the agent of the run followed up.
 */
agent?: string, };

export type RunInput = { data: string, };

export type RunResize = { cols: number, rows: number, };

export type RunScreen = { cols: number, rows: number, 
/**
 * One string per screen row, trailing blanks trimmed.
 */
lines: Array<string>, cursor_row: number, cursor_col: number, 
/**
 * Transcript offset (bytes) this screen reflects.
 */
offset: number, };

export type AgentInfo = { id: string, name: string, 
/**
 * Shipped with viban (possibly overridden by the user's file).
 */
builtin: boolean, 
/**
 * The command line as it will run, with `{prompt}` where the prompt goes.
 */
command_line: string, installed: boolean, 
/**
 * Absolute path of the binary found on the login-shell PATH.
 */
path: string | null, version: string | null, install_hint: string | null, 
/**
 * Why it cannot run (binary missing, bad profile), in words.
 */
problem: string | null, };

export type AgentConfig = { 
/**
 * Where it lives on disk.
 */
path: string, 
/**
 * TOML text.
 */
text: string, };

export type RunActivity = { run_id: string, task_id: string, project_id: string, 
/**
 * Last non-blank lines of the screen (at most 3).
 */
last_lines: Array<string>, output_bytes: number, 
/**
 * Milliseconds since the agent last printed.
 */
idle_ms: number, 
/**
 * Quiet long enough that it probably waits for input; `last_lines` then shows its question.
 */
waiting: boolean, };

export type ChangeEvent = { "type": "hello", version: string, } | { "type": "change", table: ChangeTable, op: ChangeOp, id: string, project_id: string | null, } | { "type": "resync" } | { "type": "status", database: string, } | { "type": "run_activity" } & RunActivity;
