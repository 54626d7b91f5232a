// The header's controls: project switcher and settings, search, new task, tiles, disk, agents, help, theme and
// the connection pill.
import type { RefObject } from 'react';
import type { Project } from '../api/generated/types';
import { TilesButton } from '../features/cockpit/controls';
import { ConnectionStatus } from '../features/connection/ConnectionStatus';
import type { ConnectionState } from '../features/connection/liveConnection';
import { ProjectSwitcher } from '../features/projects/ProjectSwitcher';
import { ThemeToggle } from '../features/theme/ThemeToggle';
import { Header } from './chrome';
import type { Dialogs } from './useDialogs';

type Props = {
  live: boolean;
  projects: readonly Project[];
  projectId: string | null;
  currentProject: Project | null;
  selectProject: (id: string | null) => void;
  query: string;
  setQuery: (query: string) => void;
  searchRef: RefObject<HTMLInputElement | null>;
  dialogs: Dialogs;
  onNewTask: () => void;
  liveRunIds: string[];
  /** What the inbox holds (the button shows it). */
  inboxCount: number;
  connection: ConnectionState;
  restarting: boolean;
};

export function TopBar({ live, projects, projectId, currentProject, selectProject, query, setQuery, searchRef, dialogs, onNewTask, liveRunIds, inboxCount, connection, restarting }: Props) {
  return (
    <Header>
      <ProjectSwitcher projects={projects} selectedId={projectId} onSelect={selectProject} />
      <button
        type="button"
        className="icon-button project-settings-button"
        data-testid="open-project-settings"
        aria-label="Project settings"
        title="Project settings"
        onClick={() => dialogs.open('project-settings')}
        disabled={!currentProject}
      >
        ⚙
      </button>
      <button type="button" className="button" data-testid="add-project-button" onClick={() => dialogs.open('add-project')}>
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
            if (e.key === 'Escape' && !dialogs.any) {
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
        onClick={onNewTask}
        disabled={!projectId}
        title="New task (n)"
      >
        New task
      </button>
      <TilesButton liveRunIds={liveRunIds} disabled={!live} />
      <button
        type="button"
        className={`button inbox-button ${inboxCount > 0 ? 'inbox-button-busy' : ''}`}
        data-testid="open-inbox"
        title="Inbox: everything waiting for you (i)"
        aria-label={`Inbox, ${inboxCount} waiting`}
        onClick={() => dialogs.open('inbox')}
      >
        Inbox{inboxCount > 0 && <span className="inbox-count" data-testid="inbox-count">{inboxCount}</span>}
      </button>
      <button type="button" className="button" data-testid="open-disk" title="Disk usage of the worktrees (w)" onClick={() => dialogs.open('disk')}>
        Disk
      </button>
      <button type="button" className="button" data-testid="open-agents" title="Agents settings (,)" onClick={() => dialogs.open('agents')}>
        Agents
      </button>
      <button type="button" className="icon-button help-button" aria-label="Keyboard shortcuts" title="Shortcuts (?)" onClick={() => dialogs.setHelpOpen(true)}>
        ?
      </button>
      <ThemeToggle />
      <ConnectionStatus state={connection} restarting={restarting} />
    </Header>
  );
}
