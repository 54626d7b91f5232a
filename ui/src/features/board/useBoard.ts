import { useCallback, useRef } from 'react';
import type { Board, Project, Task } from '../../api/generated/types';
import { ApiError, errorMessage } from '../../api/client';
import { useLiveResource } from '../connection/useLiveResource';
import { useToast } from '../toasts/ToastProvider';
import { STATUS_LABELS, applyMove, columnsFromBoard, findTask, removeTask, replaceTask, type Columns, type MoveTarget } from './logic';
import { getBoard } from '../../api/projects';
import { updateTask } from '../../api/tasks';

export type BoardState = {
  project: Project | null;
  columns: Columns | null;
  error: ApiError | null;
  loading: boolean;
};

type LoadedBoard = { project: Project; columns: Columns };

export type BoardApi = BoardState & {
  /** Refetch soon (debounced ~50 ms; bursts of change events collapse into one request). */
  scheduleReload: () => void;
  reloadNow: () => void;
  /** Optimistic move + PATCH; rolls back with an error toast when the server refuses. */
  moveTask: (taskId: string, target: MoveTarget) => void;
  /** Local updates after the task panel saved or deleted (the refetch confirms them). */
  upsertTask: (task: Task, created: boolean) => void;
  dropTask: (taskId: string) => void;
};

/**
 * Loads a project's board and keeps it current. Loads are coalesced (one in flight, at most one queued), and a
 * load that overlaps a pending move is discarded so a stale answer never undoes an optimistic update.
 */
export function useBoard(projectId: string | null): BoardApi {
  const notify = useToast();
  const pendingMoves = useRef(0);
  // Every local change bumps this: a load that started before it answers with a board that predates the change.
  const epoch = useRef(0);

  const board = useLiveResource({
    key: projectId,
    fetch: (id: string) => {
      const startEpoch = epoch.current;
      return getBoard(id).then((answer: Board) => ({ answer, startEpoch }));
    },
    accept: ({ answer, startEpoch }): LoadedBoard | undefined => {
      if (pendingMoves.current > 0 || startEpoch !== epoch.current) return undefined; // stale; the move reloads
      return { project: answer.project, columns: columnsFromBoard(answer.columns) };
    },
    // Keep showing the last board when a refresh fails (e.g. the server went away for a moment).
    toError: (e) => (e instanceof ApiError ? e : new ApiError(0, { code: 'internal', message: errorMessage(e) })),
    debounceMs: 50,
  });
  const { current, update, scheduleReload } = board;

  const moveTask = useCallback(
    (taskId: string, target: MoveTarget) => {
      const before = current()?.columns;
      if (!before) return;
      const source = findTask(before, taskId);
      if (!source) return;
      const after = applyMove(before, taskId, target);
      pendingMoves.current += 1;
      epoch.current += 1;
      update((b) => b && { ...b, columns: after });
      updateTask(taskId, { status: target.status, position: target.index })
        .catch((e: unknown) => {
          // Roll back only this move: re-apply the inverse on whatever the board holds now.
          update((b) => b && { ...b, columns: applyMove(b.columns, taskId, { status: source.status, index: source.index }) });
          notify('error', `Could not move “${source.task.title}” to ${STATUS_LABELS[target.status]}: ${errorMessage(e)}`);
        })
        .finally(() => {
          pendingMoves.current -= 1;
          epoch.current += 1;
          scheduleReload();
        });
    },
    [current, update, notify, scheduleReload],
  );

  const upsertTask = useCallback(
    (task: Task, created: boolean) => {
      epoch.current += 1;
      update((b) => {
        if (!b) return b;
        if (created && !findTask(b.columns, task.id))
          return { ...b, columns: { ...b.columns, [task.status]: [task, ...b.columns[task.status]] } };
        return { ...b, columns: replaceTask(b.columns, task) };
      });
      scheduleReload();
    },
    [update, scheduleReload],
  );

  const dropTask = useCallback(
    (taskId: string) => {
      epoch.current += 1;
      update((b) => b && { ...b, columns: removeTask(b.columns, taskId) });
      scheduleReload();
    },
    [update, scheduleReload],
  );

  return {
    project: board.value?.project ?? null,
    columns: board.value?.columns ?? null,
    error: board.error,
    loading: board.loading,
    scheduleReload,
    reloadNow: board.reloadNow,
    moveTask,
    upsertTask,
    dropTask,
  };
}
