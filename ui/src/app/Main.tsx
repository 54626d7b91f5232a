// The board page: projects, the board, the task pane or tiles beside it, the dialogs and the board's keys. The
// pieces are in this folder: the change feed's routing (useFeedRouting), the dialogs (useDialogs, AppDialogs),
// run notices (useRunNotices), the tiles (useTilesPane), the header (TopBar) and the board area (BoardArea).
import { useCallback, useDeferredValue, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Project, Task, TaskStatus } from '../api/generated/types';
import { STATUSES } from '../features/board/logic';
import { titleText } from '../features/attention/attention';
import { useWaitingCount } from '../features/attention/useWaitingCount';
import { AutomationBadge } from '../features/automation/AutomationBadge';
import { useAutomations } from '../features/automation/useAutomations';
import { filterColumns, findTask } from '../features/board/logic';
import { useProjectRuns } from '../features/board/useProjectRuns';
import { OfflineBanner } from '../features/connection/OfflineBanner';
import { toggleTiles } from '../features/cockpit/store';
import { withInboxCount } from '../features/inbox/inbox';
import { useInbox } from '../features/inbox/useInbox';
import { KeyboardLayer } from '../features/keyboard/KeyboardLayer';
import type { PanelMode } from '../features/tasks/TaskPanel';
import { useTaskLink } from '../features/tasks/useTaskLink';
import { UpdateBanners } from '../features/update/UpdateBanners';
import { useUpdate } from '../features/update/useUpdate';
import { AppDialogs } from './AppDialogs';
import { BoardArea } from './BoardArea';
import { ServicesBanner } from './chrome';
import { SidePaneArea, closeTiles } from './SidePaneArea';
import { TopBar } from './TopBar';
import { useAppShortcuts } from './useAppShortcuts';
import { useDialogs } from './useDialogs';
import { useFeedRouting } from './useFeedRouting';
import { useProjectBoard } from './useProjectBoard';
import { useRunNotices } from './useRunNotices';
import { useTilesPane } from './useTilesPane';

/** The board. `live`: signed in; otherwise the change feed is closed and the page is inert under the sign-in screen. */
export function Main({ live }: { live: boolean }) {
  const [panel, setPanel] = useState<PanelMode | null>(null);
  const dialogs = useDialogs();
  const { close: closeDialog } = dialogs;
  const searchRef = useRef<HTMLInputElement>(null);

  // Switching projects closes the task pane and the project's settings.
  const onSwitch = useCallback(() => {
    setPanel(null);
    closeDialog('project-settings');
  }, [closeDialog]);
  const { projects, projectId, currentProject, board, boardMissing, selectProject } = useProjectBoard(onSwitch);

  const [query, setQuery] = useState('');
  const deferredQuery = useDeferredValue(query);
  const visible = useMemo(
    () => (board.columns ? filterColumns(board.columns, deferredQuery) : null),
    [board.columns, deferredQuery],
  );

  const openNew = useCallback((status: TaskStatus) => setPanel({ kind: 'create', status }), []);
  const openTask = useCallback((task: Task) => setPanel({ kind: 'edit', task }), []);
  const closePanel = useCallback(() => setPanel(null), []);

  const notices = useRunNotices({ live, projectId, columns: board.columns, selectProject, openTask });
  const { agentName } = notices;
  useTaskLink(live, notices.openTaskById);
  const projectRuns = useProjectRuns(projectId, notices.onRunNotice);
  const waitingCount = useWaitingCount(projectId, projectRuns.runs);
  // What may have changed the inbox and the column automations' counts: the open project's runs, who waits.
  const changed = useMemo(() => [projectRuns.runs, waitingCount.count] as const, [projectRuns.runs, waitingCount.count]);
  const inbox = useInbox(live, changed);
  useEffect(() => {
    document.title = withInboxCount(titleText(waitingCount.count), inbox.items.length);
  }, [waitingCount.count, inbox.items.length]);
  const automations = useAutomations(projectId, changed);
  const [automating, setAutomating] = useState<TaskStatus | null>(null);
  const { open: openDialog } = dialogs;
  const headerExtras = useMemo(() => {
    const edit = (column: TaskStatus) => {
      setAutomating(column);
      openDialog('automation');
    };
    return Object.fromEntries(
      STATUSES.map((status) => [
        status,
        <AutomationBadge
          key={status}
          column={status}
          automation={automations.list.find((a) => a.column === status) ?? null}
          agentName={agentName}
          onEdit={edit}
          onChanged={automations.reload}
        />,
      ]),
    ) as Partial<Record<TaskStatus, ReactNode>>;
  }, [automations.list, automations.reload, agentName, openDialog]);
  const tiles = useTilesPane({ live, columns: board.columns, runs: projectRuns.runs, panel, closePanel, agentName });
  const { tilesOpen } = tiles;

  const { connection, database } = useFeedRouting(
    { projectId, projects, board, projectRuns, onActivity: waitingCount.onActivity },
    live,
  );
  // Restart to update was sent from this tab: the server going away is planned, not an outage.
  const plannedRestart = useUpdate().restart;

  // The panel opened with a snapshot of the task; while the board holds the task, the panel gets the board's
  // current copy, so changes from the server (a run moving it to In Progress) reach the open form.
  const liveTask = panel?.kind === 'edit' && board.columns ? (findTask(board.columns, panel.task.id)?.task ?? null) : null;
  const panelMode: PanelMode | null = panel?.kind === 'edit' && liveTask ? { kind: 'edit', task: liveTask } : panel;

  // The task pane is not modal (the board stays usable beside it): only the dialogs hold the board's keys back.
  useAppShortcuts({
    live,
    dialogs,
    panelOpen: panel !== null,
    closePanel,
    tilesOpen,
    closeTiles,
    canCreate: projectId !== null,
    newTask: () => openNew('todo'),
    searchRef,
  });

  const onProjectSaved = (project: Project) => {
    projects.addLocal(project);
    board.scheduleReload();
    dialogs.close('project-settings');
  };
  const onProjectCreated = (project: Project) => {
    projects.addLocal(project);
    selectProject(project.id);
    dialogs.close('add-project');
  };
  const onProjectRemoved = (id: string) => {
    projects.removeLocal(id);
    selectProject(null);
  };

  return (
    <div className="app" inert={!live}>
      <TopBar
        live={live}
        projects={projects.projects ?? []}
        projectId={projectId}
        currentProject={currentProject}
        selectProject={selectProject}
        query={query}
        setQuery={setQuery}
        searchRef={searchRef}
        dialogs={dialogs}
        onNewTask={() => openNew('todo')}
        liveRunIds={tiles.liveRunIds}
        inboxCount={inbox.items.length}
        connection={connection}
        restarting={plannedRestart !== null}
      />
      {connection === 'connected' && database !== 'ready' && <ServicesBanner database={database} />}
      {connection === 'offline' && <OfflineBanner restartingTo={plannedRestart ? plannedRestart.to : null} />}
      {connection !== 'offline' && <UpdateBanners />}
      {notices.notificationsPrompt}

      <div className="workspace">
        <BoardArea
          stale={connection === 'offline'}
          projects={projects}
          projectId={projectId}
          board={board}
          boardMissing={boardMissing}
          visible={visible}
          query={deferredQuery}
          clearQuery={() => setQuery('')}
          projectRuns={projectRuns}
          onAddProject={() => dialogs.open('add-project')}
          onOpen={openTask}
          onNew={openNew}
          headerExtras={headerExtras}
        />
        <SidePaneArea
          projectId={projectId}
          panelMode={panelMode}
          activity={projectRuns.activity}
          closePanel={closePanel}
          onSaved={(task, created) => {
            board.upsertTask(task, created);
            setPanel(null);
          }}
          onDeleted={(id) => {
            board.dropTask(id);
            setPanel(null);
          }}
          tiles={
            tilesOpen
              ? { candidates: tiles.tileCandidates, agentName, taskTitle: tiles.taskTitle, onOpenTask: notices.openTaskById, onClose: closeTiles }
              : null
          }
        />
      </div>
      <AppDialogs
        dialogs={dialogs}
        currentProject={currentProject}
        onProjectSaved={onProjectSaved}
        onProjectRemoved={onProjectRemoved}
        onProjectCreated={onProjectCreated}
        inbox={inbox}
        onOpenTask={notices.openTaskById}
        automation={
          automating && projectId
            ? {
                projectId,
                column: automating,
                current: automations.list.find((a) => a.column === automating) ?? null,
                onSaved: () => {
                  automations.reload();
                  dialogs.close('automation');
                },
              }
            : null
        }
      />
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
          addProject: () => dialogs.open('add-project'),
          projectSettings: () => dialogs.open('project-settings'),
          settings: () => dialogs.open('agents'),
          disk: () => dialogs.open('disk'),
          inbox: () => dialogs.open('inbox'),
          help: () => dialogs.setHelpOpen(true),
          toggleTiles: () => toggleTiles(tiles.liveRunIds),
          selectProject,
          openTask,
        }}
      />
    </div>
  );
}
