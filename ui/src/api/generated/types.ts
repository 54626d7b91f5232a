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
default_branch: string | null, created_at: string, updated_at: string, };

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

export type ChangeTable = "project" | "task";

export type ChangeOp = "insert" | "update" | "delete";

export type ChangeEvent = { "type": "hello", version: string, } | { "type": "change", table: ChangeTable, op: ChangeOp, id: string, project_id: string | null, } | { "type": "resync" } | { "type": "status", database: string, };
