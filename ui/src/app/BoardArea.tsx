// The workspace's main area: loading and error states of the projects and the board, no search results, the board.
import type { ReactNode } from 'react';
import type { Task, TaskStatus } from '../api/generated/types';
import { Board } from '../features/board/Board';
import { countTasks, type Columns } from '../features/board/logic';
import type { BoardApi } from '../features/board/useBoard';
import type { ProjectRuns } from '../features/board/useProjectRuns';
import { NoProjects } from '../features/projects/NoProjects';
import type { ProjectsApi } from '../features/projects/useProjects';

type Props = {
  stale: boolean;
  projects: ProjectsApi;
  projectId: string | null;
  board: BoardApi;
  boardMissing: boolean;
  visible: Columns | null;
  /** The search as applied (deferred); blank: no filter. */
  query: string;
  clearQuery: () => void;
  projectRuns: ProjectRuns;
  onAddProject: () => void;
  onOpen: (task: Task) => void;
  onNew: (status: TaskStatus) => void;
  /** Each column header's automation controls. */
  headerExtras?: Partial<Record<TaskStatus, ReactNode>>;
};

export function BoardArea({ stale, projects, projectId, board, boardMissing, visible, query, clearQuery, projectRuns, onAddProject, onOpen, onNew, headerExtras }: Props) {
  const filtered = query.trim() !== '';
  const visibleCount = visible ? countTasks(visible) : 0;
  return (
    <main className={stale ? 'main main-stale' : 'main'} data-stale={stale}>
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
      {projects.projects?.length === 0 && <NoProjects onAdd={onAddProject} />}
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
              No tasks match “{query.trim()}”.{' '}
              <button type="button" className="link-button" onClick={clearQuery}>
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
            onOpen={onOpen}
            onNew={onNew}
            headerExtras={headerExtras}
          />
        </>
      )}
    </main>
  );
}
