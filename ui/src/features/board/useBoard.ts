import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { Project, Task } from '../../api/generated/types';
import { ApiError, api, errorMessage } from '../../api/client';
import { debounce } from '../connection/debounce';
import { useToast } from '../toasts/ToastProvider';
import { STATUS_LABELS, applyMove, columnsFromBoard, findTask, removeTask, replaceTask, type Columns, type MoveTarget } from './logic';

export type BoardState = {
  project: Project | null;
  columns: Columns | null;
  error: ApiError | null;
  loading: boolean;
};

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
  const [state, setState] = useState<BoardState>({ project: null, columns: null, error: null, loading: false });
  const columnsRef = useRef<Columns | null>(null);
  columnsRef.current = state.columns;

  const pid = useRef(projectId);
  const inflight = useRef(false);
  const again = useRef(false);
  const pendingMoves = useRef(0);
  const epoch = useRef(0);

  const load = useCallback(async () => {
    if (inflight.current) {
      again.current = true;
      return;
    }
    inflight.current = true;
    try {
      do {
        again.current = false;
        const id = pid.current;
        if (!id) return;
        const startEpoch = epoch.current;
        try {
          const board = await api.getBoard(id);
          if (pid.current !== id) continue;
          if (pendingMoves.current > 0 || startEpoch !== epoch.current) continue; // stale; the move reloads
          setState({ project: board.project, columns: columnsFromBoard(board.columns), error: null, loading: false });
        } catch (e) {
          if (pid.current !== id) continue;
          const error = e instanceof ApiError ? e : new ApiError(0, { code: 'internal', message: errorMessage(e) });
          // Keep showing the last board when a refresh fails (e.g. the server went away for a moment).
          setState((s) => ({ ...s, error, loading: false }));
        }
      } while (again.current);
    } finally {
      inflight.current = false;
    }
  }, []);

  const scheduler = useMemo(() => debounce(() => void load(), 50), [load]);

  useEffect(() => {
    pid.current = projectId;
    scheduler.cancel();
    setState({ project: null, columns: null, error: null, loading: projectId !== null });
    if (projectId) {
      if (inflight.current) again.current = true;
      else void load();
    }
    return () => scheduler.cancel();
  }, [projectId, load, scheduler]);

  const moveTask = useCallback(
    (taskId: string, target: MoveTarget) => {
      const before = columnsRef.current;
      if (!before) return;
      const source = findTask(before, taskId);
      if (!source) return;
      const after = applyMove(before, taskId, target);
      pendingMoves.current += 1;
      epoch.current += 1;
      setState((s) => ({ ...s, columns: after }));
      api
        .updateTask(taskId, { status: target.status, position: target.index })
        .catch((e: unknown) => {
          // Roll back only this move: re-apply the inverse on whatever the board holds now.
          setState((s) => {
            if (!s.columns) return s;
            return { ...s, columns: applyMove(s.columns, taskId, { status: source.status, index: source.index }) };
          });
          notify('error', `Could not move “${source.task.title}” to ${STATUS_LABELS[target.status]}: ${errorMessage(e)}`);
        })
        .finally(() => {
          pendingMoves.current -= 1;
          epoch.current += 1;
          scheduler();
        });
    },
    [notify, scheduler],
  );

  const upsertTask = useCallback(
    (task: Task, created: boolean) => {
      epoch.current += 1;
      setState((s) => {
        if (!s.columns) return s;
        if (created && !findTask(s.columns, task.id))
          return { ...s, columns: { ...s.columns, [task.status]: [task, ...s.columns[task.status]] } };
        return { ...s, columns: replaceTask(s.columns, task) };
      });
      scheduler();
    },
    [scheduler],
  );

  const dropTask = useCallback(
    (taskId: string) => {
      epoch.current += 1;
      setState((s) => (s.columns ? { ...s, columns: removeTask(s.columns, taskId) } : s));
      scheduler();
    },
    [scheduler],
  );

  const reloadNow = useCallback(() => void load(), [load]);

  return { ...state, scheduleReload: scheduler, reloadNow, moveTask, upsertTask, dropTask };
}
