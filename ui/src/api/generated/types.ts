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
copy_files: Array<string>, 
/**
 * Where its runs go unless a run says otherwise.
 */
default_runtime: DefaultRuntime, 
/**
 * Image and limits for its container and Kubernetes runs, over the agents' profiles.
 */
runtime_options: RuntimeOptions, created_at: string, updated_at: string, };

export type Task = { id: string, project_id: string, title: string, 
/**
 * Markdown.
 */
description: string, status: TaskStatus, 
/**
 * Opaque sort key within the column (byte order).
 */
position: string, 
/**
 * The task this one is a subtask of (same project), if any.
 */
parent_id: string | null, created_at: string, updated_at: string, };

export type BoardColumn = { status: TaskStatus, tasks: Array<Task>, };

export type Board = { project: Project, 
/**
 * Always the five statuses, in `TaskStatus::ALL` order.
 */
columns: Array<BoardColumn>, };

export type CreateProject = { name: string, repo_path: string, };

export type UpdateProject = { name?: string, setup_script?: string, copy_files?: Array<string>, default_runtime?: DefaultRuntime, 
/**
 * Replaces the project's runtime options as a whole.
 */
runtime_options?: RuntimeOptions, };

export type CreateTask = { title: string, description?: string, status?: TaskStatus, 
/**
 * Makes it a subtask of this task (same project).
 */
parent_id?: string, };

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
code: ErrorCode, message: string, };

export type ErrorCode = "validation" | "bad_json" | "bad_query" | "body_too_large" | "unsupported_media_type" | "not_found" | "method_not_allowed" | "conflict" | "unauthorized" | "session_expired" | "forbidden_host" | "forbidden_origin" | "forbidden_site" | "token_in_url" | "code_invalid" | "rotate_failed" | "internal" | "database_unavailable" | "disk_full" | "io" | "git_missing" | "invalid_path" | "path_not_found" | "path_not_allowed" | "not_a_git_repo" | "task_blocked" | "dependency_cycle" | "unknown_agent" | "agent_not_installed" | "invalid_profile" | "prompt_looks_like_option" | "repo_busy" | "bad_base" | "repo_has_no_commits" | "branch_exists" | "worktree_exists" | "worktree_dirty" | "unsafe_worktree_path" | "git_failed" | "run_not_running" | "run_not_active" | "run_active" | "worktree_removed" | "input_backlog" | "runs_did_not_stop" | "not_a_worktree" | "no_editor" | "offset_past_end" | "worktree_missing" | "repository_missing" | "target_missing" | "no_merge_base" | "not_in_diff" | "no_comments" | "not_text" | "nothing_to_commit" | "hook_failed" | "commit_failed" | "target_dirty" | "uncommitted" | "merge_conflict" | "nothing_to_merge" | "merge_failed" | "bad_target" | "rebase_in_progress" | "no_rebase" | "rebase_failed" | "push_rejected" | "push_failed" | "no_remote" | "gh_missing" | "glab_missing" | "gh_not_logged_in" | "glab_not_logged_in" | "unknown_provider" | "pr_failed" | "no_update" | "updates_unsupported" | "agents_running" | "write_failed" | "no_window" | "bad_frame" | "attach_failed" | "transcript";

export type Health = { status: string, version: string, 
/**
 * `ready`, `degraded` or `down`.
 */
database: string, };

export type SessionRequest = { code: string, };

export type Session = { session: string, };

export type WsTicket = { ticket: string, };

export type LoginCode = { code: string, url: string, };

export type ChangeTable = "project" | "task" | "run" | "comment";

export type ChangeOp = "insert" | "update" | "delete";

export type RunStatus = "queued" | "starting" | "running" | "succeeded" | "failed" | "stopped" | "interrupted";

export type RunKind = "agent" | "shell" | "script";

export type RuntimeKind = "local" | "container" | "kubernetes";

export type DefaultRuntime = "profile" | "local" | "container" | "kubernetes";

export type RuntimeOptions = { container: ContainerOptions, kubernetes: KubernetesOptions, };

export type TaskLink = { id: string, title: string, status: TaskStatus, };

export type AutoStart = { agent: string, prompt: string, 
/**
 * When it fired (it does not fire again).
 */
fired_at: string | null, };

export type TaskDependencies = { 
/**
 * What this task waits for.
 */
blockers: Array<TaskLink>, 
/**
 * What waits for this task.
 */
dependents: Array<TaskLink>, 
/**
 * Some blocker is not Done yet: the task cannot start.
 */
blocked: boolean, auto_start: AutoStart | null, };

export type AddDependency = { 
/**
 * The task that must be Done first (same project).
 */
blocker_id: string, };

export type SetAutoStart = { agent: string, prompt: string, };

export type ContainerOptions = { image: string | null, 
/**
 * As the engine takes it (`512m`, `4g`).
 */
memory: string | null, cpus: number | null, pids: number | null, 
/**
 * false: no network at all.
 */
network: boolean | null, };

export type KubernetesOptions = { image: string | null, 
/**
 * A Kubernetes quantity (`2`, `500m`).
 */
cpu: string | null, 
/**
 * A Kubernetes quantity (`4Gi`).
 */
memory: string | null, };

export type Run = { id: string, task_id: string, project_id: string, 
/**
 * Profile id (`claude`, `codex`, `custom`, …); `shell` for a shell.
 */
agent: string, kind: RunKind, runtime: RuntimeKind, 
/**
 * For a container run: its image and limits ("img · 2 CPUs · 4g · 1024 pids · network on").
 */
runtime_detail: string | null, prompt: string, 
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
base?: string, cols?: number, rows?: number, 
/**
 * Where to run it, overriding the profile's `runtime` (a container needs an image: the profile's, or
 * `[container] image` in agents.toml).
 */
runtime?: RuntimeKind, };

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

export type StartShell = { cols?: number, rows?: number, };

export type OpenInEditor = { 
/**
 * Relative to the worktree (no absolute path, no `..`, no link leading out of it); the worktree when absent.
 */
path?: string, 
/**
 * 1-based line (only with `path`).
 */
line?: number, };

export type EditorPreset = { id: string, name: string, 
/**
 * With `{path}` and `{line}` where they go.
 */
command: string, 
/**
 * Found on the login shell's PATH.
 */
installed: boolean, };

export type Editors = { presets: Array<EditorPreset>, 
/**
 * `[editor] command` of agents.toml, if set.
 */
configured: string | null, 
/**
 * The command "Open in editor" runs: the configured one, else the first installed preset; None: no editor.
 */
command: string | null, 
/**
 * How to set one up, when there is none.
 */
hint: string | null, };

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
problem: string | null, 
/**
 * Where its profile runs it unless a run says otherwise.
 */
runtime: RuntimeKind, };

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

export type RebaseState = { 
/**
 * What the branch is being rebased onto (the target's name, or a commit).
 */
onto: string, 
/**
 * Files with unresolved conflicts.
 */
conflicts: Array<string>, };

export type PullRequest = { 
/**
 * `github` | `gitlab`
 */
provider: string, url: string, number: number, 
/**
 * `open` | `merged` | `closed`
 */
state: string, 
/**
 * `pending` | `passing` | `failing`; none when the PR has no checks.
 */
checks: string | null, };

export type GitCommands = { commit: string, merge: string, squash: string, rebase: string, push: string, 
/**
 * None when no provider (GitHub, GitLab) is known for the remote.
 */
pr: string | null, };

export type GitState = { 
/**
 * The run's branch (`viban/<task-slug>-<id>`).
 */
branch: string, 
/**
 * The branch it merges into (the run's base).
 */
target: string, 
/**
 * Commits on the branch that the target lacks.
 */
ahead: number, 
/**
 * Commits on the target that the branch lacks.
 */
behind: number, 
/**
 * Changed paths in the worktree (staged, unstaged and untracked, not ignored).
 */
uncommitted: Array<string>, 
/**
 * A rebase under way in the worktree (git's own state: it survives restarts).
 */
rebase: RebaseState | null, 
/**
 * The upstream branch (`origin/viban/…`) once pushed.
 */
upstream: string | null, 
/**
 * Commits not on the upstream (all of `ahead` when there is none).
 */
unpushed: number, pr: PullRequest | null, commands: GitCommands, };

export type CommitRequest = { message: string, 
/**
 * Paths relative to the worktree; all changes when absent.
 */
paths?: Array<string>, };

export type MergeRequest = { squash: boolean, 
/**
 * The merge (or squashed) commit's message; a default naming the branch (squash: the task title).
 */
message?: string, };

export type PushRequest = { 
/**
 * `--force-with-lease`: only when the user asked for it.
 */
force: boolean, };

export type PrRequest = { title: string, body: string, draft?: boolean, };

export type FileChange = "added" | "modified" | "deleted" | "renamed" | "copied" | "type_changed";

export type DiffFile = { path: string, 
/**
 * Where a renamed (or copied) file came from.
 */
old_path: string | null, change: FileChange, additions: number, deletions: number, 
/**
 * No line counts then; the file endpoint gives the sizes.
 */
binary: boolean, 
/**
 * Not yet known to git (counted from the file itself; `.gitignore`d files are never listed).
 */
untracked: boolean, 
/**
 * git's octal modes: `100644`, `100755`, `120000` (symbolic link), `160000` (submodule); null on the side that
 * does not exist.
 */
old_mode: string | null, new_mode: string | null, };

export type RunDiff = { run_id: string, 
/**
 * What the run was started from (its `base_ref`): a branch, tag or commit.
 */
target: string, 
/**
 * The commit compared with: the merge-base of the worktree's HEAD and `target` (`target` itself when it is a
 * full commit id).
 */
merge_base: string, 
/**
 * Sorted by path (byte order).
 */
files: Array<DiffFile>, additions: number, deletions: number, };

export type FileDiff = { path: string, old_path: string | null, binary: boolean, 
/**
 * Over the per-file cap (1 MiB or 20,000 lines on either side): no texts, empty `patch`; offer the editor or
 * the whole patch (`?format=patch`) instead.
 */
too_large: boolean, 
/**
 * Bytes on the merge-base side (0 when added) and in the worktree (0 when deleted); a symbolic link's size is
 * its target's length.
 */
old_size: number, new_size: number, 
/**
 * The merge-base side's text; null when that side does not exist, is binary, a submodule, or too large. A
 * symbolic link's text is its target (never followed).
 */
old_text: string | null, 
/**
 * The worktree side's text, under the same rules.
 */
new_text: string | null, 
/**
 * The file's unified patch as `git diff` prints it (empty when too large).
 */
patch: string, };

export type RunFiles = { run_id: string, task_id: string, 
/**
 * Worktree-relative paths written, created or removed (a path may also be a folder); null when there were too
 * many (over 200) or a new folder appeared: refetch the whole diff.
 */
paths: Array<string> | null, };

export type WorktreeInfo = { 
/**
 * Absolute path, as the runs store it (the id of a worktree in cleanup requests).
 */
path: string, project_id: string, project_name: string, task_id: string, task_title: string, task_status: TaskStatus, 
/**
 * The branch its runs work on.
 */
branch: string, 
/**
 * The branch it merges into (the runs' base).
 */
target: string, 
/**
 * Its runs, oldest first (follow-ups share the worktree).
 */
run_ids: Array<string>, 
/**
 * A run is queued, starting or running in it.
 */
active: boolean, 
/**
 * The folder is there.
 */
exists: boolean, 
/**
 * viban removed it (by hand, on merge, when done, or by age).
 */
removed: boolean, 
/**
 * Apparent size in bytes, like `du -sb` (symbolic links not followed, hard links once, nothing excluded).
 */
size_bytes: number, 
/**
 * False while the size is still being computed or when the walk hit its cap: `size_bytes` is a lower bound.
 */
size_exact: boolean, 
/**
 * Changed paths (staged, unstaged, untracked; ignored files not counted).
 */
uncommitted: number, 
/**
 * Commits that the target does not have (0 when their content is in it, e.g. after a squash merge).
 */
unmerged_commits: number, 
/**
 * A remote-tracking branch has every commit.
 */
pushed: boolean, 
/**
 * Seconds since its last run finished (or, with none finished, since the folder last changed).
 */
age_secs: number, 
/**
 * Nothing would be lost: no active run, no uncommitted changes, no commits both unmerged and unpushed, no
 * rebase or merge under way.
 */
safe_to_remove: boolean, 
/**
 * Why not, when it is not safe.
 */
why_not: string | null, };

export type CleanupRequest = { 
/**
 * Worktree paths exactly as `GET /api/worktrees` lists them; every safe one when absent.
 */
paths?: Array<string>, 
/**
 * The user confirmed losing uncommitted or unmerged-unpushed work in the listed `paths` (needs `paths`;
 * never overrides an active run).
 */
force?: boolean, };

export type UpdatePhase = "idle" | "checking" | "up_to_date" | "available" | "downloading" | "ready" | "installing" | "error";

export type UpdateChannel = "stable" | "beta";

export type UpdateOffer = { version: string, 
/**
 * Release notes (Markdown), as the manifest gives them.
 */
notes: string | null, 
/**
 * RFC 3339.
 */
pub_date: string | null, };

export type UpdateProgress = { downloaded: number, 
/**
 * Unknown when the server sends no length.
 */
total: number | null, };

export type UpdateOutcomeKind = "updated" | "rolled_back" | "install_failed";

export type UpdateOutcome = { kind: UpdateOutcomeKind, from: string, to: string, reason: string | null, 
/**
 * RFC 3339.
 */
at: string, };

export type UpdateState = { 
/**
 * False in headless mode and in builds that were not installed from a package: `why_unsupported` says why.
 */
supported: boolean, why_unsupported: string | null, current_version: string, phase: UpdatePhase, channel: UpdateChannel, 
/**
 * The manifest URL in use (settings, `VIBAN_UPDATE_URL`, or the channel's default).
 */
endpoint: string | null, offer: UpdateOffer | null, progress: UpdateProgress | null, error: string | null, 
/**
 * RFC 3339 of the last finished check.
 */
last_check: string | null, last_outcome: UpdateOutcome | null, 
/**
 * Versions that failed their health check after install: never offered again.
 */
skipped: Array<string>, };

export type UpdateSettings = { channel: UpdateChannel, 
/**
 * A manifest URL of the user's (self-hosting); the channel's default when absent.
 */
endpoint?: string, };

export type InstallUpdateRequest = { 
/**
 * The user agreed that restarting stops the running agents (they are asked first).
 */
stop_agents: boolean, };

export type SkippedWorktree = { path: string, why: string, };

export type CleanupResult = { 
/**
 * Worktree paths removed (their branches stay unless `delete_branch_on_merge` and merged).
 */
removed: Array<string>, skipped: Array<SkippedWorktree>, 
/**
 * Branches deleted because they were merged into their target (`[runs] delete_branch_on_merge = true`).
 */
deleted_branches: Array<string>, };

export type CommentSide = "old" | "new";

export type ReviewComment = { id: string, 
/**
 * The run it was made on (listed for every run of the same worktree).
 */
run_id: string, 
/**
 * The file as the diff lists it.
 */
path: string, side: CommentSide, 
/**
 * 1-based line on `side` when the comment was made (where it stays shown).
 */
line: number, 
/**
 * That line's text then (without its line ending).
 */
line_text: string, body: string, resolved: boolean, 
/**
 * The follow-up run the comment was sent to the agent in, if any.
 */
sent_in_run: string | null, 
/**
 * The file no longer holds `line_text` at `line` (computed on every read).
 */
outdated: boolean, 
/**
 * Where `line_text` is now: `line` when unchanged, the nearest line holding the same text when it moved, null
 * when it is gone.
 */
current_line: number | null, created_at: string, updated_at: string, };

export type NewComment = { 
/**
 * A file of the run's diff (as listed), or any file in the worktree.
 */
path: string, side: CommentSide, 
/**
 * 1-based, within the file's `side`.
 */
line: number, 
/**
 * 1 to 10,000 characters.
 */
body: string, };

export type UpdateComment = { body?: string, resolved?: boolean, };

export type CommentPromptRequest = { ids?: Array<string>, };

export type CommentPrompt = { prompt: string, 
/**
 * The comments it covers, in the prompt's order.
 */
ids: Array<string>, };

export type SendComments = { prompt: string, 
/**
 * At least one comment of this worktree.
 */
ids: Array<string>, 
/**
 * Defaults to the agent of the run followed up.
 */
agent?: string, };

export type ChangeEvent = { "type": "hello", version: string, } | { "type": "change", table: ChangeTable, op: ChangeOp, id: string, project_id: string | null, } | { "type": "resync" } | { "type": "status", database: string, } | { "type": "run_activity" } & RunActivity | { "type": "run_files" } & RunFiles;

export type AutomationAction = "script" | "agent";

export type Automation = { project_id: string, column: TaskStatus, action: AutomationAction, script: string, agent: string, prompt: string, 
/**
 * A script still running after this long is stopped (the stop ladder) and fails.
 */
timeout_secs: number, 
/**
 * At most this many of the column's automated runs at once; more entries wait their turn.
 */
wip_limit: number | null, 
/**
 * Paused: cards entering the column start nothing (entries already waiting stay until it resumes).
 */
paused: boolean, 
/**
 * Entries waiting for a slot, and those running now.
 */
pending: number, running: number, };

export type PutAutomation = { action: AutomationAction, script?: string, agent?: string, prompt?: string, 
/**
 * Default 600.
 */
timeout_secs?: number, wip_limit?: number, paused?: boolean, };

export type FiringState = "pending" | "running" | "done" | "failed";

export type Firing = { id: string, project_id: string, task_id: string, column: TaskStatus, action: AutomationAction, state: FiringState, 
/**
 * The run it started (a script's output is this run's transcript).
 */
run_id: string | null, error: string | null, entered_at: string, ended_at: string | null, };

export type InboxKind = "waiting" | "review" | "failed" | "automation_failed";

export type InboxItem = { kind: InboxKind, project_id: string, project_name: string, task_id: string, task_title: string, run_id: string | null, firing_id: string | null, 
/**
 * The agent's id (`agent_name` is what to show).
 */
agent: string | null, agent_name: string | null, 
/**
 * The question, the error, or a short summary.
 */
text: string, 
/**
 * Since when it waits (the list is oldest first).
 */
since: string, };

export type Inbox = { items: Array<InboxItem>, };

export type DismissInbox = { run_id?: string, firing_id?: string, };
