import { memo, useCallback, useEffect, useId, useMemo, useRef, type ReactNode } from 'react';
import { useDroppable } from '@dnd-kit/core';
import { SortableContext, verticalListSortingStrategy } from '@dnd-kit/sortable';
import { defaultRangeExtractor, useVirtualizer, type Range } from '@tanstack/react-virtual';
import type { Task, TaskStatus } from '../../api/generated/types';
import { columnDndId } from './dnd';
import { STATUS_LABELS, type DropPlacement } from './logic';
import { onRevealRequest } from './reveal';
import { activityOfRun, type ActivityByTask, type RunsByTask } from './runs';
import { SortableTaskCard } from './TaskCard';

/** Estimated card height including the gap below it; real heights are measured. */
const ESTIMATED_ROW = 84;

type Props = {
  status: TaskStatus;
  /** The cards to show (already filtered). */
  tasks: readonly Task[];
  /** All cards in the column, for the count when filtered. */
  total: number;
  filtered: boolean;
  /** The newest run and latest activity of each task (most tasks have neither). */
  runs: RunsByTask;
  activity: ActivityByTask;
  activeId: string | null;
  /** Cross-column drop indicator while dragging. */
  hint: DropPlacement | null;
  onOpen: (task: Task) => void;
  onNew: (status: TaskStatus) => void;
  /** The column's automation (or the button that sets one up). */
  headerExtra?: ReactNode;
};

/**
 * One virtualised column: only the visible cards (plus overscan, plus the card being dragged) are mounted, so a
 * column of 10,000 tasks costs about as much as one of 20. The whole column is a drop target, so dropping
 * onto its empty space or onto an empty column works.
 */
export const BoardColumn = memo(function BoardColumn({ status, tasks, total, filtered, runs, activity, activeId, hint, onOpen, onNew, headerExtra }: Props) {
  const headingId = useId();
  const scrollRef = useRef<HTMLDivElement | null>(null);
  const { setNodeRef, isOver } = useDroppable({ id: columnDndId(status), data: { type: 'column', status } });
  const ids = useMemo(() => tasks.map((t) => t.id), [tasks]);
  const activeIndex = activeId ? ids.indexOf(activeId) : -1;

  const rangeExtractor = useCallback(
    (range: Range) => {
      const indexes = defaultRangeExtractor(range);
      // Keep the dragged card mounted while it is scrolled out of view so dnd-kit keeps its node.
      if (activeIndex >= 0 && !indexes.includes(activeIndex)) {
        indexes.push(activeIndex);
        indexes.sort((a, b) => a - b);
      }
      return indexes;
    },
    [activeIndex],
  );

  const virtualizer = useVirtualizer({
    count: tasks.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ESTIMATED_ROW,
    overscan: 6,
    getItemKey: (i) => tasks[i]?.id ?? i,
    rangeExtractor,
  });

  // The keyboard moved to a card of this column that is not mounted: scroll it in (see reveal.ts).
  const tasksRef = useRef(tasks);
  tasksRef.current = tasks;
  const virtualizerRef = useRef(virtualizer);
  virtualizerRef.current = virtualizer;
  useEffect(
    () =>
      onRevealRequest((id) => {
        const index = tasksRef.current.findIndex((t) => t.id === id);
        if (index >= 0) virtualizerRef.current.scrollToIndex(index, { align: 'auto' });
      }),
    [],
  );

  const hintHere = hint && hint.status === status ? hint : null;
  const count = filtered ? `${tasks.length} of ${total}` : String(total);

  return (
    <section
      ref={setNodeRef}
      className={`column ${isOver || (hintHere && activeId) ? 'column-over' : ''}`}
      data-testid={`column-${status}`}
      data-status={status}
      aria-labelledby={headingId}
    >
      <header className="column-header">
        <span className={`status-dot status-${status}`} aria-hidden="true" />
        <h2 id={headingId}>{STATUS_LABELS[status]}</h2>
        <span className="column-count" data-testid={`column-count-${status}`} aria-label={`${count} tasks`}>
          {count}
        </span>
        <button
          type="button"
          className="icon-button column-add"
          aria-label={`New task in ${STATUS_LABELS[status]}`}
          onClick={() => onNew(status)}
        >
          +
        </button>
        {headerExtra && <div className="column-header-extra">{headerExtra}</div>}
      </header>
      <div className="column-body" ref={scrollRef}>
        <SortableContext id={status} items={ids} strategy={verticalListSortingStrategy}>
          {tasks.length === 0 ? (
            <div className={`column-empty ${hintHere ? 'column-empty-over' : ''}`}>
              {filtered && total > 0 ? 'No matching tasks' : 'No tasks'}
            </div>
          ) : (
            <div className="column-list" style={{ height: virtualizer.getTotalSize() }}>
              {virtualizer.getVirtualItems().map((row) => {
                const task = tasks[row.index];
                if (!task) return null;
                const dropHint = hintHere && hintHere.anchorId === task.id ? hintHere.place : null;
                const run = runs.get(task.id);
                return (
                  <div key={row.key} className="column-row" data-index={row.index} ref={virtualizer.measureElement} style={{ top: row.start }}>
                    <SortableTaskCard
                      task={task}
                      run={run}
                      activity={activityOfRun(run, activity.get(task.id))}
                      status={status}
                      dropHint={dropHint}
                      onOpen={onOpen}
                    />
                  </div>
                );
              })}
            </div>
          )}
          {hintHere && hintHere.anchorId === null && tasks.length > 0 && <div className="column-drop-end" aria-hidden="true" />}
        </SortableContext>
      </div>
    </section>
  );
});
