// The side pane beside the board shows a task or the Tiles view (features/cockpit), never both: opening one
// closes the other. Ctrl+Shift+G toggles the tiles (with nothing pinned they fill with the active runs).
import { useCallback, useEffect, useMemo } from 'react';
import { findTask, type Columns } from '../features/board/logic';
import type { RunsByTask } from '../features/board/runs';
import { activeRunIds, useTilesKey } from '../features/cockpit/controls';
import { setTilesOpen, useCockpit } from '../features/cockpit/store';
import { shortId } from '../lib/format';

type Args = {
  live: boolean;
  columns: Columns | null;
  runs: RunsByTask;
  /** The task pane's content (any change of it while the tiles show closes them). */
  panel: object | null;
  closePanel: () => void;
  agentName: (id: string) => string;
};

export function useTilesPane({ live, columns, runs, panel, closePanel, agentName }: Args) {
  const { tilesOpen } = useCockpit();
  const liveRunIds = useMemo(() => activeRunIds(runs.values()), [runs]);
  useTilesKey(liveRunIds, live);
  useEffect(() => {
    if (panel) setTilesOpen(false);
  }, [panel]);
  useEffect(() => {
    if (tilesOpen) closePanel();
  }, [tilesOpen, closePanel]);
  const taskTitle = useCallback(
    (taskId: string) => (columns ? (findTask(columns, taskId)?.task.title ?? null) : null),
    [columns],
  );
  const tileCandidates = useMemo(
    () =>
      [...runs.values()]
        .filter((r) => liveRunIds.includes(r.id))
        .map((r) => ({ runId: r.id, label: `${taskTitle(r.task_id) ?? `#${shortId(r.task_id)}`} — ${agentName(r.agent)}` })),
    [runs, liveRunIds, taskTitle, agentName],
  );
  return { tilesOpen, liveRunIds, taskTitle, tileCandidates };
}
