// Beside the board: the open task's pane, or the Tiles view (several agents' terminals), never both.
import { Suspense, lazy, type ComponentProps } from 'react';
import type { Task } from '../api/generated/types';
import type { ActivityByTask } from '../features/board/runs';
import { setTilesOpen } from '../features/cockpit/store';
import { TaskPanel, type PanelMode } from '../features/tasks/TaskPanel';

// Several agents' terminals side by side (issue 11, item 2); brings xterm.js along, so loaded when shown.
const TilesView = lazy(() => import('../features/cockpit/TilesView'));

type Props = {
  projectId: string | null;
  /** The task pane's content, with the board's current copy of the task. */
  panelMode: PanelMode | null;
  activity: ActivityByTask;
  closePanel: () => void;
  onSaved: (task: Task, created: boolean) => void;
  onDeleted: (taskId: string) => void;
  /** The Tiles view's props while it shows, else null. */
  tiles: ComponentProps<typeof TilesView> | null;
};

export function SidePaneArea({ projectId, panelMode, activity, closePanel, onSaved, onDeleted, tiles }: Props) {
  if (tiles) {
    return (
      <Suspense fallback={null}>
        <TilesView {...tiles} />
      </Suspense>
    );
  }
  if (!panelMode || !projectId) return null;
  return (
    <TaskPanel
      key={panelMode.kind === 'edit' ? panelMode.task.id : `new-${panelMode.status}`}
      projectId={projectId}
      mode={panelMode}
      waitingRunId={panelMode.kind === 'edit' ? waitingRunOf(activity.get(panelMode.task.id)) : null}
      onClose={closePanel}
      onSaved={onSaved}
      onDeleted={onDeleted}
    />
  );
}

/** The run a task's latest activity frame says is waiting for input. */
function waitingRunOf(activity: { run_id: string; waiting: boolean } | undefined): string | null {
  return activity?.waiting ? activity.run_id : null;
}

/** Closes the Tiles view (the task pane can show again). */
export const closeTiles = () => setTilesOpen(false);
