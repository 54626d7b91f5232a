import { Suspense, lazy, useCallback, useDeferredValue, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Project, Task, TaskStatus } from './api/generated/types';
import { errorMessage, type LiveEvent } from './api/client';
import { AgentsSettings } from './features/agents/AgentsSettings';
import { DiskView } from './features/disk/DiskView';
import { Board } from './features/board/Board';
import { countTasks, filterColumns, findTask } from './features/board/logic';
import { activityFromEvent, noticeMessage, noticeToastKind, type RunNotice } from './features/board/runs';
import { useBoard } from './features/board/useBoard';
import { useProjectRuns } from './features/board/useProjectRuns';
import { ConnectionStatus } from './features/connection/ConnectionStatus';
import { OfflineBanner } from './features/connection/OfflineBanner';
import { SignedOut } from './features/connection/SignedOut';
import type { AuthController } from './features/connection/auth';
import { AuthProvider, useAuthController, useAuthState } from './features/connection/useAuth';
import { useLiveEvents } from './features/connection/useLiveEvents';
import { useWaitingCount } from './features/attention/useWaitingCount';
import { useAgentNames } from './features/attention/useAgentNames';
import { sendReply } from './features/attention/reply';
import { useBrowserNotifications } from './features/attention/useBrowserNotifications';
import { AddProjectDialog } from './features/projects/AddProjectDialog';
import { NoProjects } from './features/projects/NoProjects';
import { ProjectSettingsDialog } from './features/projects/ProjectSettingsDialog';
import { ProjectSwitcher } from './features/projects/ProjectSwitcher';
import { pickProjectId, rememberProjectId, rememberedProjectId } from './features/projects/selection';
import { useProjects } from './features/projects/useProjects';
import { KeyboardLayer } from './features/keyboard/KeyboardLayer';
import { HelpOverlay } from './features/shortcuts/HelpOverlay';
import { useShortcuts } from './features/shortcuts/useShortcuts';
import { TaskPanel, type PanelMode } from './features/tasks/TaskPanel';
import { ThemeToggle } from './features/theme/ThemeToggle';
import { ToastProvider, useToast } from './features/toasts/ToastProvider';
import { UpdateBanners } from './features/update/UpdateBanners';
import { UpdateProvider, useUpdate } from './features/update/useUpdate';
import { TilesButton, activeRunIds, useTilesKey } from './features/cockpit/controls';
import { setTilesOpen, useCockpit } from './features/cockpit/store';
import { shortId } from './lib/format';
import { getTask } from './api/tasks';

// Several agents' terminals side by side (issue 11, item 2); brings xterm.js along, so loaded when shown.
const TilesView = lazy(() => import('./features/cockpit/TilesView'));

export function App({ auth }: { auth: AuthController }) {
  return (
    <AuthProvider auth={auth}>
      <ToastProvider>
        <Gate />
      </ToastProvider>
    </AuthProvider>
  );
}

/**
 * Signed in: the board. The board mounts at the first sign-in and then stays mounted: when the session ends later
 * (the token was rotated) the signed-out screen covers it, and whatever was on it — an open task's unsaved
 * description — is still there once this tab is signed in again.
 */
function Gate() {
  const auth = useAuthController();
  const state = useAuthState();
  const [boardMounted, setBoardMounted] = useState(state.kind === 'signed-in');
  if (state.kind === 'signed-in' && !boardMounted) setBoardMounted(true);

  const signedOut =
    state.kind === 'signed-out' ? (
      <SignedOut
        reason={state.reason}
        message={state.message}
        onRetry={auth.canRetry ? () => auth.retry() : null}
        overlay={boardMounted}
      />
    ) : null;

  if (!boardMounted) {
    return (
      <div className="app">
        <Header />
        <main className="main">
          {signedOut ?? (
            <div className="loading" data-testid="signing-in">
              Signing in…
            </div>
          )}
        </main>
      </div>
    );
  }
  return (
    <UpdateProvider enabled={state.kind === 'signed-in'}>
      <Main live={state.kind === 'signed-in'} />
      {signedOut}
    </UpdateProvider>
  );
}

/** The board. `live`: signed in; otherwise the change feed is closed and the page is inert under the sign-in screen. */
function Main({ live }: { live: boolean }) {
  const projects = useProjects();
  const [wantedId, setWantedId] = useState<string | null>(() => rememberedProjectId());
  const projectId = projects.projects ? pickProjectId(projects.projects, wantedId) : null;
  const board = useBoard(projectId);

  const [query, setQuery] = useState('');
  const deferredQuery = useDeferredValue(query);
  const visible = useMemo(
    () => (board.columns ? filterColumns(board.columns, deferredQuery) : null),
    [board.columns, deferredQuery],
  );
  const filtered = deferredQuery.trim() !== '';

  const [panel, setPanel] = useState<PanelMode | null>(null);
  const [addingProject, setAddingProject] = useState(false);
  const [projectSettingsOpen, setProjectSettingsOpen] = useState(false);
  const [helpOpen, setHelpOpen] = useState(false);
  const [agentsOpen, setAgentsOpen] = useState(false);
  const [diskOpen, setDiskOpen] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);

  const selectProject = useCallback((id: string | null) => {
    setWantedId(id);
    rememberProjectId(id);
    setPanel(null);
    setProjectSettingsOpen(false);
  }, []);

  // A board that disappeared (project deleted elsewhere): refresh the list, which picks another project.
  const boardMissing = board.error?.code === 'not_found';
  const { reloadNow: reloadProjects } = projects;
  useEffect(() => {
    if (boardMissing) reloadProjects();
  }, [boardMissing, reloadProjects]);

  // Opens a task's panel from outside the board (a run toast): from the board when it holds the task, else fetched.
  // The user may have switched projects since the toast appeared: go back to the task's project first.
  const notify = useToast();
  const boardColumnsRef = useRef(board.columns);
  boardColumnsRef.current = board.columns;
  const projectIdRef = useRef(projectId);
  projectIdRef.current = projectId;
  const openTaskById = useCallback(
    (taskId: string, taskProjectId: string) => {
      const sameProject = taskProjectId === projectIdRef.current;
      if (!sameProject) selectProject(taskProjectId);
      const held = sameProject && boardColumnsRef.current ? findTask(boardColumnsRef.current, taskId) : null;
      if (held) {
        setPanel({ kind: 'edit', task: held.task });
        return;
      }
      getTask(taskId)
        .then((task) => setPanel({ kind: 'edit', task }))
        .catch((e: unknown) => notify('error', `Cannot open the task: ${errorMessage(e)}`));
    },
    [notify, selectProject],
  );

  // Runs finishing or waiting for input, in the project on screen: a toast that opens the task when clicked
  // (a waiting run's toast has a reply box that answers the agent).
  // The same events as browser notifications (headless mode only; the desktop app notifies natively).
  const agentName = useAgentNames(live);
  const browserNotifications = useBrowserNotifications();
  const { notify: notifyBrowser } = browserNotifications;
  const onRunNotice = useCallback(
    (notice: RunNotice) => {
      const held = boardColumnsRef.current ? findTask(boardColumnsRef.current, notice.taskId) : null;
      const title = held ? held.task.title : `#${shortId(notice.taskId)}`;
      notifyBrowser(notice, title, agentName, () => openTaskById(notice.taskId, notice.projectId));
      notify(noticeToastKind(notice), noticeMessage(notice, title, agentName), {
        onClick: () => openTaskById(notice.taskId, notice.projectId),
        reply: notice.kind === 'waiting' ? { label: 'Answer', send: (text) => sendReply(notice.runId, text) } : undefined,
      });
    },
    [notify, openTaskById, agentName, notifyBrowser],
  );
  const projectRuns = useProjectRuns(projectId, onRunNotice);
  const waitingCount = useWaitingCount(projectId, projectRuns.runs);

  // The side pane beside the board shows a task or the Tiles view (features/cockpit), never both: opening one
  // closes the other. Ctrl+Shift+G toggles the tiles (with nothing pinned they fill with the active runs).
  const { tilesOpen } = useCockpit();
  const liveRunIds = useMemo(() => activeRunIds(projectRuns.runs.values()), [projectRuns.runs]);
  useTilesKey(liveRunIds, live);
  useEffect(() => {
    if (panel) setTilesOpen(false);
  }, [panel]);
  useEffect(() => {
    if (tilesOpen) setPanel(null);
  }, [tilesOpen]);
  const taskTitle = useCallback(
    (taskId: string) => (board.columns ? (findTask(board.columns, taskId)?.task.title ?? null) : null),
    [board.columns],
  );
  const tileCandidates = useMemo(
    () =>
      [...projectRuns.runs.values()]
        .filter((r) => liveRunIds.includes(r.id))
        .map((r) => ({ runId: r.id, label: `${taskTitle(r.task_id) ?? `#${shortId(r.task_id)}`} — ${agentName(r.agent)}` })),
    [projectRuns.runs, liveRunIds, taskTitle, agentName],
  );

  // The database's state from the change feed: anything but ready shows a banner.
  const [database, setDatabase] = useState('ready');
  const onEvent = (event: LiveEvent) => {
    if (event.type === 'status') setDatabase(event.database);
    if (event.type === 'run_activity') {
      waitingCount.onActivity(activityFromEvent(event));
      if (event.project_id === projectId) projectRuns.applyActivity(activityFromEvent(event));
      return;
    }
    if (event.type !== 'change') return;
    const inThisProject = event.project_id === null || event.project_id === projectId;
    if (event.table === 'project') {
      projects.scheduleReload();
      if (event.id === projectId) board.scheduleReload();
    } else if (event.table === 'run') {
      // A run's status or files changed; the task moves it causes arrive as task changes of their own.
      if (inThisProject) projectRuns.scheduleReload();
    } else if (inThisProject) {
      board.scheduleReload();
    }
  };
  const onResync = () => {
    projects.scheduleReload();
    board.scheduleReload();
    projectRuns.scheduleReload();
  };
  const connection = useLiveEvents({ onEvent, onResync }, live);
  // Restart to update was sent from this tab: the server going away is planned, not an outage.
  const plannedRestart = useUpdate().restart;

  // The panel opened with a snapshot of the task; while the board holds the task, the panel gets the board's
  // current copy, so changes from the server (a run moving it to In Progress) reach the open form.
  const liveTask = panel?.kind === 'edit' && board.columns ? (findTask(board.columns, panel.task.id)?.task ?? null) : null;
  const panelMode: PanelMode | null = panel?.kind === 'edit' && liveTask ? { kind: 'edit', task: liveTask } : panel;

  // The task pane is not modal (the board stays usable beside it): only the dialogs hold the board's keys back.
  const anyDialog = addingProject || projectSettingsOpen || helpOpen || agentsOpen || diskOpen;
  const openNew = useCallback((status: TaskStatus) => setPanel({ kind: 'create', status }), []);
  const openTask = useCallback((task: Task) => setPanel({ kind: 'edit', task }), []);

  useShortcuts((action, e) => {
    // Signed out: the sign-in screen covers everything; keys must not open dialogs beneath it.
    if (!live) return;
    switch (action) {
      case 'escape':
        if (helpOpen) setHelpOpen(false);
        else if (panel) setPanel(null);
        else if (tilesOpen) setTilesOpen(false);
        else if (addingProject) setAddingProject(false);
        else if (projectSettingsOpen) setProjectSettingsOpen(false);
        else if (agentsOpen) setAgentsOpen(false);
        else if (diskOpen) setDiskOpen(false);
        return;
      case 'open-disk':
        if (anyDialog) return;
        e.preventDefault();
        setDiskOpen(true);
        return;
      case 'open-agents':
        if (anyDialog) return;
        e.preventDefault();
        setAgentsOpen(true);
        return;
      case 'help':
        e.preventDefault();
        setHelpOpen((v) => !v);
        return;
      case 'new-task':
        if (anyDialog || !projectId) return;
        e.preventDefault();
        openNew('todo');
        return;
      case 'focus-search':
        if (anyDialog) return;
        e.preventDefault();
        searchRef.current?.focus();
        searchRef.current?.select();
        return;
    }
  });

  const currentProject = projects.projects?.find((p) => p.id === projectId) ?? null;
  const onProjectSaved = (project: Project) => {
    projects.addLocal(project);
    board.scheduleReload();
    setProjectSettingsOpen(false);
  };

  const onProjectCreated = (project: Project) => {
    projects.addLocal(project);
    selectProject(project.id);
    setAddingProject(false);
  };

  const visibleCount = visible ? countTasks(visible) : 0;

  return (
    <div className="app" inert={!live}>
      <Header>
        <ProjectSwitcher projects={projects.projects ?? []} selectedId={projectId} onSelect={selectProject} />
        <button
          type="button"
          className="icon-button project-settings-button"
          data-testid="open-project-settings"
          aria-label="Project settings"
          title="Project settings"
          onClick={() => setProjectSettingsOpen(true)}
          disabled={!currentProject}
        >
          ⚙
        </button>
        <button type="button" className="button" data-testid="add-project-button" onClick={() => setAddingProject(true)}>
          + Project
        </button>
        <div className="search">
          <input
            ref={searchRef}
            type="search"
            data-testid="search-input"
            aria-label="Search tasks"
            placeholder="Search tasks  /"
            value={query}
            onChange={(e) => setQuery(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Escape' && !anyDialog) {
                e.preventDefault();
                setQuery('');
                e.currentTarget.blur();
              }
            }}
            disabled={!projectId}
          />
        </div>
        <span className="spacer" />
        <button
          type="button"
          className="button button-primary"
          data-testid="new-task-button"
          onClick={() => openNew('todo')}
          disabled={!projectId}
          title="New task (n)"
        >
          New task
        </button>
        <TilesButton liveRunIds={liveRunIds} disabled={!live} />
        <button type="button" className="button" data-testid="open-disk" title="Disk usage of the worktrees (w)" onClick={() => setDiskOpen(true)}>
          Disk
        </button>
        <button type="button" className="button" data-testid="open-agents" title="Agents settings (,)" onClick={() => setAgentsOpen(true)}>
          Agents
        </button>
        <button type="button" className="icon-button help-button" aria-label="Keyboard shortcuts" title="Shortcuts (?)" onClick={() => setHelpOpen(true)}>
          ?
        </button>
        <ThemeToggle />
        <ConnectionStatus state={connection} restarting={plannedRestart !== null} />
      </Header>
      {connection === 'connected' && database !== 'ready' && <ServicesBanner database={database} />}
      {connection === 'offline' && <OfflineBanner restartingTo={plannedRestart ? plannedRestart.to : null} />}
      {connection !== 'offline' && <UpdateBanners />}
      {browserNotifications.prompt}

      <div className="workspace">
      <main className={connection === 'offline' ? 'main main-stale' : 'main'} data-stale={connection === 'offline'}>
        {projects.projects === null && !projects.error && <div className="loading">Loading projects…</div>}
        {projects.projects === null && projects.error && (
          <div className="empty-state">
            <h2>Cannot load projects</h2>
            <p className="muted">{projects.error}</p>
            <button type="button" className="button" onClick={projects.reloadNow}>
              Retry
            </button>
          </div>
        )}
        {projects.projects?.length === 0 && <NoProjects onAdd={() => setAddingProject(true)} />}
        {projectId && !board.columns && board.error && !boardMissing && (
          <div className="empty-state">
            <h2>Cannot load the board</h2>
            <p className="muted">{board.error.message}</p>
            <button type="button" className="button" onClick={board.reloadNow}>
              Retry
            </button>
          </div>
        )}
        {projectId && !board.columns && !board.error && <div className="loading">Loading board…</div>}
        {projectId && board.columns && visible && (
          <>
            {filtered && visibleCount === 0 && (
              <div className="no-results" data-testid="no-results" role="status">
                No tasks match “{deferredQuery.trim()}”.{' '}
                <button type="button" className="link-button" onClick={() => setQuery('')}>
                  Clear search
                </button>
              </div>
            )}
            <Board
              columns={board.columns}
              visible={visible}
              filtered={filtered}
              runs={projectRuns.runs}
              activity={projectRuns.activity}
              anyActiveRun={projectRuns.anyActive}
              onMove={board.moveTask}
              onOpen={openTask}
              onNew={openNew}
            />
          </>
        )}
      </main>

      {!tilesOpen && panelMode && projectId && (
        <TaskPanel
          key={panelMode.kind === 'edit' ? panelMode.task.id : `new-${panelMode.status}`}
          projectId={projectId}
          mode={panelMode}
          waitingRunId={panelMode.kind === 'edit' ? waitingRunOf(projectRuns.activity.get(panelMode.task.id)) : null}
          onClose={() => setPanel(null)}
          onSaved={(task, created) => {
            board.upsertTask(task, created);
            setPanel(null);
          }}
          onDeleted={(id) => {
            board.dropTask(id);
            setPanel(null);
          }}
        />
      )}
      {tilesOpen && (
        <Suspense fallback={null}>
          <TilesView
            candidates={tileCandidates}
            agentName={agentName}
            taskTitle={taskTitle}
            onOpenTask={openTaskById}
            onClose={() => setTilesOpen(false)}
          />
        </Suspense>
      )}
      </div>
      {projectSettingsOpen && currentProject && (
        <ProjectSettingsDialog
          key={currentProject.id}
          project={currentProject}
          onClose={() => setProjectSettingsOpen(false)}
          onSaved={onProjectSaved}
          onRemoved={(id) => {
            projects.removeLocal(id);
            selectProject(null);
          }}
        />
      )}
      {addingProject && <AddProjectDialog onClose={() => setAddingProject(false)} onCreated={onProjectCreated} />}
      {agentsOpen && <AgentsSettings onClose={() => setAgentsOpen(false)} />}
      {diskOpen && <DiskView onClose={() => setDiskOpen(false)} />}
      {helpOpen && <HelpOverlay onClose={() => setHelpOpen(false)} />}
      {/* j/k/arrows between cards, s starts a run, t the terminal, Ctrl/Cmd+K the command palette. */}
      <KeyboardLayer
        enabled={live}
        projects={projects.projects ?? []}
        projectId={projectId}
        columns={board.columns}
        visible={visible}
        runs={projectRuns.runs}
        openTask={panelMode?.kind === 'edit' ? panelMode.task : null}
        actions={{
          newTask: () => openNew('todo'),
          addProject: () => setAddingProject(true),
          projectSettings: () => setProjectSettingsOpen(true),
          settings: () => setAgentsOpen(true),
          disk: () => setDiskOpen(true),
          help: () => setHelpOpen(true),
          selectProject,
          openTask,
        }}
      />
    </div>
  );
}

/** Shown while the database is restarting or down; changes made meanwhile fail with a clear error. */
function ServicesBanner({ database }: { database: string }) {
  const down = database === 'down' || database === 'stopped';
  return (
    <div className={`banner ${down ? 'banner-error' : 'banner-warn'}`} role="status" data-testid="services-banner">
      {down
        ? 'The database is down. Use Restart services in the tray menu, or see the logs.'
        : 'The database is restarting… Changes will work again in a moment.'}
    </div>
  );
}

function Header({ children }: { children?: ReactNode }) {
  return (
    <header className="topbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          ▦
        </span>
        viban
      </div>
      {children}
    </header>
  );
}

/** The run a task's latest activity frame says is waiting for input. */
function waitingRunOf(activity: { run_id: string; waiting: boolean } | undefined): string | null {
  return activity?.waiting ? activity.run_id : null;
}
