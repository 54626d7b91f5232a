import { useCallback, useMemo, useRef, useState, type ReactNode } from 'react';
import {
  DndContext,
  DragOverlay,
  KeyboardSensor,
  MeasuringStrategy,
  PointerSensor,
  useSensor,
  useSensors,
  type DragEndEvent,
  type DragMoveEvent,
  type DragStartEvent,
} from '@dnd-kit/core';
import { sortableKeyboardCoordinates } from '@dnd-kit/sortable';
import type { Task, TaskStatus } from '../../api/generated/types';
import { BoardColumn } from './BoardColumn';
import { ElapsedClock } from './ElapsedClock';
import { boardAnnouncements, boardCollisionDetection, dndData, dropPlacement, samePlacement, screenReaderInstructions } from './dnd';
import { STATUSES, findTask, resolveDrop, type Columns, type DropPlacement, type MoveTarget } from './logic';
import { activityOfRun, type ActivityByTask, type RunsByTask } from './runs';
import { TaskCardView } from './TaskCard';

type Props = {
  /** The full board (drops are resolved against it). */
  columns: Columns;
  /** What is shown (filtered by the search box). */
  visible: Columns;
  filtered: boolean;
  /** The newest run of each task and the latest activity frames (see useProjectRuns). */
  runs: RunsByTask;
  activity: ActivityByTask;
  /** Some run is active: the elapsed clock ticks. */
  anyActiveRun: boolean;
  onMove: (taskId: string, target: MoveTarget) => void;
  onOpen: (task: Task) => void;
  onNew: (status: TaskStatus) => void;
  /** Extra controls of each column's header (its automation). */
  headerExtras?: Partial<Record<TaskStatus, ReactNode>>;
};

const measuring = { droppable: { strategy: MeasuringStrategy.Always } };

export function Board({ columns, visible, filtered, runs, activity, anyActiveRun, onMove, onOpen, onNew, headerExtras }: Props) {
  const [activeId, setActiveId] = useState<string | null>(null);
  const [hint, setHint] = useState<DropPlacement | null>(null);
  const hintRef = useRef<DropPlacement | null>(null);
  const justDropped = useRef(false);

  // Announcements read the latest columns through refs so the DndContext props stay stable.
  const columnsRef = useRef(columns);
  columnsRef.current = columns;
  const visibleRef = useRef(visible);
  visibleRef.current = visible;

  const sensors = useSensors(
    useSensor(PointerSensor, { activationConstraint: { distance: 5 } }),
    useSensor(KeyboardSensor, {
      coordinateGetter: sortableKeyboardCoordinates,
      keyboardCodes: { start: ['Space'], cancel: ['Escape'], end: ['Space', 'Enter'] },
    }),
  );

  const accessibility = useMemo(
    () => ({
      announcements: boardAnnouncements(
        () => columnsRef.current,
        () => visibleRef.current,
      ),
      screenReaderInstructions,
    }),
    [],
  );

  const updateHint = useCallback((next: DropPlacement | null) => {
    if (samePlacement(hintRef.current, next)) return;
    hintRef.current = next;
    setHint(next);
  }, []);

  const endDrag = useCallback(() => {
    setActiveId(null);
    updateHint(null);
    justDropped.current = true;
    window.setTimeout(() => (justDropped.current = false), 0);
  }, [updateHint]);

  const onDragStart = useCallback((e: DragStartEvent) => setActiveId(String(e.active.id)), []);

  const onDragMove = useCallback(
    (e: DragMoveEvent) => {
      const placement = dropPlacement(e.active, e.over, visibleRef.current);
      const source = dndData(e.active);
      // Within its own column the sortable preview already shows the spot; elsewhere draw an insertion line.
      const sameColumnCard = placement && placement.anchorId !== null && source?.status === placement.status;
      updateHint(sameColumnCard ? null : placement);
    },
    [updateHint],
  );

  const onDragEnd = useCallback(
    (e: DragEndEvent) => {
      const placement = dropPlacement(e.active, e.over, visibleRef.current);
      endDrag();
      if (!placement) return;
      const target = resolveDrop(columnsRef.current, String(e.active.id), placement);
      if (target) onMove(String(e.active.id), target);
    },
    [endDrag, onMove],
  );

  const open = useCallback(
    (task: Task) => {
      if (!justDropped.current) onOpen(task);
    },
    [onOpen],
  );

  const activeTask = activeId ? (findTask(columns, activeId)?.task ?? null) : null;
  const activeRun = activeTask ? runs.get(activeTask.id) : undefined;

  return (
    <DndContext
      sensors={sensors}
      collisionDetection={boardCollisionDetection}
      measuring={measuring}
      accessibility={accessibility}
      onDragStart={onDragStart}
      onDragMove={onDragMove}
      onDragEnd={onDragEnd}
      onDragCancel={endDrag}
    >
      <ElapsedClock ticking={anyActiveRun}>
        <div className="board" data-testid="board">
          {STATUSES.map((status) => (
            <BoardColumn
              key={status}
              status={status}
              tasks={visible[status]}
              total={columns[status].length}
              filtered={filtered}
              runs={runs}
              activity={activity}
              activeId={activeId}
              hint={hint?.status === status ? hint : null}
              onOpen={open}
              onNew={onNew}
              headerExtra={headerExtras?.[status]}
            />
          ))}
        </div>
        <DragOverlay dropAnimation={null}>
          {activeTask ? (
            <TaskCardView task={activeTask} run={activeRun} activity={activityOfRun(activeRun, activity.get(activeTask.id))} overlay />
          ) : null}
        </DragOverlay>
      </ElapsedClock>
    </DndContext>
  );
}
